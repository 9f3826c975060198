"""An HTTP sink that records Alertmanager webhook notifications.

It stands in for the PHP receiver only in the alert delivery test, which checks
what Alertmanager sends (the receiver's own handling is tested in tests/php).
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Notification:
    path: str
    authorization: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Sink:
    url: str  # base URL, http://127.0.0.1:port
    received: queue.Queue[Notification]

    def next(self, timeout: float) -> Notification:
        try:
            return self.received.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no webhook notification within {timeout}s") from None


@contextmanager
def webhook_sink() -> Iterator[Sink]:
    received: queue.Queue[Notification] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            received.put(
                Notification(self.path, self.headers.get("Authorization"), json.loads(body))
            )
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Sink(f"http://127.0.0.1:{server.server_address[1]}", received)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
