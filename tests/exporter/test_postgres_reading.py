"""The exporter on a real PostgreSQL server: no prediction or label skipped or read twice
when transactions commit out of ``seq`` order, and several hosts writing one database."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, func, select

from driftline.config import Settings
from exporter.engine import Engine as DriftEngine
from exporter.profiles import MlflowProfileSource, ProfileCache
from exporter.records import LoggedLabel, LoggedPrediction, LogPosition
from exporter.settings import ExporterConfig
from exporter.store_reader import PredictionLogReader
from predictionlog.schema import labels, predictions
from predictionlog.store import PredictionStore
from tests.exporter.logdata import log_labels, log_traffic
from tests.predictionlog.conftest import postgres_server  # noqa: F401 (a fixture)
from tests.predictionlog.postgres_server import PostgresServer
from tests.serving.live_server import live_server
from tests.serving.records import records
from tests.support.eventually import eventually
from tests.support.model_store import TrainedStore
from training.synthetic import generate

ROUNDS = 12
PER_WRITER = 15
START = 1_700_000_000.0


class RecordingReader(PredictionLogReader):
    """The real reader, noting every prediction and label id it hands the engine."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.predictions_seen: Counter[str] = Counter()
        self.labels_seen: Counter[str] = Counter()

    def recent(self, *args: Any, **kwargs: Any) -> list[LoggedPrediction]:
        rows = super().recent(*args, **kwargs)
        self.predictions_seen.update(r.prediction_id for r in rows)
        self.labels_seen.update(r.prediction_id for r in rows if r.label is not None)
        return rows

    def predictions_from(
        self, start: LogPosition, limit: int, model: str | None = None
    ) -> list[LoggedPrediction]:
        rows = super().predictions_from(start, limit, model)
        self.predictions_seen.update(r.prediction_id for r in rows)
        return rows

    def labels_between(self, start: LogPosition, end: LogPosition, limit: int) -> list[LoggedLabel]:
        found = super().labels_between(start, end, limit)
        self.labels_seen.update(lab.prediction_id for lab in found)
        return found


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:  # noqa: F811
    database = postgres_server.create_database()
    try:
        yield postgres_server.url(database)
    finally:
        postgres_server.drop_database(database)


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[PredictionStore]:
    store = PredictionStore.open(pg_url)  # creates the tables at the head revision
    try:
        yield store
    finally:
        store.close()


def recording_engine(
    settings: Settings, config: ExporterConfig
) -> tuple[DriftEngine, RecordingReader]:
    reader = RecordingReader(settings.prediction_db_url)
    profiles = ProfileCache(MlflowProfileSource(settings.tracking_uri, settings.registry_uri))
    return DriftEngine(reader, profiles, config), reader


def stored_ids(engine: Engine, table: Any) -> set[str]:
    with engine.connect() as conn:
        return {str(i) for i in conn.execute(select(table.c.prediction_id)).scalars()}


