"""Read the prediction log incrementally, in commit order, with SQLAlchemy Core.

A reader resumes from a ``LogPosition`` and must never skip a row that commits
later behind it. The commit order per backend:

- **SQLite**: one writer at a time, so rows become visible in ``seq`` order; a
  position is ``(0, seq)`` and the high-water mark is ``max(seq) + 1``.
- **PostgreSQL**: a transaction holding a smaller ``seq`` may commit after one
  holding a larger. Rows carry the id of the transaction that wrote them
  (``xact_id``, predictionlog/schema.py), and a read only takes rows of
  transactions older than the oldest one still running
  (``pg_snapshot_xmin(pg_current_snapshot())``): those are all finished, so no row
  can appear behind the position later. A transaction left open holds reading
  back (never skips it). Rows from before the column existed (NULL, all committed
  before it was added) sit at ``xact`` 0, before every mark.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Table,
    Text,
    UnaryExpression,
    and_,
    create_engine,
    func,
    inspect,
    literal,
    or_,
    select,
    true,
    tuple_,
)

from exporter.records import LoggedLabel, LoggedPrediction, LogPosition
from predictionlog.schema import labels, predictions


def _json_object(text: str | None) -> Mapping[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


class _CommitOrder(Protocol):
    def marks(self, conn: Connection) -> tuple[LogPosition, LogPosition]:
        """Positions of predictions and labels before which every row is committed or gone."""
        ...

    def since(self, table: Table, start: LogPosition) -> ColumnElement[bool]: ...

    def before(self, table: Table, end: LogPosition) -> ColumnElement[bool]: ...

    def finished(self, table: Table, start: LogPosition) -> ColumnElement[bool]:
        """Of the rows at or after ``start``, those no later commit can appear behind."""
        ...

    def order(self, table: Table, start: LogPosition) -> tuple[UnaryExpression[Any], ...]: ...


class _SeqOrder:
    """SQLite: ``seq`` order is commit order."""

    def marks(self, conn: Connection) -> tuple[LogPosition, LogPosition]:
        p = conn.execute(select(func.max(predictions.c.seq))).scalar()
        lab = conn.execute(select(func.max(labels.c.seq))).scalar()
        return LogPosition(0, int(p or 0) + 1), LogPosition(0, int(lab or 0) + 1)

    def since(self, table: Table, start: LogPosition) -> ColumnElement[bool]:
        return table.c.seq >= start.seq

    def before(self, table: Table, end: LogPosition) -> ColumnElement[bool]:
        return table.c.seq < end.seq

    def finished(self, table: Table, start: LogPosition) -> ColumnElement[bool]:
        return true()

    def order(self, table: Table, start: LogPosition) -> tuple[UnaryExpression[Any], ...]:
        return (table.c.seq.asc(),)


# The oldest transaction still running on the server; every older one has finished.
_OLDEST_RUNNING = func.pg_snapshot_xmin(func.pg_current_snapshot()).cast(Text).cast(BigInteger)


class _TransactionOrder:
    """PostgreSQL: ``(xact_id, seq)``, read only below the oldest running transaction."""

    def marks(self, conn: Connection) -> tuple[LogPosition, LogPosition]:
        mark = LogPosition(int(conn.execute(select(_OLDEST_RUNNING)).scalar_one()), 0)
        return mark, mark

    def since(self, table: Table, start: LogPosition) -> ColumnElement[bool]:
        # Written so the partial index ix_<table>_commit_order serves it.
        written = and_(
            table.c.xact_id.is_not(None),
            tuple_(table.c.xact_id, table.c.seq) >= tuple_(literal(start.xact), literal(start.seq)),
        )
        if start.xact > 0:
            return written
        return or_(written, and_(table.c.xact_id.is_(None), table.c.seq >= start.seq))

    def before(self, table: Table, end: LogPosition) -> ColumnElement[bool]:
        return or_(
            table.c.xact_id.is_(None),
            tuple_(table.c.xact_id, table.c.seq) < tuple_(literal(end.xact), literal(end.seq)),
        )

    def finished(self, table: Table, start: LogPosition) -> ColumnElement[bool]:
        below = table.c.xact_id < _OLDEST_RUNNING
        return below if start.xact > 0 else or_(below, table.c.xact_id.is_(None))

    def order(self, table: Table, start: LogPosition) -> tuple[UnaryExpression[Any], ...]:
        # NULL (xact 0) rows only come into it from a start at xact 0.
        first = table.c.xact_id.asc().nulls_first() if start.xact == 0 else table.c.xact_id.asc()
        return first, table.c.seq.asc()


def _xact(row: Any) -> int:
    return 0 if row.xact_id is None else int(row.xact_id)


def _prediction(row: Any, with_label: bool = False) -> LoggedPrediction:
    return LoggedPrediction(
        seq=int(row.seq),
        prediction_id=str(row.prediction_id),
        created_at=float(row.created_at),
        model=str(row.model_name),
        version=str(row.model_version),
        features=_json_object(row.features),
        predicted_class=str(row.predicted_class),
        probabilities=_json_object(row.probabilities),
        label=None if not with_label or row.label is None else str(row.label),
        label_received_at=None
        if not with_label or row.received_at is None
        else float(row.received_at),
        xact=_xact(row),
    )


_PREDICTION_COLUMNS = (
    predictions.c.seq,
    predictions.c.prediction_id,
    predictions.c.created_at,
    predictions.c.model_name,
    predictions.c.model_version,
    predictions.c.features,
    predictions.c.predicted_class,
    predictions.c.probabilities,
    predictions.c.xact_id,
)


class PredictionLogReader:
    """Read-only access to the prediction log; every method is one short transaction."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        connect_args = {"timeout": 5} if url.startswith("sqlite") else {}
        self.url = url
        self.engine = engine or create_engine(url, connect_args=connect_args)
        self._order: _CommitOrder = (
            _TransactionOrder() if self.engine.dialect.name == "postgresql" else _SeqOrder()
        )

    def close(self) -> None:
        self.engine.dispose()

    def has_tables(self) -> bool:
        names = set(inspect(self.engine).get_table_names())
        return {"predictions", "labels"} <= names

    def marks(self) -> tuple[LogPosition, LogPosition]:
        """High-water marks of predictions and labels: every row before them is
        committed (or rolled back), so a reader that has read up to a mark has missed nothing."""
        with self.engine.connect() as conn:
            return self._order.marks(conn)

    def versions(self, model: str | None = None) -> list[tuple[str, str]]:
        q = select(predictions.c.model_name, predictions.c.model_version).distinct()
        if model is not None:
            q = q.where(predictions.c.model_name == model)
        with self.engine.connect() as conn:
            return sorted((str(m), str(v)) for m, v in conn.execute(q))

    def recent(
        self, model: str, version: str, limit: int, since: float | None, before: LogPosition
    ) -> list[LoggedPrediction]:
        """The newest ``limit`` predictions of a version made before position ``before``
        (with the labels committed by now), oldest first."""
        q = (
            select(*_PREDICTION_COLUMNS, labels.c.label, labels.c.received_at)
            .select_from(
                predictions.outerjoin(labels, labels.c.prediction_id == predictions.c.prediction_id)
            )
            .where(
                predictions.c.model_name == model,
                predictions.c.model_version == version,
                self._order.before(predictions, before),
            )
            .order_by(predictions.c.created_at.desc())
            .limit(limit)
        )
        if since is not None:
            q = q.where(predictions.c.created_at >= since)
        with self.engine.connect() as conn:
            rows = [_prediction(r, with_label=True) for r in conn.execute(q)]
        rows.sort(key=lambda r: r.seq)
        return rows

    def predictions_from(
        self, start: LogPosition, limit: int, model: str | None = None
    ) -> list[LoggedPrediction]:
        """Up to ``limit`` predictions at or after ``start``, in commit order, none of
        which a later commit can precede; resume from ``position_after(rows[-1])``."""
        order = self._order
        q = select(*_PREDICTION_COLUMNS).where(
            order.since(predictions, start), order.finished(predictions, start)
        )
        if model is not None:
            q = q.where(predictions.c.model_name == model)
        q = q.order_by(*order.order(predictions, start)).limit(limit)
        with self.engine.connect() as conn:
            return [_prediction(r) for r in conn.execute(q)]

    def labels_between(self, start: LogPosition, end: LogPosition, limit: int) -> list[LoggedLabel]:
        """Up to ``limit`` labels at or after ``start`` and before the mark ``end``,
        in commit order."""
        order = self._order
        q = (
            select(
                labels.c.seq,
                labels.c.prediction_id,
                labels.c.label,
                labels.c.received_at,
                labels.c.xact_id,
            )
            .where(order.since(labels, start), order.before(labels, end))
            .order_by(*order.order(labels, start))
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [
                LoggedLabel(
                    seq=int(r.seq),
                    prediction_id=str(r.prediction_id),
                    label=str(r.label),
                    received_at=float(r.received_at),
                    xact=_xact(r),
                )
                for r in conn.execute(q)
            ]
