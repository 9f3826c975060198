"""PredictionStore on SQLite and PostgreSQL: round trips, labels, reading, retention."""

from __future__ import annotations

import math
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from predictionlog.records import PredictionRecord
from predictionlog.schema import labels
from predictionlog.store import PredictionStore
from tests.predictionlog.sample_records import make_record
from tests.support.log_rows import count_predictions, get_predictions, insert_predictions


def _label_count(store: PredictionStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(labels)).scalar_one())


def test_inserted_predictions_read_back_exactly(store: PredictionStore) -> None:
    rows = [
        make_record(
            created_at=1_700_000_000.123456,
            features={
                "tenure_months": 3,
                "monthly_charges": 0.1 + 0.2,  # needs all 17 digits to round-trip
                "contract_type": "two_year",
                "payment_method": None,
                "internet_service": "fibre — ünïcode",
            },
            predicted_class="0",
        ),
        make_record(model_name="other", model_version="12", features={}),
    ]
    insert_predictions(store, rows)

    found = get_predictions(store, [r.prediction_id for r in rows] + ["not-there"])

    assert found == {r.prediction_id: r for r in rows}
    assert count_predictions(store) == 2


def test_a_batch_is_one_transaction(store: PredictionStore) -> None:
    existing = make_record()
    insert_predictions(store, [existing])
    fresh = make_record()

    with pytest.raises(IntegrityError):
        insert_predictions(store, [fresh, existing])

    assert get_predictions(store, [fresh.prediction_id]) == {}
    assert count_predictions(store) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"features": {"x": math.nan}}, "JSON"),
        ({"prediction_id": "x" * 37}, "prediction_id"),
        ({"model_version": ""}, "model_version"),
    ],
)
def test_rows_that_cannot_be_stored_are_refused_by_name(
    store: PredictionStore, change: dict[str, object], message: str
) -> None:
    record = make_record()
    bad = PredictionRecord(**{**record.__dict__, **change})  # type: ignore[arg-type]

    with pytest.raises(ValueError, match=message):
        insert_predictions(store, [bad])
    assert count_predictions(store) == 0


def test_label_outcomes(store: PredictionStore) -> None:
    first, second = make_record(model_version="3"), make_record(model_version="4")
    insert_predictions(store, [first, second])

    assert [r.outcome for r in store.record_labels([(first.prediction_id, "1")])] == ["recorded"]
    results = store.record_labels(
        [(first.prediction_id, "1"), (first.prediction_id, "0"), ("no-such-id", "1"),
         (second.prediction_id, "0")]
    )  # fmt: skip

    assert [(r.prediction_id, r.outcome, r.model_name, r.model_version) for r in results] == [
        (first.prediction_id, "duplicate", "churn", "3"),
        (first.prediction_id, "conflict", "churn", "3"),
        ("no-such-id", "unknown_prediction", None, None),
        (second.prediction_id, "recorded", "churn", "4"),
    ]
    frame = store.labelled_predictions("churn", since=0)
    assert dict(zip(frame["prediction_id"], frame["label"], strict=True)) == {
        first.prediction_id: "1",  # the conflicting "0" changed nothing
        second.prediction_id: "0",
    }
    assert _label_count(store) == 2


def test_a_repeated_id_in_one_call_is_judged_against_its_first_label(
    store: PredictionStore,
) -> None:
    record = make_record()
    insert_predictions(store, [record])
    pid = record.prediction_id

    results = store.record_labels([(pid, "0"), (pid, "0"), (pid, "1")])

    assert [r.outcome for r in results] == ["recorded", "duplicate", "conflict"]


def _label_from_threads(
    store: PredictionStore, pid: str, labels_by_thread: list[str]
) -> list[tuple[str, str]]:
    start = threading.Barrier(len(labels_by_thread))
    outcomes: list[tuple[str, str]] = []
    lock = threading.Lock()

    def send(label: str) -> None:
        start.wait()
        [result] = store.record_labels([(pid, label)])
        with lock:
            outcomes.append((label, result.outcome))

    threads = [threading.Thread(target=send, args=(label,)) for label in labels_by_thread]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_concurrent_identical_labels_are_recorded_once(store: PredictionStore) -> None:
    record = make_record()
    insert_predictions(store, [record])

    outcomes = _label_from_threads(store, record.prediction_id, ["1"] * 12)

    assert Counter(outcome for _, outcome in outcomes) == {"recorded": 1, "duplicate": 11}
    assert _label_count(store) == 1


