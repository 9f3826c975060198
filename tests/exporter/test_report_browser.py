"""The drift report in headless Chromium: every feature has its charts, the page works offline.

Screenshots land in test-artifacts/ (report-full.png, report-drifted-feature.png).
How fast the page renders is measured by bench/report_render.py, not asserted here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from exporter.history import CycleHistory
from exporter.results import CycleResults
from tests.exporter.report_data import report_results
from tests.support.browser import (
    ARTIFACTS,
    OfflinePage,
    chromium_available,
    offline_page,
    report_server,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="chromium or playwright missing"),
]

# Per feature card: rendered size of its window bars and whether it has a history line.
CARD_FACTS = """
() => [...document.querySelectorAll('section.feature')].map(card => ({
  feature: card.dataset.feature,
  verdict: card.dataset.verdict,
  version: card.closest('[data-version]').dataset.version,
  windowBars: [...card.querySelectorAll('svg.bars rect.window')]
      .map(r => r.getBoundingClientRect().height),
  referenceBars: [...card.querySelectorAll('svg.bars rect.reference')]
      .map(r => r.getBoundingClientRect().height),
  historyLines: card.querySelectorAll('svg.history polyline.series').length,
  levelLines: card.querySelectorAll('svg.history line.level').length,
}))
"""


@pytest.fixture(scope="module")
def report() -> tuple[CycleResults, CycleHistory]:
    return report_results(versions=3, cycles=30)


@pytest.fixture(scope="module")
def browser_page(report: tuple[CycleResults, CycleHistory]) -> Iterator[OfflinePage]:
    with report_server(*report) as base, offline_page(base) as page:
        page.page.goto(f"{base}/report", wait_until="load")
        yield page


def test_every_feature_of_every_version_has_its_charts(
    report: tuple[CycleResults, CycleHistory], browser_page: OfflinePage
) -> None:
    results, _ = report
    cards = browser_page.page.evaluate(CARD_FACTS)
    expected = {(v.version, f.name) for v in results.versions for f in v.features}
    assert {(c["version"], c["feature"]) for c in cards} == expected
    assert len(cards) == 60  # 3 versions x 20 features
    for card in cards:
        name = f"v{card['version']} {card['feature']}"
        assert card["windowBars"] and max(card["windowBars"]) > 0, name
        assert max(card["referenceBars"]) > 0, name
        assert card["historyLines"] >= 1, name
        assert card["levelLines"] >= 1, name


def test_cards_show_the_exporters_verdict(
    report: tuple[CycleResults, CycleHistory], browser_page: OfflinePage
) -> None:
    results, _ = report
    cards = browser_page.page.evaluate(CARD_FACTS)
    shown = {(c["version"], c["feature"]): c["verdict"] for c in cards}
    for v in results.versions:
        for f in v.features:
            assert shown[(v.version, f.name)] == ("drift" if f.drift else "ok"), (v.version, f.name)
    assert shown[("2", "monthly_charges")] == "drift"
    assert shown[("3", "contract_type")] == "drift"


def test_unseen_category_bar_shows_in_the_window(browser_page: OfflinePage) -> None:
    card = browser_page.page.locator(
        "[data-version='3'] section.feature[data-feature='contract_type']"
    )
    unseen = card.locator("svg.bars rect.window").last
    assert unseen.bounding_box()["height"] > 0  # type: ignore[index]


def test_the_page_loads_nothing_from_elsewhere_and_is_screenshotted(
    browser_page: OfflinePage,
) -> None:
    assert browser_page.refused == []
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser_page.page
    page.screenshot(path=str(ARTIFACTS / "report-full.png"), full_page=True)
    drifted = page.locator("[data-version='2'] section.feature[data-feature='monthly_charges']")
    drifted.screenshot(path=str(ARTIFACTS / "report-drifted-feature.png"))
    assert (ARTIFACTS / "report-full.png").stat().st_size > 10_000
