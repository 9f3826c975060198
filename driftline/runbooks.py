"""Where the alert runbooks are read: one base URL, every ``runbook_url`` built from it.

Alertmanager notifications and Grafana's alert lists show ``runbook_url`` as a
link outside the repository, so it must be absolute. The base is the address of
docs/runbooks.md where the team reads it (a repository browser, a wiki mirror);
each alert's section is the anchor of its ``## AlertName`` heading, lower-cased
as Markdown renderers make it. Documented in docs/alerting.md.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from typing import Final

RUNBOOK_BASE_URL_ENV: Final = "DRIFTLINE_RUNBOOK_BASE_URL"
# The committed alert rules carry links built from this base.
DEFAULT_RUNBOOK_BASE_URL: Final = (
    "https://github.com/driftline/driftline/blob/main/docs/runbooks.md"
)


def check_base_url(base: str) -> str:
    """``base`` if it is an absolute http(s) URL without a fragment; ValueError otherwise."""
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise ValueError(
            f"runbook base URL must be an absolute http(s) URL without '#', got {base!r}"
        )
    return base


def runbook_base_url(environ: Mapping[str, str] | None = None) -> str:
    """The configured base (``DRIFTLINE_RUNBOOK_BASE_URL``), or the default."""
    env = os.environ if environ is None else environ
    raw = env.get(RUNBOOK_BASE_URL_ENV, "").strip() or DEFAULT_RUNBOOK_BASE_URL
    try:
        return check_base_url(raw)
    except ValueError as exc:
        raise ValueError(f"{RUNBOOK_BASE_URL_ENV}: {exc}") from exc


def runbook_url(alertname: str, base: str = DEFAULT_RUNBOOK_BASE_URL) -> str:
    """The absolute link to ``alertname``'s section of the runbooks."""
    return f"{check_base_url(base)}#{alertname.lower()}"
