"""The HTML report says which figures a version has: positive class, macro average, errors."""

from __future__ import annotations

from exporter.report_html import render
from tests.exporter.test_collector import FIXED


def test_report_names_the_average_and_shows_regression_errors() -> None:
    page = render(FIXED)
    assert "positive class: precision 0.7500" in page  # churn, binary
    assert "macro average: precision 0.6875" in page  # tier, 3 classes
    assert "class low: precision &ndash;, recall 0.0000" in page  # undefined is a dash
    assert "MAE 21500.5000 (holdout MAE 16000.0000)" in page  # houses, regression
    assert "R&sup2; -0.1250, mean error -18000.0000" in page
    assert "Predicted-value PSI: 0.3100, KS 0.2100" in page
