"""The real worker (`php php/bin/worker.php`) running a real command on the receiver's queue."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.php.conftest import PHP_DIR, Receiver, alert, notification
from tests.support.eventually import eventually

STAND_IN = Path(__file__).with_name("retrain_stand_in.py")


def _worker_env(receiver: Receiver, mode: str, **extra: str) -> dict[str, str]:
    return {
        "DRIFTLINE_RETRAIN_COMMAND": f"{sys.executable} {STAND_IN}",
        "STAND_IN_MODE": mode,
        "STAND_IN_DIR": str(receiver.home),
        "DRIFTLINE_WORKER_POLL_SECONDS": "0.2",
        **extra,
    }


def _queue_one(receiver: Receiver) -> int:
    answer = receiver.post_alerts(notification(alert()))
    assert answer.status == 202, answer.body
    job_id: int = answer.json()["jobs"][0]["job_id"]
    return job_id


def test_once_runs_a_job_to_success_with_outcome_and_log(receiver: Receiver) -> None:
    job_id = _queue_one(receiver)

    done = receiver.worker("--once", env=_worker_env(receiver, "succeed"))

    assert done.returncode == 0, done.stderr
    job = receiver.job(job_id)
    assert job["state"] == "succeeded"
    assert (job["exit_code"], job["attempts"], job["model_version"], job["promotion"]) == (
        0,
        1,
        "7",
        "promoted",
    )
    assert job["outcome"]["figures"]["margin"] == 0.04
    assert "challenger roc_auc 0.91" in job["output_tail"]
    log = Path(job["log_path"]).read_text()
    assert f"retraining churn for job {job_id}, attempt 1" in log
    empty = receiver.worker("--once", env=_worker_env(receiver, "succeed"))
    assert empty.returncode == 0, "an empty queue is not an error"


def test_the_worker_and_the_dashboard_page_name_the_gates_metric(receiver: Receiver) -> None:
    answer = receiver.post_alerts(notification(alert("DriftlineModelErrorHigh", model="houses")))
    job_id = answer.json()["jobs"][0]["job_id"]

    done = receiver.worker("--once", env=_worker_env(receiver, "succeed-regression"))

    assert done.returncode == 0, done.stderr
    said = (
        f"job {job_id}: succeeded (exit 0), promoted; mae: challenger 23706.2, "
        "champion 49473.4 (lower is better, margin 1% of champion's)"
    )
    assert said in done.stderr
    assert receiver.job(job_id)["outcome"]["figures"]["metric"] == "mae"
    page = receiver.get("/").body.decode()
    assert '<td class="gate">mae: challenger 23706.2, champion 49473.4 (lower is better' in page


def test_a_failing_retrain_command_fails_the_job_with_its_output_tail(receiver: Receiver) -> None:
    job_id = _queue_one(receiver)

    receiver.worker("--once", env=_worker_env(receiver, "fail"))

    job = receiver.job(job_id)
    assert (job["state"], job["exit_code"], job["promotion"]) == ("failed", 3, "failed")
    assert "ValueError: no labelled rows in the window" in job["output_tail"]
    assert "exited with code 3: no labelled rows" in job["error"]
    metrics = receiver.get("/metrics").body.decode()
    assert 'driftline_retrain_jobs{state="failed"} 1' in metrics


@pytest.mark.slow
def test_a_worker_killed_mid_job_leaves_the_job_requeued_and_it_finishes(
    receiver: Receiver,
) -> None:
    job_id = _queue_one(receiver)
    env = {
        **receiver.env,
        **_worker_env(
            receiver,
            "hang-once",
            DRIFTLINE_JOB_STALE_SECONDS="1.5",
            DRIFTLINE_JOB_HEARTBEAT_SECONDS="0.3",
        ),
    }
    worker = subprocess.Popen(
        ["php", str(PHP_DIR / "bin" / "worker.php")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        eventually(
            lambda: (receiver.home / f"running-{job_id}").exists(), 30, "the command to start"
        )
        assert receiver.job(job_id)["state"] == "running"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert receiver.job(job_id)["state"] == "running", "nobody has noticed the crash yet"

    # A fresh worker takes the job back once its heartbeat is stale.
    def finished() -> bool:
        receiver.worker("--once", env=env)
        return bool(receiver.job(job_id)["state"] == "succeeded")

    eventually(finished, 60, "the re-queued job to finish")
    job = receiver.job(job_id)
    assert job["attempts"] == 2
    log = Path(job["log_path"]).read_text()
    assert "attempt 1" in log and "attempt 2" in log


@pytest.mark.slow
def test_sigterm_requeues_the_running_job_and_exits_cleanly(receiver: Receiver) -> None:
    job_id = _queue_one(receiver)
    env = {**receiver.env, **_worker_env(receiver, "hang-once")}
    worker = subprocess.Popen(
        ["php", str(PHP_DIR / "bin" / "worker.php")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        eventually(
            lambda: (receiver.home / f"running-{job_id}").exists(), 30, "the command to start"
        )
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    assert worker.returncode == 0, stderr
    assert "re-queued" in stderr
    job = receiver.job(job_id)
    assert (job["state"], job["attempts"]) == ("queued", 0)
    pid = int((receiver.home / f"running-{job_id}").read_text())
    eventually(lambda: _gone(pid), 15, "the retrain command to end with its worker")


def _gone(pid: int) -> bool:
    """No such process, or only a zombie waiting for its reaper."""
    try:
        return ") Z " in Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
