"""Start a real server process for a test, wait until it answers, and always stop it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path


class ServerDidNotStart(RuntimeError):
    pass


def wait_http(
    url: str,
    timeout: float = 30.0,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
    ok_statuses: tuple[int, ...] = (200,),
) -> None:
    """Poll ``url`` until it answers with one of ``ok_statuses``."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise ServerDidNotStart(f"process exited with {proc.returncode}: {tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status in ok_statuses:
                    return
                last = resp.status
        except urllib.error.HTTPError as exc:
            if exc.code in ok_statuses:
                return
            last = exc.code
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise ServerDidNotStart(f"{url} did not answer in {timeout}s (last: {last}) {tail}")


def stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@contextmanager
def running(
    argv: Sequence[str],
    *,
    ready_url: str | None,
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` in its own process group with output in ``log``; stop it on exit."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(os.environ if env is None else env),
            cwd=cwd,
            start_new_session=True,
        )
    try:
        if ready_url is not None:
            wait_http(ready_url, timeout=timeout, proc=proc, log=log)
        yield proc
    finally:
        stop(proc)
