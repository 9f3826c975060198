"""Exit codes of the `driftline` command and the error a subcommand raises to use them.

In the ground floor so every package's `cli.py` can raise `CliError` without
importing the command's entry point (the `cli` package), which sits above them all.

Exit codes: 0 success, 1 the operation failed, 2 bad input (usage, unknown
version, unusable data file).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class CliError(Exception):
    """Ends a subcommand with ``message`` on stderr and exit ``code`` (bad input unless told)."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code
