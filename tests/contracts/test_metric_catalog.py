"""The metric catalog follows Prometheus naming rules, and docs/metrics.md is generated from it."""

from __future__ import annotations

import re

from driftline import metric_docs
from driftline.metric_catalog import BY_NAME, METRICS, series_names, spec
from tests.conftest import REPO_ROOT

NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def test_names_and_labels_are_valid_and_prefixed() -> None:
    for m in METRICS:
        assert NAME.match(m.name), m.name
        assert m.name.startswith("driftline_"), m.name
        assert ":" not in m.name, "colons are for recording rules"
        for label in m.labels:
            assert LABEL.match(label) and not label.startswith("__"), (m.name, label)
        assert len(set(m.labels)) == len(m.labels), m.name


def test_type_conventions() -> None:
    for m in METRICS:
        if m.type == "counter":
            assert m.name.endswith("_total"), m.name
        else:
            assert not m.name.endswith("_total"), m.name
        if m.type == "histogram":
            assert "le" not in m.labels
            assert not m.name.endswith(("_bucket", "_sum", "_count"))
        if "seconds" in m.name:
            assert m.name.endswith(("_seconds", "_seconds_total")), m.name


def test_names_are_unique_and_lookup_works() -> None:
    assert len(BY_NAME) == len(METRICS)
    assert spec("driftline_feature_psi").labels == ("model", "version", "feature")
    assert series_names(spec("driftline_http_request_duration_seconds"))[0].endswith("_bucket")


def test_docs_metrics_md_is_generated_from_the_catalog() -> None:
    on_disk = (REPO_ROOT / "docs" / "metrics.md").read_text()
    assert on_disk == metric_docs.render(), (
        "docs/metrics.md is stale: run `python -m driftline.metric_docs > docs/metrics.md`"
    )
