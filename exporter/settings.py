"""Exporter settings: windows, minimum samples, schedule and drift thresholds.

Read from ``DRIFTLINE_EXPORTER_*`` environment variables into a frozen value
(docs/drift.md lists them); a bad value raises ``ValueError`` naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from exporter.stats.psi import PSI_EPSILON
from exporter.stats.verdict import VerdictRule


@dataclass(frozen=True)
class ExporterConfig:
    window_size: int = 5_000  # newest predictions per version in the drift window
    window_seconds: float | None = None  # and only those of the last T seconds
    label_window_size: int = 5_000  # newest predictions considered for performance
    label_window_seconds: float | None = None
    # Keep time windows as per-interval counts of this length (exporter/interval_window.py);
    # None: rows (exporter/window.py). Needs both time windows.
    count_interval_seconds: float | None = None
    min_samples: int = 200  # fewer values: a feature's figures are not exported
    min_labelled: int = 50  # fewer labelled predictions: no performance figures
    interval_seconds: float = 15.0
    psi_epsilon: float = PSI_EPSILON
    read_batch: int = 20_000  # rows per query when catching up
    history_cycles: int = 240  # recent cycles the /report page charts (an hour at 15s)
    rule: VerdictRule = field(default_factory=VerdictRule)

    def __post_init__(self) -> None:
        for name in (
            "window_size",
            "label_window_size",
            "min_samples",
            "min_labelled",
            "read_batch",
            "history_cycles",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"exporter setting {name} must be at least 1")
        for name in ("window_seconds", "label_window_seconds", "count_interval_seconds"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"exporter setting {name} must be positive")
        if self.count_interval_seconds is not None and (
            self.window_seconds is None or self.label_window_seconds is None
        ):
            raise ValueError(
                "exporter setting count_interval_seconds needs window_seconds and "
                "label_window_seconds (a window of counts has to end somewhere)"
            )
        if self.interval_seconds <= 0:
            raise ValueError("exporter setting interval_seconds must be positive")
        if not 0 < self.psi_epsilon < 0.01:
            raise ValueError("exporter setting psi_epsilon must be in (0, 0.01)")

    @property
    def capacity(self) -> int:
        return max(self.window_size, self.label_window_size)

    @property
    def longest_span(self) -> float:
        """The longer time window (count windows keep intervals for it)."""
        spans = [s for s in (self.window_seconds, self.label_window_seconds) if s is not None]
        if not spans:
            raise ValueError("no time window is set")
        return max(spans)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ExporterConfig:
        env = os.environ if environ is None else environ
        kwargs: dict[str, object] = {}
        rule_kwargs: dict[str, object] = {}
        targets = [(f, kwargs) for f in fields(cls) if f.name != "rule"]
        targets += [(f, rule_kwargs) for f in fields(VerdictRule)]
        for f, out in targets:
            var = "DRIFTLINE_EXPORTER_" + f.name.upper()
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            try:
                if f.name.endswith("seconds") and raw.lower() in ("none", "off", "0"):
                    out[f.name] = None if f.name != "interval_seconds" else float(raw)
                elif f.type in ("int",) or f.name in ("min_drifted_features",):
                    out[f.name] = int(raw)
                else:
                    out[f.name] = float(raw)
            except ValueError as exc:
                raise ValueError(f"{var}={raw!r} is not a number") from exc
        try:
            return cls(rule=VerdictRule(**rule_kwargs), **kwargs)  # type: ignore[arg-type]
        except ValueError as exc:
            raise ValueError(f"exporter settings from the environment: {exc}") from exc
