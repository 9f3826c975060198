"""Drift and performance statistics: pure functions over arrays, no I/O."""
