"""driftline/monitoring_render.py: runtime copies of the committed configuration."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from driftline.monitoring_render import (
    ESTIMATED_ALERT,
    FAST_ALERTMANAGER_TIMING,
    FAST_FOR_SCALE,
    JOB_EXPORTER,
    JOB_SERVING,
    TargetGroup,
    parse_duration,
    render_alertmanager_config,
    render_prometheus_config,
    scale_duration,
)
from tests.monitoring.monitoring_files import PROMETHEUS_YML, load_yaml
from tests.monitoring.monitoring_stack import PROMTOOL

needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package) missing")


def _check_config(path: Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, "check", "config", str(path)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15s", 15), ("5m", 300), ("1h30m", 5400), ("500ms", 0.5), ("0s", 0), ("1d", 86400)],
)
def test_parse_duration_known_answers(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "5 m", "1.5h", "m5", "5mm"])
def test_parse_duration_rejects_what_prometheus_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "factor", "scaled"),
    [("15m", 1 / 60, "15s"), ("2m", 1 / 60, "2s"), ("30s", 1 / 60, "1s"), ("5m", 2, "600s"),
     ("0s", 0.5, "0s")],
)  # fmt: skip
def test_scale_duration(text: str, factor: float, scaled: str) -> None:
    assert scale_duration(text, factor) == scaled


@needs_promtool
def test_committed_prometheus_config_is_valid_as_it_is() -> None:
    result = _check_config(PROMETHEUS_YML)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_fast_render_writes_targets_intervals_and_scaled_for(tmp_path: Path) -> None:
    targets = {
        JOB_SERVING: [
            TargetGroup(
                ("127.0.0.1:18000", "127.0.0.1:18001"), {"model": "churn", "deployment": "champion"}
            ),
            TargetGroup(("127.0.0.1:18010",), {"model": "churn", "deployment": "challenger"}),
        ],
        JOB_EXPORTER: [TargetGroup(("127.0.0.1:19108",))],
    }
    config = render_prometheus_config(
        tmp_path, targets, scrape_interval="1s", evaluation_interval="1s", for_scale=FAST_FOR_SCALE
    )
    result = _check_config(config)  # also reads the target and rule files
    assert result.returncode == 0, result.stdout + result.stderr

    rendered = load_yaml(config)
    assert rendered["global"]["scrape_interval"] == "1s"
    assert rendered["global"]["scrape_timeout"] == "1s"
    assert rendered["scrape_configs"] == load_yaml(PROMETHEUS_YML)["scrape_configs"]
    serving = json.loads((config.parent / "targets" / "serving.json").read_text())
    assert serving[1] == {
        "targets": ["127.0.0.1:18010"],
        "labels": {"model": "churn", "deployment": "challenger"},
    }
    assert json.loads((config.parent / "targets" / "receiver.json").read_text()) == []

    committed = load_yaml(Path(__file__).parents[2] / "alerting/rules/driftline-alerts.yml")
    scaled = load_yaml(tmp_path / "alerting/rules/driftline-alerts.yml")
    for group, scaled_group in zip(committed["groups"], scaled["groups"], strict=True):
        for rule, scaled_rule in zip(group["rules"], scaled_group["rules"], strict=True):
            assert scaled_rule["expr"] == rule["expr"]
            assert scaled_rule["for"] == scale_duration(rule["for"], FAST_FOR_SCALE)
            assert parse_duration(scaled_rule["for"]) < parse_duration(rule["for"])


def test_render_rejects_unknown_jobs_bad_targets_and_scales(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown job"):
        render_prometheus_config(tmp_path, {"driftline-servng": []})
    with pytest.raises(ValueError, match="not host:port"):
        render_prometheus_config(tmp_path, {JOB_SERVING: [TargetGroup(("http://x:1",))]})
    with pytest.raises(ValueError, match="for_scale"):
        render_prometheus_config(tmp_path, {}, for_scale=0)
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        render_prometheus_config(tmp_path, {}, scrape_interval="1 second")


def test_alertmanager_render_sets_url_token_file_and_timings(tmp_path: Path) -> None:
    config = render_alertmanager_config(
        tmp_path,
        receiver_url="http://127.0.0.1:18080/",
        credentials_file=tmp_path / "tok",
        timing=FAST_ALERTMANAGER_TIMING,
    )
    rendered = load_yaml(config)
    hooks = [h for r in rendered["receivers"] for h in r.get("webhook_configs", [])]
    assert len(hooks) == 2  # the retrain and the notification receiver
    for hook in hooks:
        assert hook["url"] == "http://127.0.0.1:18080/alerts"
        assert hook["http_config"]["authorization"]["credentials_file"] == str(tmp_path / "tok")
    # Routes that set a timing get the fast one; the others inherit it from the root.
    routes = [rendered["route"], *rendered["route"]["routes"]]
    assert {r["group_wait"] for r in routes if "group_wait" in r} == {
        FAST_ALERTMANAGER_TIMING.group_wait
    }
    assert {r["repeat_interval"] for r in routes if "repeat_interval" in r} == {
        FAST_ALERTMANAGER_TIMING.repeat_interval
    }
    with pytest.raises(ValueError, match="receiver_url"):
        render_alertmanager_config(
            tmp_path, receiver_url="127.0.0.1:1/alerts", credentials_file=tmp_path / "tok"
        )


@needs_promtool
def test_retrain_on_estimate_labels_only_the_estimated_alert_retrain_worthy(
    tmp_path: Path,
) -> None:
    default = render_prometheus_config(tmp_path / "default", {})
    opted = render_prometheus_config(tmp_path / "opted", {}, retrain_on_estimate=True)
    assert _check_config(opted).returncode == 0

    def retrain_labels(config: Path) -> dict[str, set[str | None]]:
        rules = load_yaml(config.parents[1] / "alerting/rules/driftline-alerts.yml")
        out: dict[str, set[str | None]] = {}
        for group in rules["groups"]:
            for rule in group["rules"]:
                out.setdefault(rule["alert"], set()).add(rule["labels"].get("retrain"))
        return out

    before, after = retrain_labels(default), retrain_labels(opted)
    assert before[ESTIMATED_ALERT] == {None}
    assert after[ESTIMATED_ALERT] == {"true"}
    assert {k: v for k, v in after.items() if k != ESTIMATED_ALERT} == {
        k: v for k, v in before.items() if k != ESTIMATED_ALERT
    }
