"""The exporter's HTTP endpoints: ``/`` (index), ``/metrics``, ``/report``, ``/healthz``."""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST

from exporter.report_html import render
from exporter.results import CycleResults

INDEX = (
    "<!doctype html><html><head><meta charset='utf-8'><title>driftline exporter</title></head>"
    "<body><h1>driftline drift exporter</h1><ul>"
    "<li><a href='/metrics'>/metrics</a>: Prometheus metrics</li>"
    "<li><a href='/report'>/report</a>: drift report of the current window</li>"
    "<li><a href='/healthz'>/healthz</a>: liveness</li></ul></body></html>"
)


def make_server(
    host: str, port: int, metrics: Callable[[], bytes], results: Callable[[], CycleResults]
) -> ThreadingHTTPServer:
    """``metrics`` renders the /metrics body (collector.MetricsPage); ``results`` the report."""

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, metrics(), CONTENT_TYPE_LATEST)
            elif path == "/report":
                self._send(200, render(results()).encode(), "text/html; charset=utf-8")
            elif path == "/":
                self._send(200, INDEX.encode(), "text/html; charset=utf-8")
            elif path == "/healthz":
                r = results()
                body: dict[str, object] = {
                    "status": "ok",
                    "last_success": r.last_success_at,
                    "errors": r.errors,
                }
                self._send(200, json.dumps(body).encode(), "application/json")
            else:
                body = {"error": f"no such page: {path}", "pages": ["/", "/metrics", "/report"]}
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
