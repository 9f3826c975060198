"""Container health probe: exit 0 when a URL answers 2xx, 1 otherwise.

The Python image has no curl; this is its HEALTHCHECK. The URL is the first
argument, else DRIFTLINE_HEALTHCHECK_URL. Standard library only.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 4.0


def probe(url: str, timeout: float = TIMEOUT_SECONDS) -> tuple[bool, str]:
    """(healthy, what happened) for one GET of ``url``."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:  # 4xx/5xx: the server runs but is not healthy
        return False, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return False, str(exc)
    return 200 <= status < 300, f"HTTP {status}"


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else os.environ.get("DRIFTLINE_HEALTHCHECK_URL", "")
    if not url:
        print("probe: no URL (argument or DRIFTLINE_HEALTHCHECK_URL)", file=sys.stderr)
        return 2
    healthy, detail = probe(url)
    if not healthy:
        print(f"probe: {url}: {detail}", file=sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
