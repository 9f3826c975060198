"""Interval settings of a stack run: production defaults, or `--fast` for a demo in minutes.

Every interval that bounds how quickly drift becomes a new champion is here,
so the demo can print the floor they allow next to what it measured. In the
ground floor because both the stack and the traffic generator (below the stack)
read the DRIFTLINE_TIMING profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from driftline.monitoring_render import (
    FAST_ALERTMANAGER_TIMING,
    FAST_EVALUATION_INTERVAL,
    FAST_FOR_SCALE,
    FAST_SCRAPE_INTERVAL,
    AlertmanagerTiming,
    parse_duration,
)


@dataclass(frozen=True)
class Timing:
    name: str  # the DRIFTLINE_TIMING value that selects it
    scrape_interval: str
    evaluation_interval: str
    for_scale: float  # multiplies every alert rule's `for:`
    alertmanager: AlertmanagerTiming | None  # None: as committed
    exporter_interval_seconds: float
    exporter_window_seconds: float | None  # None: only the newest-N window
    reload_interval_seconds: float  # inference servers' registry poll
    retrain_cooldown_seconds: float
    retrain_window_seconds: float  # labelled predictions a retraining job uses
    traffic_rate: float
    label_delay_seconds: float
    steady_seconds: float
    # Stories whose labels come late (harmful-shift): longer than the
    # estimated-performance alert needs, so the estimate speaks first.
    late_label_delay_seconds: float = 0.0

    def alert_floor_seconds(self, rule_for: str) -> float:
        """Least time from a metric crossing its threshold to the webhook leaving Alertmanager."""
        group_wait = parse_duration(self.alertmanager.group_wait) if self.alertmanager else 30.0
        return (
            parse_duration(self.scrape_interval)
            + parse_duration(self.evaluation_interval)
            + max(1.0, parse_duration(rule_for) * self.for_scale)
            + group_wait
            + self.exporter_interval_seconds
        )


PRODUCTION = Timing(
    name="production",
    scrape_interval="15s",
    evaluation_interval="15s",
    for_scale=1.0,
    alertmanager=None,
    exporter_interval_seconds=15.0,
    exporter_window_seconds=3600.0,
    reload_interval_seconds=10.0,
    retrain_cooldown_seconds=3600.0,
    retrain_window_seconds=1200.0,
    traffic_rate=20.0,
    label_delay_seconds=30.0,
    steady_seconds=600.0,
    # 15m `for:` plus the window: the estimated alert fires long before.
    late_label_delay_seconds=3600.0,
)

# 15m `for:` becomes 5s. The labelled window is 12s of traffic at 40 requests/s:
# ~380 labels, well over the 200 the accuracy alert needs, and short enough that
# drifted traffic pulls its accuracy under the threshold within seconds.
FAST = Timing(
    name="fast",
    scrape_interval=FAST_SCRAPE_INTERVAL,
    evaluation_interval=FAST_EVALUATION_INTERVAL,
    for_scale=FAST_FOR_SCALE,
    alertmanager=FAST_ALERTMANAGER_TIMING,
    exporter_interval_seconds=1.0,
    exporter_window_seconds=12.0,
    reload_interval_seconds=1.0,
    retrain_cooldown_seconds=120.0,
    # Starts after drift onset when the alert fires (~15 s in): a window reaching back
    # into steady traffic trains a challenger on the old rule (docs/retrain-outcome.md).
    retrain_window_seconds=15.0,
    traffic_rate=40.0,
    label_delay_seconds=2.0,
    steady_seconds=30.0,
    # The estimated alert's floor here is ~10 s, plus the 12 s window filling with
    # shifted traffic; 40 s keeps every drifted label out until it has fired.
    late_label_delay_seconds=40.0,
)


TIMING_ENV = "DRIFTLINE_TIMING"
PROFILES = {t.name: t for t in (PRODUCTION, FAST)}


def timing_from_env(environ: Mapping[str, str]) -> Timing:
    """The profile named by DRIFTLINE_TIMING (``production`` unless set to ``fast``)."""
    name = environ.get(TIMING_ENV, "production")
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"{TIMING_ENV}={name!r}: choose one of {', '.join(PROFILES)}") from None