def test_late_commits_behind_larger_seqs_are_read_exactly_once_while_retention_deletes(
    trained_store: TrainedStore, model: Any, pg_url: str, pg_store: PredictionStore
) -> None:
    settings = replace(trained_store.settings, prediction_db_url=pg_url)
    capacity = 2 * ROUNDS * PER_WRITER
    config = ExporterConfig(window_size=capacity, label_window_size=capacity, read_batch=7)
    exporter, reader = recording_engine(settings, config)
    exporter.run_cycle()  # start-up on an empty log: the cursors start at the mark
    db = pg_store.engine
    committed: set[str] = set()
    labelled: set[str] = set()
    truth: dict[str, str] = {}
    deleted = 0
    for r in range(ROUNDS):
        at = START + 10 * r
        earlier = [i for i in committed if i not in labelled]
        held_labels, quick_labels = earlier[: len(earlier) // 2], earlier[len(earlier) // 2 :]
        with db.connect() as slow:
            tx = slow.begin()
            # Writer 1 takes the smaller seqs of both tables and keeps its transaction open.
            first = log_traffic(slow, model, generate(PER_WRITER, seed=2 * r), created_at=at)
            log_labels(slow, held_labels, [truth[i] for i in held_labels], received_at=at)
            # Writer 2 commits larger seqs meanwhile, its labels through the store.
            second = log_traffic(db, model, generate(PER_WRITER, seed=2 * r + 1), created_at=at)
            outcomes = pg_store.record_labels([(i, truth[i]) for i in quick_labels])
            assert {o.outcome for o in outcomes} <= {"recorded"}
            # Retention removes rounds the exporter has read, while it reads.
            sweep = threading.Thread(
                target=lambda cutoff=at - 25: pg_store.delete_predictions_before(cutoff, batch=4)
            )
            sweep.start()
            exporter.run_cycle()
            sweep.join()
            tx.commit()
        exporter.run_cycle()
        for logged in (first, second):
            committed.update(logged.ids)
            truth.update(zip(logged.ids, logged.truth, strict=True))
        labelled.update(earlier)
        deleted = len(committed) - len(stored_ids(db, predictions))
    result = exporter.run_cycle()
    assert exporter.errors == dict.fromkeys(exporter.errors, 0)
    assert deleted > 0, "retention deleted nothing: the test would not cover it"
    assert set(reader.predictions_seen) == committed
    assert max(reader.predictions_seen.values()) == 1, "a prediction was read twice"
    assert set(reader.labels_seen) == labelled
    assert max(reader.labels_seen.values()) == 1, "a label was read twice"
    (version,) = result.versions
    assert version.window_samples == len(committed) == 2 * ROUNDS * PER_WRITER
    assert version.labelled_samples == len(labelled)


def test_a_reader_waits_for_the_oldest_running_transaction(
    model: Any, pg_url: str, pg_store: PredictionStore
) -> None:
    reader = PredictionLogReader(pg_url)
    start, _ = reader.marks()
    db = pg_store.engine
    with db.connect() as slow:
        tx = slow.begin()
        late = log_traffic(slow, model, generate(3, seed=1))
        early = log_traffic(db, model, generate(3, seed=2))
        assert reader.predictions_from(start, 100) == []  # held back, not skipped
        tx.commit()
    rows = reader.predictions_from(start, 100)
    assert [r.prediction_id for r in rows] == late.ids + early.ids  # commit order
    with db.connect() as conn:
        seqs = dict(conn.execute(select(predictions.c.prediction_id, predictions.c.seq)).all())
    assert max(seqs[i] for i in late.ids) < min(seqs[i] for i in early.ids)
    reader.close()


def test_rows_written_before_the_transaction_column_are_read_at_start_up(
    model: Any, pg_url: str, pg_store: PredictionStore
) -> None:
    db = pg_store.engine
    logged = log_traffic(db, model, generate(4, seed=3))
    log_labels(db, logged.ids[:2], logged.truth[:2])
    with db.begin() as conn:  # as rows of a release before migration 0002 look
        conn.execute(predictions.update().values(xact_id=None))
        conn.execute(labels.update().values(xact_id=None))
    reader = PredictionLogReader(pg_url)
    mark, label_mark = reader.marks()
    rows = reader.recent("churn", "1", 100, None, mark)
    assert [r.prediction_id for r in rows] == logged.ids
    assert sum(r.label is not None for r in rows) == 2
    assert reader.predictions_from(mark, 100) == []
    assert reader.labels_between(label_mark, reader.marks()[1], 100) == []
    assert [r.prediction_id for r in reader.predictions_from(LogPosition(0, 0), 100)] == logged.ids
    reader.close()


@pytest.mark.slow
def test_two_hosts_writing_one_database_each_prediction_stored_once_and_in_the_window(
    trained_store: TrainedStore, pg_url: str, pg_store: PredictionStore, tmp_path: Path
) -> None:
    n = 120
    settings = replace(trained_store.settings, prediction_db_url=pg_url)
    exporter, reader = recording_engine(settings, ExporterConfig(window_size=n, read_batch=25))
    exporter.run_cycle()
    acknowledged: list[str] = []
    hosts = [
        {"DRIFTLINE_PREDICTION_DB": pg_url, "DRIFTLINE_HOME": str(tmp_path / f"host-{name}")}
        for name in ("a", "b")
    ]
    with (
        live_server(trained_store.env, tmp_path, extra_env=hosts[0], name="a") as a,
        live_server(trained_store.env, tmp_path, extra_env=hosts[1], name="b") as b,
    ):
        for i, record in enumerate(records(n, seed=5)):
            server = (a, b)[i % 2]
            response = requests.post(f"{server.url}/predict", json={"record": record}, timeout=10)
            assert response.status_code == 200, response.text
            acknowledged.append(response.json()["predictions"][0]["prediction_id"])
            if i % 40 == 0:
                exporter.run_cycle()  # the exporter reads while both hosts ingest

        def all_stored() -> bool:
            return stored_ids(pg_store.engine, predictions) >= set(acknowledged)

        eventually(all_stored, 60, "both hosts to ingest every acknowledged prediction")
    with pg_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(predictions)).scalar_one() == n
    for journal_home in hosts:
        assert (Path(journal_home["DRIFTLINE_HOME"]) / "prediction-journal").is_dir()
    result = exporter.run_cycle()
    assert set(reader.predictions_seen) == set(acknowledged)
    assert max(reader.predictions_seen.values()) == 1
    (version,) = result.versions
    assert version.window_samples == n
