"""gunicorn.conf.py: what a worker inherits from the arbiter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from serving.cli import CONFIG_FILE

# Like gunicorn: the arbiter executes the config file, a worker forks from it
# and only then imports scikit-learn (and with it the OpenMP runtime).
_ARBITER_THEN_WORKER = f"""
import json, os, runpy, sys
runpy.run_path({str(CONFIG_FILE)!r})
child = os.fork()
if child == 0:
    import sklearn.ensemble  # noqa: F401
    from threadpoolctl import threadpool_info
    pools = [p for p in threadpool_info() if p["user_api"] == "openmp"]
    print(json.dumps([p["num_threads"] for p in pools]), flush=True)
    os._exit(0)
os.waitpid(child, 0)
"""


def _openmp_threads_in_a_worker(tmp_path: Path, environ: dict[str, str]) -> list[int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRIFTLINE_", "OMP_"))}
    env.update(environ, DRIFTLINE_HOME=str(tmp_path), DRIFTLINE_RUN_DIR=str(tmp_path / "run"))
    out = subprocess.run(
        [sys.executable, "-c", _ARBITER_THEN_WORKER],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    threads: list[int] = json.loads(out.stdout.strip().splitlines()[-1])
    return threads


def test_a_worker_predicts_with_one_openmp_thread(tmp_path: Path) -> None:
    assert _openmp_threads_in_a_worker(tmp_path, {}) == [1]


def test_an_explicit_omp_num_threads_wins(tmp_path: Path) -> None:
    assert _openmp_threads_in_a_worker(tmp_path, {"OMP_NUM_THREADS": "2"}) == [2]
