"""``GET /report/evidently``: Evidently's own data-drift report of a version's window.

A second opinion beside our figures, computed on demand from the prediction log
(the version's newest ``window_size`` predictions) against the reference sample
stored in its profile, and cached until the exporter's next cycle. It never runs
in the scrape or the cycle path: only a request for the page computes it.

The profile stores a sample of every numeric feature and the category shares of
every categorical one; the reference frame rebuilds a categorical column from
its shares (largest remainder, shuffled with a fixed seed). Evidently compares
column by column, so pairing values across columns does not change its figures.
"""

from __future__ import annotations

import html
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from exporter.profiles import ProfileCache, ProfileUnavailable
from exporter.results import CycleResults
from exporter.settings import ExporterConfig
from exporter.store_reader import PredictionLogReader
from reference.profile import (
    CategoricalReference,
    NumericReference,
    ProfileFormatError,
    ReferenceProfile,
    category_key,
)

SEED = 20240


class UnknownVersion(LookupError):
    """The exporter has no window for this model version (HTTP 404)."""


class NotAvailableNow(RuntimeError):
    """The log or the profile could not be read this time (HTTP 503; a retry may work)."""


@dataclass(frozen=True)
class Columns:
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]


def columns_of(profile: ReferenceProfile) -> Columns:
    return Columns(
        numeric=tuple(f.name for f in profile.features if isinstance(f, NumericReference)),
        categorical=tuple(f.name for f in profile.features if isinstance(f, CategoricalReference)),
    )


def _expand(shares: dict[str, float], n: int) -> list[str]:
    """``n`` values with the given shares (largest remainder, so they sum to ``n``)."""
    names = sorted(k for k, v in shares.items() if v > 0)
    if not names:
        return []
    exact = np.array([shares[k] for k in names]) / sum(shares[k] for k in names) * n
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts))[: n - int(counts.sum())]:
        counts[i] += 1
    return [k for k, c in zip(names, counts, strict=True) for _ in range(int(c))]


def reference_frame(profile: ReferenceProfile) -> pd.DataFrame:
    """The stored reference sample as one frame; shorter columns padded with missing values."""
    rng = np.random.default_rng(SEED)
    numeric = {f.name: f.sample for f in profile.features if isinstance(f, NumericReference)}
    n = max((len(s) for s in numeric.values()), default=0) or 1000
    data: dict[str, object] = {}
    for name, sample in numeric.items():
        values = np.full(n, np.nan)
        values[: len(sample)] = rng.permutation(np.asarray(sample, dtype=float))
        data[name] = values
    for f in profile.features:
        if isinstance(f, CategoricalReference):
            values_c = np.array(_expand(dict(f.frequencies), n), dtype=object)
            data[f.name] = rng.permutation(values_c) if values_c.size else [None] * n
    return pd.DataFrame(data)


def window_frame(rows: list[dict[str, object]], cols: Columns) -> pd.DataFrame:
    """Logged feature values as the exporter reads them: numbers, and categories keyed
    like the profile's (``category_key``), column by column so no column's type leaks."""
    data: dict[str, object] = {
        name: pd.to_numeric(pd.Series([r.get(name) for r in rows], dtype=object), errors="coerce")
        for name in cols.numeric
    }
    for name in cols.categorical:
        values = [r.get(name) for r in rows]
        data[name] = pd.Series(
            [None if v is None else category_key(v) for v in values], dtype=object
        )
    return pd.DataFrame(data, columns=[*cols.numeric, *cols.categorical])


def evidently_html(reference: pd.DataFrame, current: pd.DataFrame, cols: Columns) -> str:
    """Evidently's DataDriftPreset report as a standalone page (its scripts inlined)."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(
        numerical_columns=list(cols.numeric), categorical_columns=list(cols.categorical)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Evidently warns about pandas internals it uses
        snapshot = Report([DataDriftPreset()]).run(
            Dataset.from_pandas(current, data_definition=definition),
            Dataset.from_pandas(reference, data_definition=definition),
        )
        page: str = snapshot.get_html_str(as_iframe=False)
    return page


def _note(model: str, version: str, window: int, reference: int) -> str:
    from evidently import __version__ as evidently_version

    return (
        "<div style='font-family:sans-serif;background:#fff8e1;border:1px solid #e0c060;"
        "padding:8px 12px;margin:8px'>"
        f"<b>Evidently {html.escape(evidently_version)}</b> data-drift report of "
        f"{html.escape(model)} version {html.escape(version)}: the newest {window} predictions "
        f"against the {reference}-row reference sample of its profile. A second opinion: "
        "driftline's verdict, alerts and dashboards follow <a href='/report'>/report</a>, "
        "not this page. Where the PSI differs: Evidently bins each comparison anew from the "
        "two samples it is given, while driftline's PSI uses the reference profile's frozen "
        "decile bins, so the same window gives other PSI values here (docs/drift.md, "
        "&ldquo;Difference from Evidently&rdquo;); Evidently's dataset-drift share rule is "
        "not driftline's verdict either.</div>"
    )


class EvidentlyPages:
    """Render on demand; one cached page per version until the next cycle is published."""

    def __init__(
        self,
        reader: PredictionLogReader,
        profiles: ProfileCache,
        results: Callable[[], CycleResults],
        config: ExporterConfig,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._reader = reader
        self._profiles = profiles
        self._results = results
        self._config = config
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float | None, str]] = {}
        self._lock = threading.Lock()  # one computation at a time: each costs seconds

    def page(self, model: str, version: str) -> str:
        results = self._results()
        if not any(v.model == model and v.version == version for v in results.versions):
            known = [f"{v.model}/{v.version}" for v in results.versions]
            raise UnknownVersion(f"no drift window for model {model!r} version {version!r}; "
                                 f"known: {known}")  # fmt: skip
        with self._lock:
            hit = self._cache.get((model, version))
            if hit is not None and hit[0] == results.last_run_at:
                return hit[1]
            page = self._compute(model, version)
            self._cache = {k: v for k, v in self._cache.items() if v[0] == results.last_run_at}
            self._cache[(model, version)] = (results.last_run_at, page)
            return page

    def _compute(self, model: str, version: str) -> str:
        try:
            return self._render(model, version)
        except (ProfileUnavailable, ProfileFormatError, SQLAlchemyError, OSError) as exc:
            raise NotAvailableNow(f"cannot build the Evidently report now: {exc}") from exc

    def _render(self, model: str, version: str) -> str:
        profile = self._profiles.get(model, version).profile
        cols = columns_of(profile)
        top, _ = self._reader.marks()
        span = self._config.window_seconds
        since = self._clock() - span if span else None
        rows = self._reader.recent(model, version, self._config.window_size, since, top)
        current = window_frame([dict(r.features) for r in rows], cols)
        reference = reference_frame(profile)
        report = evidently_html(reference, current, cols)
        note = _note(model, version, len(current), len(reference))
        at = report.find("<body")
        if at < 0:
            return note + report
        body_end = report.index(">", at) + 1
        return report[:body_end] + note + report[body_end:]
