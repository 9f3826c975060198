"""driftline: monitoring and drift observability for models that serve a PHP application."""

__version__ = "0.1.0"
