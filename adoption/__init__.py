"""Adopting a version a team registered themselves: `driftline profile`."""
