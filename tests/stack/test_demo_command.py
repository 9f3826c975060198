"""`driftline demo` as a user runs it: it starts the stack, says where everything listens,
and Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.stack_home import copy_home

pytestmark = pytest.mark.slow


def _listening(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def test_ctrl_c_stops_every_process(tmp_path: Path, stack_template: Path) -> None:
    home = copy_home(stack_template, tmp_path / "home")  # its models trained once, beforehand
    log = tmp_path / "demo.out"
    with log.open("w") as out:
        demo = subprocess.Popen(
            [sys.executable, "-m", "cli", "demo", "--fast", "--no-traffic",
             "--ephemeral-ports", "--home", str(home)],
            stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ), start_new_session=True,
            # Started with SIGINT ignored, as a shell's background job starts it: the
            # demo must still stop on Ctrl-C (and the suite passes however it is run).
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 400
        while "stack is up" not in log.read_text():
            assert demo.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the stack did not come up in time"
            time.sleep(1)
        text = log.read_text()
        addresses = {
            (host, int(port)) for host, port in re.findall(r"http://(127\.0\.0\.1):(\d+)", text)
        }
        # MLflow, two inference servers, exporter, PHP receiver and router, Prometheus,
        # Alertmanager
        assert len(addresses) == 8, text
        assert all(_listening(*a) for a in addresses)
        for what in ("Prometheus", "Alertmanager", "PHP receiver", "PHP router", "exporter",
                     "/report"):  # fmt: skip
            assert what in text

        demo.send_signal(signal.SIGINT)  # what Ctrl-C sends to the foreground process
        assert demo.wait(timeout=60) == 0
        assert "all processes stopped" in log.read_text()
        still_listening = [a for a in addresses if _listening(*a)]
        assert not still_listening, f"left running: {still_listening}"
    finally:
        # On a failed assertion the demo still gets its clean shutdown: its servers run in
        # sessions of their own, which a SIGKILL of the demo would leave behind.
        if demo.poll() is None:
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(demo.pid, signal.SIGKILL)


def test_a_price_scenario_runs_the_houses_model_and_watches_its_error(tmp_path: Path) -> None:
    from driftline.monitoring_render import alert_for, load_thresholds
    from driftline.timing import FAST
    from stack.native import StackOptions
    from stack.quality import QUALITY
    from traffic.scenarios import SCENARIOS, scenario

    options = StackOptions(tmp_path, FAST, scenario("inflation", FAST.steady_seconds))
    assert (options.model_name, options.scenario.task) == ("houses", "regression")
    assert StackOptions(tmp_path, FAST, scenario("steady", 1.0)).model_name == "churn"
    thresholds = load_thresholds()
    error, accuracy = QUALITY["regression"], QUALITY["classification"]
    assert (error.threshold, accuracy.threshold) == (
        thresholds["mae_ratio_max"], thresholds["accuracy_min"],
    )  # fmt: skip
    for quality in QUALITY.values():
        alert_for(quality.alertname)  # a committed rule of that name
    # Past the line is exactly the alert's comparison and its guard; healthy is the
    # comparison's negation under the same guard.
    mae_guard = f" >= {thresholds['mae_min_labelled_samples']:g}"
    accuracy_guard = f" >= {thresholds['accuracy_min_labelled_samples']:g}"
    for promql, comparison, guard in (
        (error.degraded("houses", "1"), "> 1.25 and", mae_guard),
        (error.healthy("houses", "1"), "<= 1.25 and", mae_guard),
        (accuracy.degraded("churn", "1"), "< 0.75 and", accuracy_guard),
    ):
        assert comparison in promql and promql.endswith(guard), promql
    assert {"inflation", "new-market", "steady-prices"} <= set(SCENARIOS)
