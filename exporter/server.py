"""The exporter's HTTP endpoints: ``/`` (index), ``/metrics``, ``/report``,
``/report/evidently``, ``/healthz``."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST

from exporter.evidently_page import EvidentlyPages, NotAvailableNow, UnknownVersion
from exporter.history import CycleHistory
from exporter.report_html import ReportPage
from exporter.results import CycleResults
from exporter.stats.verdict import VerdictRule

HTML = "text/html; charset=utf-8"
PAGES = ["/", "/metrics", "/report", "/report/evidently", "/healthz"]

INDEX = (
    "<!doctype html><html><head><meta charset='utf-8'><title>driftline exporter</title></head>"
    "<body><h1>driftline drift exporter</h1><ul>"
    "<li><a href='/metrics'>/metrics</a>: Prometheus metrics</li>"
    "<li><a href='/report'>/report</a>: drift report of the current window</li>"
    "<li>/report/evidently?model=NAME&amp;version=N: Evidently's report of a version's window</li>"
    "<li><a href='/healthz'>/healthz</a>: liveness</li></ul></body></html>"
)


def make_server(
    host: str,
    port: int,
    metrics: Callable[[], bytes],
    results: Callable[[], CycleResults],
    *,
    history: CycleHistory | None = None,
    rule: VerdictRule | None = None,
    evidently: EvidentlyPages | None = None,
) -> ThreadingHTTPServer:
    """``metrics`` renders the /metrics body (collector.MetricsPage); ``results``,
    ``history`` and ``rule`` the report; ``evidently`` the Evidently page (404 without)."""
    report = ReportPage(results, history, rule)

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, body: dict[str, object]) -> None:
            self._send(status, json.dumps(body).encode(), "application/json")

        def _evidently(self, query: str) -> None:
            params = urllib.parse.parse_qs(query)
            missing = [k for k in ("model", "version") if not params.get(k, [""])[0]]
            if missing:
                self._json(400, {"error": f"missing query parameter(s): {', '.join(missing)}",
                                 "example": "/report/evidently?model=churn&version=1"})  # fmt: skip
                return
            if evidently is None:
                self._json(404, {"error": "this exporter has no Evidently page configured"})
                return
            try:
                page = evidently.page(params["model"][0], params["version"][0])
            except UnknownVersion as exc:
                self._json(404, {"error": str(exc)})
                return
            except NotAvailableNow as exc:
                self._json(503, {"error": str(exc)})
                return
            self._send(200, page.encode(), HTML)

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            if path == "/metrics":
                self._send(200, metrics(), CONTENT_TYPE_LATEST)
            elif path == "/report":
                self._send(200, report(), HTML)
            elif path == "/report/evidently":
                self._evidently(query)
            elif path == "/":
                self._send(200, INDEX.encode(), HTML)
            elif path == "/healthz":
                r = results()
                body: dict[str, object] = {
                    "status": "ok",
                    "last_success": r.last_success_at,
                    "errors": r.errors,
                }
                self._send(200, json.dumps(body).encode(), "application/json")
            else:
                body = {"error": f"no such page: {path}", "pages": PAGES}
                self._send(404, json.dumps(body).encode(), "application/json")

        def _not_allowed(self) -> None:
            body = {
                "error": f"method {self.command} not allowed; the exporter is read-only",
                "allowed": ["GET"],
            }
            self._send(405, json.dumps(body).encode(), "application/json")

        do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed

        def log_message(self, format: str, *args: object) -> None:
            pass  # scrapes every second would flood the log

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
