"""Start a real server process for a test, wait until it answers, and always stop it.

The mechanics are the native stack's own (stack/processes.py): one process
group per server, output to a log, SIGTERM then SIGKILL.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stack.processes import spawn, stop, wait_ready


@contextmanager
def running(
    argv: Sequence[str],
    *,
    ready_url: str | None,
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60.0,
) -> Iterator[subprocess.Popen[Any]]:
    """Run ``argv`` in its own process group with output in ``log``; stop it on exit."""
    service = spawn(
        Path(argv[0]).name,
        argv,
        env=dict(os.environ if env is None else env),
        log=log,
        cwd=cwd or Path.cwd(),
    )
    try:
        if ready_url is not None:
            wait_ready(service, ready_url, timeout)
        yield service.proc
    finally:
        stop(service)
