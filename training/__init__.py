"""Data sets and model training, logged to MLflow."""
