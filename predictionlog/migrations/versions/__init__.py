"""Revisions of the prediction log's schema, oldest first: ``NNNN_slug.py``, one per change."""
