"""Wire the exporter together from settings: reader, profiles, engine, collector."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.registry import CollectorRegistry

from driftline.config import Settings
from exporter.collector import DriftCollector, MetricsPage
from exporter.engine import Engine
from exporter.profiles import MlflowProfileSource, ProfileCache
from exporter.settings import ExporterConfig
from exporter.store_reader import PredictionLogReader


@dataclass
class Exporter:
    engine: Engine
    registry: CollectorRegistry  # for tests and tools; /metrics serves `page`
    page: MetricsPage


def build(settings: Settings, config: ExporterConfig, model: str | None = None) -> Exporter:
    reader = PredictionLogReader(settings.prediction_db_url)
    profiles = ProfileCache(MlflowProfileSource(settings.tracking_uri, settings.registry_uri))
    engine = Engine(reader, profiles, config, model=model)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DriftCollector(engine.latest))
    return Exporter(engine=engine, registry=registry, page=MetricsPage(engine.latest))
