"""The real PHP receiver (`php -S`) driven with Alertmanager webhook payloads."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from tests.php.conftest import Receiver, alert, notification


def _counts(receiver: Receiver) -> dict[str, int]:
    with receiver.db() as db:
        return dict(db.execute("SELECT outcome, count FROM webhook_outcomes").fetchall())


def test_a_retrain_alert_queues_one_job_and_answers_202(receiver: Receiver) -> None:
    answer = receiver.post_alerts(
        notification(alert("DriftlineFeatureDrift"), alert("DriftlineAccuracyDrop"))
    )

    assert answer.status == 202, answer.body
    body = answer.json()
    assert body["status"] == "queued"
    assert [(j["model"], j["outcome"]) for j in body["jobs"]] == [("churn", "queued")]
    [job] = receiver.jobs()
    assert job["id"] == body["jobs"][0]["job_id"]
    assert job["state"] == "queued" and job["attempts"] == 0
    assert job["reason"]["alertnames"] == ["DriftlineAccuracyDrop", "DriftlineFeatureDrift"]
    assert job["reason"]["alerts"][0]["annotations"]["description"].startswith("PSI of")


def test_wrong_or_missing_token_is_401_and_queues_nothing(receiver: Receiver) -> None:
    payload = notification(alert())
    missing = receiver.post_alerts(payload, token="")
    wrong = receiver.post_alerts(payload, token=receiver.token[:-1] + "X")

    assert (missing.status, wrong.status) == (401, 401)
    assert wrong.json()["error"]["code"] == "unauthorized"
    assert wrong.headers.get("WWW-Authenticate") == "Bearer"
    assert receiver.jobs() == []
    assert _counts(receiver) == {"unauthorized": 2}


def test_bad_json_is_400_naming_the_problem(receiver: Receiver) -> None:
    answer = receiver.post_alerts(None, raw=b'{"version": "4", "alerts": [')

    assert answer.status == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid_payload" and error["field"] == "body"
    assert "not valid JSON" in error["message"]
    assert receiver.jobs() == []


def test_malformed_payload_is_400_naming_the_field(receiver: Receiver) -> None:
    payload = notification(alert())
    del payload["alerts"][0]["labels"]["alertname"]
    answer = receiver.post_alerts(payload)
    old = notification(alert())
    old["version"] = "3"
    old_answer = receiver.post_alerts(old)

    assert answer.status == 400 and answer.json()["error"]["field"] == "alerts[0].labels"
    assert old_answer.status == 400 and old_answer.json()["error"]["field"] == "version"
    assert receiver.jobs() == []


def test_wrong_content_type_is_415(receiver: Receiver) -> None:
    answer = receiver.post_alerts(notification(alert()), content_type="text/plain")

    assert answer.status == 415
    assert answer.json()["error"]["code"] == "unsupported_media_type"
    assert receiver.jobs() == []


def test_oversize_body_is_413(start_receiver: object) -> None:
    receiver: Receiver = start_receiver(DRIFTLINE_MAX_BODY_BYTES="2048")  # type: ignore[operator]
    payload = notification(*[alert(f"Drift{i}") for i in range(40)])
    assert len(json.dumps(payload)) > 2048

    answer = receiver.post_alerts(payload)

    assert answer.status == 413
    assert answer.json()["error"]["code"] == "payload_too_large"
    assert receiver.jobs() == []
    assert receiver.post_alerts(notification(alert())).status == 202, "a small body still passes"


def test_repeats_are_duplicates_resolved_is_recorded(receiver: Receiver) -> None:
    first = receiver.post_alerts(notification(alert()))
    repeat = receiver.post_alerts(notification(alert()))
    resolved = receiver.post_alerts(notification(alert(status="resolved"), status="resolved"))
    unrelated = receiver.post_alerts(notification(alert("DriftlineLatencyHigh", retrain=False)))

    assert [a.status for a in (first, repeat, resolved, unrelated)] == [202, 200, 200, 200]
    assert [a.json()["status"] for a in (repeat, resolved, unrelated)] == [
        "duplicate",
        "resolved",
        "ignored",
    ]
    assert repeat.json()["jobs"][0]["job_id"] == first.json()["jobs"][0]["job_id"]
    assert len(receiver.jobs()) == 1
    with receiver.db() as db:
        outcomes = [r[0] for r in db.execute("SELECT outcome FROM notifications ORDER BY id")]
    assert outcomes == ["queued", "duplicate", "resolved", "ignored"]


def test_a_storm_of_100_concurrent_identical_notifications_makes_exactly_one_job(
    receiver: Receiver,
) -> None:
    payload = notification(alert("DriftlineFeatureDrift"), alert("DriftlineAccuracyDrop"))

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda _: receiver.post_alerts(payload), range(100)))

    statuses = sorted(a.status for a in answers)
    assert statuses == [200] * 99 + [202], statuses
    jobs = receiver.jobs()
    assert len(jobs) == 1
    assert {a.json()["jobs"][0]["job_id"] for a in answers} == {jobs[0]["id"]}
    assert _counts(receiver) == {"queued": 1, "duplicate": 99}
    with receiver.db() as db:
        assert db.execute("SELECT COUNT(*) FROM notifications").fetchone()[0] == 100


def test_cooldown_after_a_finished_job(receiver: Receiver) -> None:
    receiver.post_alerts(notification(alert()))
    with receiver.db() as db:
        db.execute(
            "UPDATE jobs SET state = 'succeeded', started_at = 1,"
            " finished_at = strftime('%s', 'now')"
        )

    again = receiver.post_alerts(notification(alert()))

    assert again.status == 200 and again.json()["status"] == "cooldown"
    assert len(receiver.jobs()) == 1


def test_jobs_api(receiver: Receiver) -> None:
    receiver.post_alerts(notification(alert(model="churn"), alert(model="fraud")))

    listed = receiver.get("/jobs?state=queued")
    missing = receiver.get("/jobs/999")
    bad = receiver.get("/jobs?state=sleeping")

    assert listed.status == 200
    assert sorted(j["model"] for j in listed.json()["jobs"]) == ["churn", "fraud"]
    assert listed.json()["counts"] == {"queued": 2, "running": 0, "succeeded": 0, "failed": 0}
    assert missing.status == 404 and missing.json()["error"]["code"] == "not_found"
    assert bad.status == 400 and bad.json()["error"]["field"] == "state"
    assert receiver.get("/alerts").status == 405
