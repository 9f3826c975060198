"""Headless Debian chromium (scripts/install.sh) driven through Playwright, and a report server.

Playwright only drives the browser: it downloads nothing, the executable is the
system one. Every request the page makes that is not to ``allowed_origin`` is
refused and recorded, so a test can prove a page works offline.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from exporter.history import CycleHistory
from exporter.results import CycleResults
from exporter.server import make_server
from stack.processes import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"


def chromium_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists()


@dataclass
class OfflinePage:
    page: Page
    refused: list[str] = field(default_factory=list)  # URLs outside the allowed origin


@contextmanager
def offline_page(
    allowed_origin: str, width: int = 1400, height: int = 1000
) -> Iterator[OfflinePage]:
    from playwright.sync_api import Route, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, chromium_sandbox=False
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            out = OfflinePage(page)

            def guard(route: Route) -> None:
                if route.request.url.startswith(allowed_origin):
                    route.continue_()
                else:
                    out.refused.append(route.request.url)
                    route.abort()

            page.route("**/*", guard)
            yield out
        finally:
            browser.close()


@contextmanager
def report_server(results: CycleResults, history: CycleHistory) -> Iterator[str]:
    """The exporter's HTTP server over fixed results, on a free loopback port; yields its URL."""
    port = free_port()
    server = make_server("127.0.0.1", port, lambda: b"", lambda: results, history=history)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
