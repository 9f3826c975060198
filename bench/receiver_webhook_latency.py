"""Latency of the PHP receiver's POST /alerts against GET /health on the same `php -S`.

Run: .venv/bin/python php/bench/webhook_latency.py [--requests 200]

Prints medians and p95 in milliseconds and the ratio to the /health baseline
measured in the same run (the machine is shared and noisy: compare ratios).
Starts its own `php -S` on a free loopback port with a throwaway DRIFTLINE_HOME.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import tempfile
import time
from pathlib import Path

from stack.processes import free_port
from tests.php.conftest import PHP_DIR, TOKEN, alert, notification, receiver_env
from tests.support.processes import running


def timed(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> tuple[float, int]:
    """One request written in a single send, timed to the last byte of the answer.

    urllib writes headers and body in two sends, and Nagle's algorithm with delayed
    ACKs then adds tens of milliseconds that belong to the client, not the server.
    """
    host, port = url.removeprefix("http://").split("/", 1)[0].split(":")
    path = "/" + url.removeprefix("http://").split("/", 1)[1]
    payload = body or b""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {len(payload)}\r\n\r\n"
    start = time.perf_counter()
    with socket.create_connection((host, int(port))) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sendall(head.encode() + payload)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    elapsed = (time.perf_counter() - start) * 1000
    return elapsed, int(answer.split(b" ", 2)[1])


def summary(name: str, ms: list[float], baseline: float | None) -> str:
    median = statistics.median(ms)
    p95 = statistics.quantiles(ms, n=20)[18]
    ratio = f"  x{median / baseline:.2f} of /health" if baseline else ""
    return f"{name:<28} median {median:7.2f} ms  p95 {p95:7.2f} ms{ratio}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    n = parser.parse_args().requests
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = receiver_env(home, PHP_CLI_SERVER_WORKERS="1")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        argv = ["php", "-S", f"127.0.0.1:{port}", "-t", str(PHP_DIR / "public")]
        with running(argv, ready_url=f"{url}/health", log=home / "php.log", env=env):
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
            health = [timed("GET", f"{url}/health", None, {})[0] for _ in range(n)]
            queued, duplicate = [], []
            for i in range(n):
                body = json.dumps(notification(alert(model=f"model-{i}"))).encode()
                ms, status = timed("POST", f"{url}/alerts", body, headers)
                assert status == 202, status
                queued.append(ms)
                ms, status = timed("POST", f"{url}/alerts", body, headers)
                assert status == 200, status
                duplicate.append(ms)
    base = statistics.median(health)
    print(f"{n} requests each, sequential, php -S with one worker")
    print(summary("GET /health (baseline)", health, None))
    print(summary("POST /alerts -> 202 queued", queued, base))
    print(summary("POST /alerts -> 200 duplicate", duplicate, base))


if __name__ == "__main__":
    main()
