"""Run the whole driftline stack natively as local processes."""