def test_concurrent_conflicting_labels_keep_exactly_one(store: PredictionStore) -> None:
    record = make_record()
    insert_predictions(store, [record])

    outcomes = _label_from_threads(store, record.prediction_id, ["0", "1"] * 6)

    [winner] = [label for label, outcome in outcomes if outcome == "recorded"]
    for label, outcome in outcomes:
        if label == winner:
            assert outcome in ("recorded", "duplicate")
        else:
            assert outcome == "conflict"
    [stored] = store.labelled_predictions("churn", since=0)["label"]
    assert stored == winner


def test_labelled_predictions_expand_features_for_one_model_and_window(
    store: PredictionStore,
) -> None:
    early = make_record(created_at=100.0, features={"a": 1, "b": "x"}, predicted_class="0")
    inside = make_record(created_at=200.0, model_version="2", features={"b": "y", "c": 2.5})
    unlabelled = make_record(created_at=250.0)
    at_until = make_record(created_at=300.0)
    other_model = make_record(created_at=200.0, model_name="other")
    insert_predictions(store, [early, inside, unlabelled, at_until, other_model])
    store.record_labels([(r.prediction_id, "1") for r in (early, inside, at_until, other_model)])

    frame = store.labelled_predictions("churn", since=100.0, until=300.0)

    assert list(frame.columns) == [
        "prediction_id", "created_at", "model_version", "a", "b", "c", "predicted_class", "label",
    ]  # fmt: skip
    assert list(frame["prediction_id"]) == [early.prediction_id, inside.prediction_id]
    assert list(frame["created_at"]) == [100.0, 200.0]
    assert list(frame["model_version"]) == ["1", "2"]
    assert list(frame["b"]) == ["x", "y"]
    assert frame["a"].iloc[0] == 1 and math.isnan(frame["a"].iloc[1])
    assert math.isnan(frame["c"].iloc[0]) and frame["c"].iloc[1] == 2.5
    assert list(frame["predicted_class"]) == ["0", "1"]
    assert list(frame["label"]) == ["1", "1"]

    assert list(store.labelled_predictions("churn", since=250.0)["prediction_id"]) == [
        at_until.prediction_id
    ]
    assert store.labelled_predictions("nobody", since=0).empty


def test_retention_deletes_old_predictions_and_their_labels_only(store: PredictionStore) -> None:
    old = [make_record(created_at=1000.0 + i) for i in range(7)]
    new = [make_record(created_at=5000.0 + i) for i in range(3)]
    insert_predictions(store, old + new)
    store.record_labels([(r.prediction_id, "1") for r in old[:4] + new[:2]])

    deleted = store.delete_predictions_before(5000.0, batch=3, pause_seconds=0)

    assert deleted == 7
    assert set(get_predictions(store, [r.prediction_id for r in old + new])) == {
        r.prediction_id for r in new
    }
    assert _label_count(store) == 2
    assert set(store.labelled_predictions("churn", since=0)["prediction_id"]) == {
        r.prediction_id for r in new[:2]
    }
    assert store.delete_predictions_before(5000.0) == 0


def test_opening_an_existing_log_keeps_its_rows(store_url: str) -> None:
    record = make_record()
    first = PredictionStore.open(store_url)
    insert_predictions(first, [record])
    first.close()

    second = PredictionStore.open(store_url)
    try:
        assert set(get_predictions(second, [record.prediction_id])) == {record.prediction_id}
    finally:
        second.close()


def test_labels_that_cannot_be_stored_are_refused_before_anything_is_written(
    store: PredictionStore,
) -> None:
    record = make_record()
    insert_predictions(store, [record])

    for bad in ("", "x" * 201):
        with pytest.raises(ValueError, match="label for prediction"):
            store.record_labels([(record.prediction_id, "1"), (record.prediction_id, bad)])
    assert _label_count(store) == 0
    assert store.record_labels([]) == []
