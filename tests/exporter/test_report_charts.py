"""The report's pieces: bucket labels and shares, SVG marks, the history ring."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from exporter.distribution import UNSEEN, bin_labels, categorical_distribution
from exporter.history import QUALITY_SERIES, CycleHistory
from exporter.prepared import PreparedCategorical
from exporter.report_svg import bar_chart, line_chart
from exporter.results import CycleResults, Distribution
from exporter.stats.estimation import Band, EstimatedPerformance
from tests.exporter.test_collector import FIXED


def test_bin_labels_follow_the_right_closed_reference_bins() -> None:
    assert bin_labels(np.array([1.0, 2.5])) == ("≤ 1", "1 to 2.5", "> 2.5")
    assert bin_labels(np.array([])) == ("all values",)


def test_categorical_distribution_ends_with_the_unseen_bucket() -> None:
    ref = PreparedCategorical("plan", ("a", "b"), np.array([0.75, 0.25, 0.0]))
    dist = categorical_distribution(ref, np.array([1, 2, 1]))
    assert dist.buckets == ("a", "b", UNSEEN)
    assert dist.reference == (0.75, 0.25, 0.0)
    assert dist.window == (0.25, 0.5, 0.25)
    empty = categorical_distribution(ref, np.array([0, 0, 0]))
    assert empty.window == (0.0, 0.0, 0.0)


def _heights(svg: str, which: str) -> list[float]:
    return [float(h) for h in re.findall(rf'class="bar {which}"[^>]*height="([0-9.]+)"', svg)]


def test_bar_heights_are_proportional_to_the_shares() -> None:
    svg = bar_chart(Distribution(("x", "y", "unseen"), (0.5, 0.5, 0.0), (0.25, 0.5, 0.25)))
    ref, win = _heights(svg, "reference"), _heights(svg, "window")
    assert ref[2] == 0 and win[2] > 0
    assert ref[0] == pytest.approx(ref[1]) == pytest.approx(win[1])
    assert win[0] == pytest.approx(ref[0] / 2, abs=0.1)
    assert "<title>unseen: window 25.0%</title>" in svg


def test_a_missing_figure_breaks_the_line_and_levels_are_drawn() -> None:
    svg = line_chart(
        [0.0, 1.0, 2.0, 3.0, 4.0],
        {"PSI": [0.1, 0.2, None, 0.3, 0.3], "empty": [None] * 5},
        levels={"limit": 0.2},
    )
    assert svg.count('data-series="PSI"') == 2  # two runs either side of the gap
    assert "empty" not in svg  # a series with no value at all is left out
    assert svg.count('class="level"') == 1
    assert "PSI 0.3" in svg  # the legend shows the latest value
    assert "no figures yet" in line_chart([], {"PSI": []})


def test_history_keeps_one_point_per_published_cycle_up_to_capacity() -> None:
    history = CycleHistory(capacity=3)
    for at in range(5):
        history.record(CycleResults(versions=FIXED.versions[:1], last_run_at=float(at)))
    churn = FIXED.versions[0]
    points = history.of(churn.model, churn.version)
    assert [p.at for p in points] == [2.0, 3.0, 4.0]
    assert points[-1].quality["accuracy (realized)"] == churn.performance.accuracy  # type: ignore[union-attr]
    assert set(points[-1].quality) == {name for name, _ in QUALITY_SERIES}
    # A failed cycle republishes the same versions: not a new point.
    same = CycleResults(versions=FIXED.versions[:1], last_run_at=9.0)
    history.record(same)
    history.record(CycleResults(versions=same.versions, last_run_at=10.0))
    assert [p.at for p in history.of(churn.model, churn.version)] == [3.0, 4.0, 9.0]
    # A version that left the windows leaves the history.
    history.record(CycleResults(versions=(), last_run_at=11.0))
    assert history.of(churn.model, churn.version) == ()
    with pytest.raises(ValueError, match="capacity"):
        CycleHistory(0)


def test_estimated_accuracy_is_a_history_line_of_its_own() -> None:
    churn = replace(
        FIXED.versions[0],
        estimated_performance=EstimatedPerformance(
            samples=900,
            accuracy=Band(0.71, 0.66, 0.76),
            precision=None,
            recall=None,
            f1=None,
            roc_auc=None,
            calibration_error=0.02,
        ),
    )
    history = CycleHistory(capacity=2)
    history.record(CycleResults(versions=(churn,), last_run_at=1.0))
    (p,) = history.of(churn.model, churn.version)
    assert p.quality["accuracy (estimated)"] == 0.71
    assert p.quality["accuracy (realized)"] == churn.performance.accuracy  # type: ignore[union-attr]
    assert p.quality["MAE (estimated)"] is None
