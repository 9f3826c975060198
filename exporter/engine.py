"""One computation cycle: read what is new, update the windows, compute, publish.

Stages and their error counter label: ``store`` (reading the prediction log),
``registry`` (fetching a reference profile), ``compute`` (statistics). A failed
stage never throws away the last published results; the next cycle retries.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from sqlalchemy.exc import SQLAlchemyError

from driftline.metric_catalog import EXPORTER_STAGES
from exporter.evaluate import evaluate, labelled_samples
from exporter.interval_window import IntervalWindow
from exporter.prepared import PreparedProfile
from exporter.profiles import ProfileCache, ProfileUnavailable
from exporter.records import LoggedPrediction, LogPosition, position_after
from exporter.results import CycleResults, VersionResult, version_order
from exporter.settings import ExporterConfig
from exporter.store_reader import PredictionLogReader
from exporter.window import VersionWindow
from exporter.window_counts import from_window
from reference.profile import ProfileFormatError

log = logging.getLogger(__name__)

Key = tuple[str, str]


class Engine:
    def __init__(
        self,
        reader: PredictionLogReader,
        profiles: ProfileCache,
        config: ExporterConfig,
        *,
        model: str | None = None,
        clock: Callable[[], float] = time.time,
        on_publish: Callable[[CycleResults], None] | None = None,
    ) -> None:
        self.reader = reader
        self.profiles = profiles
        self.config = config
        self.model = model  # None: every model in the log
        self.clock = clock
        self.on_publish = on_publish  # e.g. the report's CycleHistory.record
        self.windows: dict[Key, VersionWindow | IntervalWindow] = {}
        self._waiting: dict[Key, list[LoggedPrediction]] = {}  # rows whose profile is not in yet
        # Where the next read starts (store_reader.py); None until the start-up backfill ran.
        self.prediction_cursor: LogPosition | None = None
        self.label_cursor = LogPosition(0, 0)
        self.errors = dict.fromkeys(EXPORTER_STAGES, 0)
        self._results = CycleResults(errors=dict(self.errors), started_at=clock())
        self._lock = threading.Lock()
        self._cycle_lock = threading.Lock()

    def latest(self) -> CycleResults:
        with self._lock:
            return self._results

    def versions_without_profile(self) -> tuple[Key, ...]:
        """Versions with logged predictions whose reference profile could not be fetched
        yet (their rows wait for it; every cycle tries again)."""
        return tuple(sorted(self._waiting, key=lambda k: version_order(*k)))

    # --- reading ---------------------------------------------------------------
    def _ingest(self, key: Key, rows: Sequence[LoggedPrediction]) -> bool:
        window = self.windows.get(key)
        if window is None:
            try:
                prepared = self.profiles.get(*key)
            except (ProfileUnavailable, ProfileFormatError) as exc:
                log.warning("%s", exc)
                waiting = self._waiting.setdefault(key, [])
                waiting.extend(rows)
                del waiting[: max(len(waiting) - self.config.capacity, 0)]
                return False
            window = self._new_window(prepared)
            self.windows[key] = window
            window.add(self._waiting.pop(key, []))
        window.add(rows)
        return True

    def _new_window(self, prepared: PreparedProfile) -> VersionWindow | IntervalWindow:
        cfg = self.config
        if cfg.count_interval_seconds is None:
            return VersionWindow(prepared, cfg.capacity)
        return IntervalWindow(
            prepared,
            cfg.longest_span,
            cfg.count_interval_seconds,
            pending_labels=cfg.capacity,
            row_budget=cfg.capacity,
        )

    def _backfill_since(self, now: float) -> float | None:
        spans = (self.config.window_seconds, self.config.label_window_seconds)
        if any(s is None for s in spans):
            return None
        return now - max(s for s in spans if s is not None)

    def _read(self, now: float) -> bool:
        """Bring the windows up to date; False when a profile could not be fetched."""
        ok = True
        if not self.reader.has_tables():
            return ok
        for key in list(self._waiting):
            ok &= self._ingest(key, [])
        batch = self.config.read_batch
        if self.prediction_cursor is None:
            # Start-up: the newest rows of every version, labels joined in.
            top_pred, top_label = self.reader.marks()
            since = self._backfill_since(now)
            for key in self.reader.versions(self.model):
                rows = self.reader.recent(*key, self.config.capacity, since, top_pred)
                ok &= self._ingest(key, rows)
            self.prediction_cursor, self.label_cursor = top_pred, top_label
            return ok
        # Labels before this mark were committed after their predictions, so those
        # predictions are read below before the labels are applied.
        _, label_mark = self.reader.marks()
        while True:
            rows = self.reader.predictions_from(self.prediction_cursor, batch, self.model)
            groups: dict[Key, list[LoggedPrediction]] = {}
            for r in rows:
                groups.setdefault((r.model, r.version), []).append(r)
            for key, group in groups.items():
                ok &= self._ingest(key, group)
            if rows:
                self.prediction_cursor = position_after(rows[-1])
            if len(rows) < batch:
                break
        while True:
            found = self.reader.labels_between(self.label_cursor, label_mark, batch)
            for lab in found:
                for window in self.windows.values():
                    if window.label(lab.prediction_id, lab.label, lab.received_at):
                        break
            if found:
                self.label_cursor = position_after(found[-1])
            if len(found) < batch:
                break
        self.label_cursor = max(self.label_cursor, label_mark)
        return ok

    # --- computing -------------------------------------------------------------
    def _compute(self, now: float) -> tuple[VersionResult, ...]:
        out: list[VersionResult] = []
        for key in sorted(self.windows, key=lambda k: version_order(*k)):
            window = self.windows[key]
            result = (
                self._compute_rows(window, now)
                if isinstance(window, VersionWindow)
                else self._compute_counts(window, now)
            )
            if result is None:
                del self.windows[key]  # every prediction of this version aged out
                continue
            out.append(result)
        return tuple(out)

    def _compute_rows(self, window: VersionWindow, now: float) -> VersionResult | None:
        cfg = self.config
        drift_slots = window.select(
            cfg.window_size, now - cfg.window_seconds if cfg.window_seconds else None
        )
        label_slots = window.select(
            cfg.label_window_size,
            now - cfg.label_window_seconds if cfg.label_window_seconds else None,
            labelled=True,
        )
        if (
            window.count(drift_slots) == 0
            and window.count(label_slots) == 0
            and (cfg.window_seconds or cfg.label_window_seconds)
        ):
            return None
        counts = from_window(window.prepared, window.window(drift_slots))
        return evaluate(
            window.prepared, counts, window.labelled(label_slots), window.last_label_at, cfg
        )

    def _compute_counts(self, window: IntervalWindow, now: float) -> VersionResult | None:
        cfg = self.config
        assert cfg.window_seconds is not None and cfg.label_window_seconds is not None
        drift_slots = window.window_slots(now, cfg.window_seconds)
        label_slots = window.window_slots(now, cfg.label_window_seconds)
        counts = window.counts(drift_slots)
        labelled = window.labelled(label_slots)
        if counts.size == 0 and labelled_samples(labelled) == 0:
            return None
        return evaluate(window.prepared, counts, labelled, window.last_label_at, cfg)

    def run_cycle(self) -> CycleResults:
        with self._cycle_lock:
            return self._run_cycle()

    def _run_cycle(self) -> CycleResults:
        started = self.clock()
        t0 = time.perf_counter()
        previous = self.latest()
        success = True
        versions = previous.versions
        try:
            if not self._read(started):
                self.errors["registry"] += 1
                success = False
        except (SQLAlchemyError, OSError) as exc:
            log.warning("reading the prediction log failed: %s", exc)
            self.errors["store"] += 1
            success = False
            self.reader.engine.dispose()  # reconnect from scratch next cycle
        except Exception:  # e.g. rows the reader cannot make sense of: count it, keep going
            log.exception("reading the prediction log failed")
            self.errors["store"] += 1
            success = False
        else:
            try:
                versions = self._compute(started)
            except Exception:  # a bug in one statistic must not stop the exporter
                log.exception("computing drift statistics failed")
                self.errors["compute"] += 1
                success = False
        finished = self.clock()
        results = CycleResults(
            versions=versions,
            last_run_at=finished,
            last_success_at=finished if success else previous.last_success_at,
            run_duration_seconds=time.perf_counter() - t0,
            errors=dict(self.errors),
            started_at=previous.started_at,
        )
        if self.on_publish is not None:
            self.on_publish(results)  # first: a reader of these results finds them recorded
        with self._lock:
            self._results = results
        return results
