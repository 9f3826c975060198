"""Drive an HTTP endpoint with wrk and parse what it prints (helper of serving_throughput.py
and serving_limit.py)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_seconds: float
    p99_seconds: float
    requests: int
    errors: int  # non-2xx answers plus socket errors


def body_text(body: Any) -> str:
    """A request body as the benchmarks send it: compact JSON."""
    return json.dumps(body, separators=(",", ":"))


def lua_script(path: str, bodies: Sequence[Any]) -> str:
    """A wrk script that POSTs ``bodies`` as JSON to ``path`` in turn."""
    lines = ["local bodies = {}"]
    for i, body in enumerate(bodies, start=1):
        text = body_text(body)
        if "]==]" in text:
            raise ValueError("body contains the Lua long-string terminator")
        lines.append(f"bodies[{i}] = [==[{text}]==]")
    lines += [
        "local i = 0",
        'local headers = {["Content-Type"] = "application/json"}',
        "request = function()",
        "  i = i % #bodies + 1",
        f'  return wrk.format("POST", "{path}", headers, bodies[i])',
        "end",
    ]
    return "\n".join(lines) + "\n"


# Appended to a request script: count answers per wall-clock second in the wrk thread and
# print the counts when the run is done, one "second <unix time> <answers> <non-2xx>" line
# each. (A table global to the thread's Lua state: done() reads it through thread:get.)
_PER_SECOND_LUA = """
answered = {}
failed = {}
response = function(status, headers, body)
  local t = os.time()
  answered[t] = (answered[t] or 0) + 1
  if status < 200 or status > 299 then failed[t] = (failed[t] or 0) + 1 end
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local totals, bad = {}, {}
  for _, thread in ipairs(threads) do
    for t, n in pairs(thread:get("answered")) do totals[t] = (totals[t] or 0) + n end
    for t, n in pairs(thread:get("failed")) do bad[t] = (bad[t] or 0) + n end
  end
  for t, n in pairs(totals) do
    io.write(string.format("second %d %d %d\\n", t, n, bad[t] or 0))
  end
end
"""


def per_second_script(path: str, bodies: Sequence[Any]) -> str:
    """``lua_script`` that also reports the answers of every wall-clock second (``series``)."""
    return lua_script(path, bodies) + _PER_SECOND_LUA


def series(output: str) -> list[tuple[int, int, int]]:
    """(unix second, answers, non-2xx answers) of every second a per_second_script run
    printed, in time order; the first and last seconds are partial."""
    found = re.findall(r"^second (\d+) (\d+) (\d+)$", output, re.MULTILINE)
    return sorted((int(t), int(n), int(bad)) for t, n, bad in found)


def _duration(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise ValueError(f"cannot read wrk duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"(\d+) requests in", output)
    if not (rps and p50 and p99 and total):
        raise ValueError(f"unexpected wrk output:\n{output}")
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket:
        errors += sum(int(g) for g in socket.groups())
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        p50_seconds=_duration(p50.group(1)),
        p99_seconds=_duration(p99.group(1)),
        requests=int(total.group(1)),
        errors=errors,
    )


def run(url: str, script: Path, *, threads: int, connections: int, seconds: int) -> WrkResult:
    return parse(run_output(url, script, threads=threads, connections=connections, seconds=seconds))


def run_output(url: str, script: Path, *, threads: int, connections: int, seconds: int) -> str:
    """What one wrk run prints."""
    argv = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
        "--timeout", "10s", "-s", str(script), url,
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return done.stdout
