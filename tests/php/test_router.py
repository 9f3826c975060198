"""POST /predict on the PHP front: weighted sticky split, fallback, variant record.

The A/B test at the end routes to two real inference servers (gunicorn,
serving/); the failure-mode tests use small HTTP servers that answer the
inference API's shape with a chosen status, because a real inference server
cannot be told to answer 503 on demand.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from stack.processes import free_port
from tests.conftest import REPO_ROOT
from tests.php.conftest import HttpAnswer, Receiver, http
from tests.support.processes import running
from training import synthetic

GUNICORN = REPO_ROOT / ".venv" / "bin" / "gunicorn"
RECORD = {
    "record": {"tenure_months": 3, "monthly_charges": 70.5, "contract_type": "month-to-month"}
}


def _predict(receiver: Receiver, body: Any, user: str | None = None) -> HttpAnswer:
    headers = {"Content-Type": "application/json"}
    if user is not None:
        headers["X-User-Key"] = user
    return http("POST", f"{receiver.url}/predict", json.dumps(body).encode(), headers)


def _decisions(receiver: Receiver) -> list[dict[str, Any]]:
    path = receiver.home / "router" / "decisions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_sticky_weighted_split_over_real_http(start_receiver: Any, stand_in: Any) -> None:
    a, b = stand_in("3"), stand_in("4")
    receiver: Receiver = start_receiver(DRIFTLINE_VARIANTS=f"champion={a}:50,challenger={b}:50")

    first = {f"user-{i}": _predict(receiver, RECORD, f"user-{i}") for i in range(120)}
    again = {user: _predict(receiver, RECORD, user) for user in list(first)[:30]}

    assert all(answer.status == 200 for answer in first.values())
    variants = {user: answer.json()["variant"] for user, answer in first.items()}
    for user, answer in again.items():
        assert answer.json()["variant"] == variants[user], f"{user} switched variant"
    challengers = sum(v == "challenger" for v in variants.values())
    # Binomial(120, 0.5): five standard deviations is about 27.
    assert abs(challengers - 60) <= 27, challengers
    sample = first["user-0"]
    body = sample.json()
    assert sample.headers["X-Driftline-Variant"] == body["variant"]
    assert body["fallback"] is False
    assert body["model"]["version"] == ("3" if body["variant"] == "champion" else "4")
    assert body["received"] == RECORD, "the body reaches the inference server unchanged"
    assert len(_decisions(receiver)) == 150


def test_user_key_from_the_body_is_used_and_not_forwarded(
    start_receiver: Any, stand_in: Any
) -> None:
    a, b = stand_in("3"), stand_in("4")
    receiver: Receiver = start_receiver(DRIFTLINE_VARIANTS=f"champion={a}:50,challenger={b}:50")

    by_body = _predict(receiver, {**RECORD, "user_key": "carol"})
    by_header = _predict(receiver, RECORD, "carol")

    assert by_body.json()["variant"] == by_header.json()["variant"]
    assert by_body.json()["received"] == RECORD


def test_falls_back_when_the_chosen_variant_is_down_or_failing(
    start_receiver: Any, stand_in: Any
) -> None:
    healthy = stand_in("3")
    down = f"http://127.0.0.1:{free_port()}"
    failing = stand_in("4", status=503)
    refused: Receiver = start_receiver(
        DRIFTLINE_VARIANTS=f"champion={healthy}:0,challenger={down}:1"
    )
    erroring: Receiver = start_receiver(
        DRIFTLINE_VARIANTS=f"champion={healthy}:0,challenger={failing}:1"
    )

    for receiver in (refused, erroring):
        answer = _predict(receiver, RECORD, "dave")
        assert answer.status == 200, answer.body
        assert (answer.json()["variant"], answer.json()["fallback"]) == ("champion", True)
        assert answer.headers["X-Driftline-Variant"] == "champion"
        [decision] = _decisions(receiver)
        assert (decision["chosen"], decision["answered"], decision["fallback"]) == (
            "challenger", "champion", True,
        )  # fmt: skip
        assert len(decision["failures"]) == 1 and decision["user"] != "dave"


def test_a_variant_slower_than_the_total_timeout_falls_back(
    start_receiver: Any, stand_in: Any
) -> None:
    slow, quick = stand_in("4", delay=3.0), stand_in("3")
    receiver: Receiver = start_receiver(
        DRIFTLINE_VARIANTS=f"champion={quick}:0,challenger={slow}:1",
        DRIFTLINE_ROUTER_TIMEOUT_MS="300",
    )

    answer = _predict(receiver, RECORD, "grace")

    assert answer.status == 200
    assert (answer.json()["variant"], answer.json()["fallback"]) == ("champion", True)
    [decision] = _decisions(receiver)
    assert (
        "timed out" in decision["failures"][0].lower()
        or "timeout" in decision["failures"][0].lower()
    )


def test_a_client_error_is_passed_through_without_fallback(
    start_receiver: Any, stand_in: Any
) -> None:
    receiver: Receiver = start_receiver(
        DRIFTLINE_VARIANTS=f"champion={stand_in('3')}:1,challenger={stand_in('4')}:0"
    )

    answer = _predict(receiver, {"rec": {}}, "erin")

    assert answer.status == 400
    assert answer.json()["variant"] == "champion" and answer.json()["fallback"] is False
    assert answer.json()["error"]["field"] == "record"


def test_no_variant_answers_is_502_and_bad_requests_are_refused_in_front(
    start_receiver: Any,
) -> None:
    receiver: Receiver = start_receiver(
        DRIFTLINE_VARIANTS=f"a=http://127.0.0.1:{free_port()}:1,b=http://127.0.0.1:{free_port()}:1",
        DRIFTLINE_ROUTER_CONNECT_TIMEOUT_MS="300",
    )

    down = _predict(receiver, RECORD, "frank")
    not_json = http("POST", f"{receiver.url}/predict", b"{", {"Content-Type": "application/json"})
    form = http("POST", f"{receiver.url}/predict", b"a=1", {"Content-Type": "text/plain"})

    assert down.status == 502 and down.json()["error"]["code"] == "upstream_unavailable"
    assert not_json.status == 400 and not_json.json()["error"]["field"] == "body"
    assert form.status == 415


def test_unconfigured_router_says_what_to_set(receiver: Receiver) -> None:
    answer = _predict(receiver, RECORD)

    assert answer.status == 503
    assert "DRIFTLINE_VARIANTS" in answer.json()["error"]["message"]


def test_each_model_routes_to_its_own_variants(start_receiver: Any, stand_in: Any) -> None:
    churn, houses = stand_in("3"), stand_in("7")
    routes = {"churn": f"champion={churn}:1", "houses": f"champion={houses}:1"}
    receiver: Receiver = start_receiver(
        DRIFTLINE_ROUTES=json.dumps(routes), DRIFTLINE_MODEL_NAME="houses"
    )

    by_path = {
        model: http("POST", f"{receiver.url}/predict/{model}", json.dumps(RECORD).encode(),
                    {"Content-Type": "application/json"})
        for model in ("churn", "houses")
    }  # fmt: skip
    default = _predict(receiver, RECORD, "ivan")
    unknown = http("POST", f"{receiver.url}/predict/fraud", json.dumps(RECORD).encode(),
                   {"Content-Type": "application/json"})  # fmt: skip

    assert {m: a.json()["model"]["version"] for m, a in by_path.items()} == {
        "churn": "3", "houses": "7",
    }  # fmt: skip
    assert default.json()["model"]["version"] == "7", "POST /predict goes to DRIFTLINE_MODEL_NAME"
    assert unknown.status == 404
    assert unknown.json()["error"]["code"] == "unknown_model"
    assert unknown.json()["models"] == ["churn", "houses"]
    assert [d["model"] for d in _decisions(receiver)] == ["churn", "houses", "houses"]


@pytest.mark.slow
def test_ab_split_between_two_real_inference_servers(
    start_receiver: Any, subprocess_env: dict[str, str], tmp_path: Path
) -> None:
    """Champion (alias) and a pinned version served by gunicorn; the router splits 50/50."""
    servers = []
    with ExitStack() as stack:
        for name, pin in (("champion", None), ("challenger", "1")):
            port = free_port()
            env = {
                **subprocess_env,
                "DRIFTLINE_SERVE_BIND": f"127.0.0.1:{port}",
                "DRIFTLINE_SERVE_WORKERS": "1",
                "DRIFTLINE_SERVE_THREADS": "2",
                "DRIFTLINE_RUN_DIR": str(tmp_path / f"run-{name}"),
            }
            if pin is not None:
                env["DRIFTLINE_SERVE_VERSION"] = pin
            stack.enter_context(
                running(
                    [str(GUNICORN), "-c", "serving/gunicorn.conf.py"],
                    ready_url=f"http://127.0.0.1:{port}/ready", log=tmp_path / f"{name}.log",
                    env=env, cwd=REPO_ROOT, timeout=120,
                )
            )  # fmt: skip
            servers.append(f"{name}=http://127.0.0.1:{port}:50")
        receiver: Receiver = start_receiver(DRIFTLINE_VARIANTS=",".join(servers))
        frame = synthetic.generate(40, seed=7).drop(columns=[synthetic.TARGET])
        rows = json.loads(frame.to_json(orient="records"))  # NaN becomes null, as the API wants

        answers = {
            f"u{i}": _predict(receiver, {"record": row}, f"u{i}") for i, row in enumerate(rows)
        }

        for user, answer in answers.items():
            assert answer.status == 200, (user, answer.body[:500])
            body = answer.json()
            assert body["model"]["name"] == "churn" and body["fallback"] is False
            assert len(body["predictions"]) == 1
        assert {a.json()["variant"] for a in answers.values()} == {"champion", "challenger"}
