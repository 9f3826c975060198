"""The stack's timing profiles and the configuration it renders, checked by promtool/amtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from driftline.monitoring_render import alert_for, load_thresholds
from driftline.timing import FAST, PRODUCTION, timing_from_env
from stack import topology
from stack.render import render_stack_config


def test_profiles_are_selected_by_name() -> None:
    assert timing_from_env({}) is PRODUCTION
    assert timing_from_env({"DRIFTLINE_TIMING": "fast"}) is FAST
    with pytest.raises(ValueError, match="DRIFTLINE_TIMING='quick'"):
        timing_from_env({"DRIFTLINE_TIMING": "quick"})


def test_alert_floor_adds_up_the_intervals() -> None:
    # exporter cycle 1 + scrape 1 + evaluation 1 + for 15m/180 = 5 + group_wait 1
    assert alert_for("DriftlineModelAccuracyLow") == "15m"
    assert FAST.alert_floor_seconds("15m") == pytest.approx(9.0)
    assert PRODUCTION.alert_floor_seconds("15m") == pytest.approx(15 + 15 + 900 + 30 + 15)


def test_fast_window_holds_enough_labels_for_the_accuracy_guard() -> None:
    assert FAST.exporter_window_seconds is not None
    labelled = (FAST.exporter_window_seconds - FAST.label_delay_seconds) * FAST.traffic_rate * 0.95
    assert labelled >= 1.5 * load_thresholds()["accuracy_min_labelled_samples"]


def _render(tmp_path: Path, dns: dict[str, int] | None) -> tuple[Path, Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    token = tmp_path / "token"
    token.write_text("t")
    addresses = {s.name: [f"{s.name}:{s.port}"] for s in topology.SERVICES if s.port}
    return render_stack_config(
        tmp_path / "out", addresses=addresses, token_file=token, timing=FAST, dns_discovered=dns
    )


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (prometheus) missing")
def test_rendered_configs_pass_promtool_and_amtool(tmp_path: Path) -> None:
    prometheus_yml, alertmanager_yml = _render(tmp_path, {"serving-champion": 8000})
    check = subprocess.run(
        ["promtool", "check", "config", str(prometheus_yml)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    amtool = subprocess.run(
        ["amtool", "check-config", str(alertmanager_yml)], capture_output=True, text=True
    )
    assert amtool.returncode == 0, amtool.stdout + amtool.stderr


def test_dns_discovered_champion_leaves_the_file_targets(tmp_path: Path) -> None:
    prometheus_yml, _ = _render(tmp_path, {"serving-champion": 8000})
    config = yaml.safe_load(prometheus_yml.read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "driftline-serving"]
    assert job["dns_sd_configs"][0]["names"] == ["serving-champion"]
    assert {r["target_label"] for r in job["relabel_configs"]} == {"deployment", "model"}
    targets = (prometheus_yml.parent / "targets" / "serving.json").read_text()
    assert "serving-challenger:8001" in targets and "serving-champion" not in targets

    plain, _ = _render(tmp_path / "plain", None)
    plain_job = next(
        j for j in yaml.safe_load(plain.read_text())["scrape_configs"]
        if j["job_name"] == "driftline-serving"
    )  # fmt: skip
    assert "dns_sd_configs" not in plain_job


def test_render_config_points_runbook_links_at_the_configured_base(tmp_path: Path) -> None:
    from driftline.runbooks import RUNBOOK_BASE_URL_ENV
    from tests.support.driftline_command import run_driftline

    token = tmp_path / "token"
    token.write_text("t\n")
    base = "https://runbooks.example.org/driftline.md"
    args = ("stack", "render-config", "--out", str(tmp_path / "out"), "--token-file", str(token))
    done = run_driftline({RUNBOOK_BASE_URL_ENV: base}, *args)
    assert done.returncode == 0, done.stderr
    rules = yaml.safe_load((tmp_path / "out/alerting/rules/driftline-alerts.yml").read_text())
    urls = {r["annotations"]["runbook_url"] for g in rules["groups"] for r in g["rules"]}
    assert f"{base}#driftlinefeaturedriftdetected" in urls
    assert all(u.startswith(base + "#") for u in urls)
    refused = run_driftline({RUNBOOK_BASE_URL_ENV: "docs/runbooks.md"}, *args)
    assert refused.returncode == 2
    assert f"{RUNBOOK_BASE_URL_ENV}: runbook base URL must be an absolute" in refused.stderr


def test_two_models_are_scraped_with_their_own_labels(tmp_path: Path) -> None:
    """Each model's pair of servers under its model label; in compose the first model's
    champion replicas are found by DNS and relabelled with the right model too."""
    prometheus_yml, _ = render_stack_config(
        tmp_path / "out",
        addresses={s.name: [f"{s.name}:{s.port}"] for s in topology.SERVICES if s.port},
        token_file=tmp_path / "token",
        timing=FAST,
        models=topology.DEMO_MODELS,
        dns_discovered={"serving-champion": 8000},
    )
    groups = yaml.safe_load((prometheus_yml.parent / "targets" / "serving.json").read_text())
    labelled = {g["targets"][0]: (g["labels"]["model"], g["labels"]["deployment"])
                for g in groups}  # fmt: skip
    assert labelled == {
        "serving-challenger:8001": ("churn", "challenger"),
        "serving-champion-houses:8010": ("houses", "champion"),
        "serving-challenger-houses:8011": ("houses", "challenger"),
    }
    config = yaml.safe_load(prometheus_yml.read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "driftline-serving"]
    relabelled = {(r["target_label"], r["replacement"]) for r in job["relabel_configs"]
                  if r.get("regex") == "serving-champion"}  # fmt: skip
    assert relabelled == {("model", "churn"), ("deployment", "champion")}
