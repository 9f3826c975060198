"""Start the real inference server (gunicorn, several workers) for a test."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

import requests
from prometheus_client.parser import text_string_to_metric_families

from serving.cli import gunicorn_command
from stack.processes import free_port
from tests.serving.conftest import ADMIN_TOKEN
from tests.support.processes import running


@dataclass(frozen=True)
class LiveServer:
    url: str
    proc: Popen[bytes]
    prediction_db_url: str
    run_dir: Path
    log: Path

    def metric(self, name: str, **labels: str) -> float:
        """Sum of the samples of ``name`` with ``labels``, over all workers."""
        text = requests.get(f"{self.url}/metrics", timeout=10).text
        total = 0.0
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                    total += s.value
        return total

    def worker_pids(self, want: int, tries: int = 200) -> set[int]:
        """Pids answering /health on fresh connections, until ``want`` distinct ones are seen."""
        pids: set[int] = set()
        for _ in range(tries):
            pids.add(requests.get(f"{self.url}/health", timeout=10).json()["pid"])
            if len(pids) >= want:
                break
        return pids


@contextmanager
def live_server(
    store_env: Mapping[str, str],
    tmp_path: Path,
    *,
    workers: int = 2,
    threads: int = 4,
    extra_env: Mapping[str, str] | None = None,
    version: str | None = None,
    name: str = "a",
) -> Iterator[LiveServer]:
    """A server on a free port; servers started with the same ``tmp_path`` share one
    prediction log and differ by ``name`` (run directory, log file)."""
    port = free_port()
    args = argparse.Namespace(host="127.0.0.1", port=port, workers=workers, threads=threads,
                              model_version=version, alias=None, name=None)  # fmt: skip
    argv, _ = gunicorn_command(args)
    db_url = f"sqlite:///{tmp_path / 'predictions.db'}"
    run_dir = tmp_path / f"run-{name}"
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(store_env)
    env.update(
        {
            "DRIFTLINE_PREDICTION_DB": db_url,
            "DRIFTLINE_RUN_DIR": str(run_dir),
            "DRIFTLINE_ADMIN_TOKEN": ADMIN_TOKEN,
            "DRIFTLINE_SERVE_BIND": f"127.0.0.1:{port}",
            "DRIFTLINE_SERVE_WORKERS": str(workers),
            "DRIFTLINE_SERVE_THREADS": str(threads),
        }
    )
    if version is not None:
        env["DRIFTLINE_SERVE_VERSION"] = version
    env.update(extra_env or {})
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / f"gunicorn-{name}.log"
    with running(argv, ready_url=f"{url}/ready", log=log, env=env, timeout=90) as proc:
        server = LiveServer(url, proc, db_url, run_dir, log)
        # /ready answered for one worker; wait until every worker has loaded its model.
        deadline = time.monotonic() + 60
        while server.metric("driftline_model_reloads_total", outcome="swapped") < workers:
            if time.monotonic() > deadline:
                raise AssertionError(f"not every worker loaded a model: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield server
