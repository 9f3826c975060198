"""Wire the exporter together from settings: reader, profiles, engine, collector."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.registry import CollectorRegistry

from driftline.config import Settings
from exporter.collector import DriftCollector, MetricsPage
from exporter.engine import Engine
from exporter.evidently_page import EvidentlyPages
from exporter.history import CycleHistory
from exporter.profiles import MlflowProfileSource, ProfileCache
from exporter.settings import ExporterConfig
from exporter.store_reader import PredictionLogReader


@dataclass
class Exporter:
    engine: Engine
    registry: CollectorRegistry  # for tests and tools; /metrics serves `page`
    page: MetricsPage
    history: CycleHistory  # recent cycles, for the /report page
    evidently: EvidentlyPages  # /report/evidently, computed on request


def build(settings: Settings, config: ExporterConfig, model: str | None = None) -> Exporter:
    reader = PredictionLogReader(settings.prediction_db_url)
    profiles = ProfileCache(MlflowProfileSource(settings.tracking_uri, settings.registry_uri))
    history = CycleHistory(config.history_cycles)
    engine = Engine(reader, profiles, config, model=model, on_publish=history.record)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DriftCollector(engine.latest))
    return Exporter(
        engine=engine,
        registry=registry,
        page=MetricsPage(engine.latest),
        history=history,
        evidently=EvidentlyPages(reader, profiles, engine.latest, config),
    )
