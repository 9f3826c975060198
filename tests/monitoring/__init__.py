"""Tests of the Prometheus, Alertmanager and Grafana configuration (issue 4)."""
