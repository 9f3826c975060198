"""The `driftline` command: one entry point with a subcommand per job (cli/main.py).

The top layer: it imports every package's `cli.py`, and nothing imports it.
"""
