"""The drift exporter: compares logged predictions with each version's reference profile
and serves the figures to Prometheus (docs/drift.md)."""
