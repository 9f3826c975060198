"""The inference server: Flask under gunicorn, serving one registered model (docs/serving.md)."""
