"""Load through the PHP router (POST /predict) against the champion server straight.

Run from the repository root:

    .venv/bin/python bench/stack_load.py [--seconds 15] [--runs 3] [--connections 8]

Starts the whole native stack (stack/native.py, FAST timing, free ports, no
traffic generator): MLflow, two inference servers, exporter, PHP receiver and
worker, Prometheus, Alertmanager. wrk (2 threads) then posts realistic churn
records (training.synthetic through traffic.records) to two targets, runs
interleaved so drift of this shared 2-core machine hits both alike:

- ``router``: the stack's PHP A/B router, php/bin/router.php (pre-forked
  long-running workers keeping client and upstream connections alive),
  forwarding to the champion (95 %) or the challenger (5 %);
- ``php-s``: the same routing through the receiver's ``POST /predict``, ``php -S``
  with PHP_CLI_SERVER_WORKERS=4 (a PHP request start per prediction, a new client
  connection per request; upstream connections kept per PHP process): the path
  traffic took before the router process;
- ``direct``: the same bodies to the champion server's own ``/predict``;
- ``router-champion``: a second router process sending every request to the
  champion, so the router's own cost shows apart from the split's (the
  challenger's 5 % of predictions cost CPU too, and direct has none of them);
- ``router-wN`` for each ``--router-workers N`` and ``php-s-wN`` for each
  ``--php-workers N``: more router processes and ``php -S`` receivers with the
  stack's environment (read from /proc) but N workers, so concurrency can be
  compared in the same run.

Every request carries a new ``X-User-Key`` (a per-thread counter), so the
sticky split spreads over the weights. wrk's Lua ``response`` hook counts
statuses and the ``X-Driftline-Variant`` that answered; ``done`` writes them
with p90 to a file. The table shows medians of the runs and the router's cost
as ratios to the direct baseline; then what the router's decision log and the
services' logs say about failures. Figures only; no pass/fail. About 4 minutes
(the stack start trains two small models).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import requests
from serving_memory import cpu_seconds, descendants
from serving_wrk import WrkResult, lua_script, run

from driftline.timing import FAST
from stack.native import NativeStack, StackOptions, running_stack
from stack.processes import Managed, StartupError, free_port, spawn, stop_all, wait_ready
from stack.topology import ROUTER, ROUTER_WORKERS
from traffic.records import to_records
from traffic.scenarios import scenario
from training.synthetic import generate

THREADS: Final = 2  # wrk's; it needs at least one connection per thread


def wrk_threads(connections: int) -> int:
    return min(THREADS, connections)


VARIANT_HEADER: Final = "x-driftline-variant"

# Appended to serving_wrk.lua_script's output. The user key goes in right after
# the request line, so this does not depend on how that script builds headers.
# Each wrk thread has its own Lua state: setup() numbers them, done() sums them.
HOOKS: Final = """
local threads = {}
local next_id = 0
setup = function(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  table.insert(threads, thread)
end

local body_request = request
local sent = 0
statuses = {}
variants = {}
request = function()
  sent = sent + 1
  local req = body_request()
  local eol = string.find(req, "\\r\\n", 1, true)
  return string.sub(req, 1, eol + 1) .. "X-User-Key: load-" .. thread_id .. "-" .. sent
    .. "\\r\\n" .. string.sub(req, eol + 2)
end

close_delimited = 0
response = function(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  local variant, framed = "-", false
  for name, value in pairs(headers) do
    local lower = string.lower(name)
    if lower == "%(variant_header)s" then
      variant = value
    elseif lower == "content-length" or lower == "transfer-encoding" then
      framed = true
    end
  end
  variants[variant] = (variants[variant] or 0) + 1
  if not framed then close_delimited = close_delimited + 1 end
end

done = function(summary, latency, requests)
  local out = assert(io.open([==[%(summary_path)s]==], "w"))
  out:write("p90_us total ", latency:percentile(90.0), "\\n")
  for kind, n in pairs(summary.errors) do out:write("socket ", kind, " ", n, "\\n") end
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("statuses")) do out:write("status ", key, " ", n, "\\n") end
    for key, n in pairs(thread:get("variants")) do out:write("variant ", key, " ", n, "\\n") end
    out:write("closed total ", thread:get("close_delimited"), "\\n")
  end
  out:close()
end
"""


@dataclass(frozen=True)
class HookSummary:
    """What the Lua hooks counted in one wrk run."""

    p90_seconds: float
    statuses: Counter[str]
    variants: Counter[str]  # "-": no X-Driftline-Variant header
    socket_errors: Counter[str]  # connect / read / write / timeout / status (wrk's names)
    # Answers without Content-Length or chunking (php -S): their body ends when the
    # server closes, and wrk counts that end as a read error after the answer.
    close_delimited: int

    def failed_sockets(self) -> int:
        """Socket errors that lost a request: read errors beyond the close-delimited ends."""
        errors = self.socket_errors
        reads = max(errors["read"] - self.close_delimited, 0)
        return errors["connect"] + errors["write"] + errors["timeout"] + reads


@dataclass(frozen=True)
class LoadRun:
    wrk: WrkResult
    hooks: HookSummary
    cpu_ms_per_request: dict[str, float]  # per stack service, its whole process tree


def load_script(bodies: list[dict[str, Any]], summary_path: Path) -> str:
    if "]==]" in str(summary_path):
        raise ValueError(f"summary path {summary_path} contains the Lua long-string terminator")
    hooks = HOOKS % {"variant_header": VARIANT_HEADER, "summary_path": summary_path}
    return lua_script("/predict", bodies) + hooks


def parse_summary(text: str) -> HookSummary:
    """Read the lines the Lua ``done`` hook wrote: ``KIND NAME COUNT``."""
    p90: float | None = None
    counters: dict[str, Counter[str]] = {"status": Counter(), "variant": Counter(),
                                         "socket": Counter(), "closed": Counter()}  # fmt: skip
    for line in text.splitlines():
        kind, name, value = line.rsplit(" ", 2) if line.count(" ") >= 2 else (line, "", "")
        if kind == "p90_us":
            p90 = float(value) / 1e6
        elif kind in counters:
            counters[kind][name] += int(float(value))
        else:
            raise ValueError(f"unexpected line from the wrk done hook: {line!r}")
    if p90 is None:
        raise ValueError(f"the wrk done hook wrote no p90:\n{text}")
    return HookSummary(
        p90, counters["status"], counters["variant"], counters["socket"],
        counters["closed"]["total"],
    )  # fmt: skip


def tree_cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in (pid, *descendants(pid)):
        with contextlib.suppress(OSError):  # a process that ended meanwhile
            total += cpu_seconds(p)
    return total


# The extra routers (extra_routers), counted with the stack's services.
EXTRA_SERVICES: list[Managed] = []


def services_cpu(stack: NativeStack) -> dict[str, float]:
    return {m.name: tree_cpu_seconds(m.proc.pid) for m in [*stack.services, *EXTRA_SERVICES]}


IDLE_SECONDS: Final = 5


def idle_cpu_ms_per_second(stack: NativeStack) -> dict[str, float]:
    """Each service's CPU with no load (reloads, ingestion, scrapes), in ms per second."""
    before = services_cpu(stack)
    time.sleep(IDLE_SECONDS)
    after = services_cpu(stack)
    return {name: (after[name] - before.get(name, 0.0)) / IDLE_SECONDS * 1e3 for name in after}


def measure(
    stack: NativeStack, url: str, script: Path, summary: Path, *, connections: int, seconds: int
) -> LoadRun:
    summary.unlink(missing_ok=True)
    before = services_cpu(stack)
    result = run(url, script, threads=wrk_threads(connections), connections=connections,
                 seconds=seconds)  # fmt: skip
    after = services_cpu(stack)
    hooks = parse_summary(summary.read_text())
    n = max(result.requests, 1)
    cpu = {name: (after[name] - before.get(name, 0.0)) / n * 1e3 for name in after}
    return LoadRun(result, hooks, cpu)


def check_once(url: str, body: dict[str, Any], *, expect_variant: bool) -> None:
    """One request by hand, so a broken target fails loudly before the timed runs."""
    resp = requests.post(url, json=body, headers={"X-User-Key": "load-check"}, timeout=10)
    if resp.status_code != 200:
        raise RuntimeError(f"{url} answered {resp.status_code}: {resp.text[:500]}")
    if expect_variant and VARIANT_HEADER not in {k.lower() for k in resp.headers}:
        raise RuntimeError(f"{url} answered without an X-Driftline-Variant header")


def decision_summary(decisions: Path) -> tuple[Counter[str], Counter[str]]:
    """(answered/status/fallback counts, failure messages) from the router's decision log."""
    outcomes: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    if not decisions.exists():
        return outcomes, failures
    for line in decisions.read_text().splitlines():
        d = json.loads(line)
        tag = f"{d['answered']} {d['status']}" + (" fallback" if d["fallback"] else "")
        outcomes[tag] += 1
        for failure in d["failures"]:
            # Ports and timings vary per request; count the kind of failure.
            failures[re.sub(r"\d+", "N", str(failure))] += 1
    return outcomes, failures


PROBLEM: Final = re.compile(r"(?i)\b(error|warning|fatal|traceback|critical|exception)\b")
PHP_ACCESS: Final = re.compile(r"\[(\d{3})\]: (\w+) (\S+)")


def log_problems(logs: Path) -> dict[str, tuple[Counter[str], list[str]]]:
    """Per log: php -S access statuses for /predict, and lines that look like trouble."""
    found: dict[str, tuple[Counter[str], list[str]]] = {}
    for log in sorted(logs.glob("*.log")):
        statuses: Counter[str] = Counter()
        trouble: list[str] = []
        for line in log.read_text(errors="replace").splitlines():
            access = PHP_ACCESS.search(line)
            if access and access.group(3) == "/predict":
                statuses[access.group(1)] += 1
            elif PROBLEM.search(line):
                trouble.append(line.strip())
        found[log.name] = (statuses, trouble)
    return found


def median_run(runs: list[LoadRun]) -> dict[str, float]:
    med = statistics.median
    return {
        "rps": med(r.wrk.requests_per_second for r in runs),
        "p50": med(r.wrk.p50_seconds for r in runs) * 1e3,
        "p90": med(r.hooks.p90_seconds for r in runs) * 1e3,
        "p99": med(r.wrk.p99_seconds for r in runs) * 1e3,
        "requests": sum(r.wrk.requests for r in runs),
        "non2xx": sum(n for r in runs for s, n in r.hooks.statuses.items() if s[0] != "2"),
        "socket": sum(r.hooks.failed_sockets() for r in runs),
        "eof_reads": sum(min(r.hooks.socket_errors["read"], r.hooks.close_delimited) for r in runs),
    }


def variant_shares(runs: list[LoadRun]) -> str:
    total: Counter[str] = Counter()
    for r in runs:
        total.update(r.hooks.variants)
    n = sum(total.values()) or 1
    return ", ".join(f"{name} {count / n * 100:.1f}%" for name, count in total.most_common())


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="length of one wrk run")
    parser.add_argument("--runs", type=int, default=3, help="runs per target (median taken)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--php-workers", type=int, nargs="*", default=[], metavar="N",
                        help="also measure php -S routers with N workers, one per N")  # fmt: skip
    parser.add_argument("--router-workers", type=int, nargs="*", default=[], metavar="N",
                        help="also measure router processes with N workers, one per N")  # fmt: skip
    parser.add_argument("--home", type=Path, default=None,
                        help="stack home to keep (logs/, router/decisions.jsonl); "
                             "default: a temporary folder, removed")  # fmt: skip
    args = parser.parse_args()
    for option in ("seconds", "runs", "connections"):
        if getattr(args, option) < 1:
            print(f"--{option} must be at least 1", file=sys.stderr)
            return 2
    for option in ("php_workers", "router_workers"):
        if any(n < 1 for n in getattr(args, option)):
            print(f"--{option.replace('_', '-')} takes whole numbers of at least 1",
                  file=sys.stderr)  # fmt: skip
            return 2
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian package wrk)", file=sys.stderr)
        return 2
    if args.home is not None and args.home.exists() and any(args.home.iterdir()):
        print(f"--home {args.home} is not empty; give a new folder", file=sys.stderr)
        return 2
    home = args.home or Path(tempfile.mkdtemp(prefix="driftline-bench-stack-load-"))
    options = StackOptions(home=home, timing=FAST, scenario=scenario("steady", 30),
                           ephemeral_ports=True)  # fmt: skip
    try:
        with running_stack(options, say=lambda line: print(line, flush=True)) as stack:
            return load(stack, args)
    except StartupError as exc:
        print(f"stack did not start: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"{shlex.join(exc.cmd)} failed ({exc.returncode}): {exc.stderr}", file=sys.stderr)
        return 1
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)


def process_env(pid: int) -> dict[str, str]:
    """The environment a running process was started with (Linux /proc)."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(): value.decode() for key, value in pairs}


@contextlib.contextmanager
def extra_routers(
    stack: NativeStack, php_workers: list[int], router_workers: list[int]
) -> Iterator[dict[str, str]]:
    """More routers beside the stack's, each with the environment the stack gave its own:

    - ``router-champion``: the router process with every request to the champion (no
      split), so the router's own cost shows apart from the challenger's share of the work;
    - ``router-wN`` per ``--router-workers N``: the router process with N workers;
    - ``php-s-wN`` per ``--php-workers N``: ``php -S`` (the receiver) with N workers.
    """
    repo = Path(__file__).resolve().parents[1]
    router_env = process_env(next(m for m in stack.services if m.name == "router").proc.pid)
    receiver_env = process_env(next(m for m in stack.services if m.name == "receiver").proc.pid)
    champion_only = json.dumps({stack.options.model_names[0]:
                                f"champion={stack.url('serving-champion')}:1"})  # fmt: skip

    def router(workers: int) -> list[str]:
        # The stack's own router command line (stack/topology.py), with another worker count.
        argv = ROUTER.command(host="127.0.0.1", port="{port}")
        argv[argv.index("--workers") + 1] = str(workers)
        return argv

    plans: list[tuple[str, list[str], dict[str, str]]] = [
        ("router-champion", router(ROUTER_WORKERS),
         {**router_env, "DRIFTLINE_ROUTES": champion_only}),
        *((f"router-w{n}", router(n), router_env) for n in router_workers),
        *((f"php-s-w{n}", ["php", "-S", "127.0.0.1:{port}", "-t", "php/public"],
           {**receiver_env, "PHP_CLI_SERVER_WORKERS": str(n)}) for n in php_workers),
    ]  # fmt: skip
    started: list[Managed] = []
    urls: dict[str, str] = {}
    try:
        for name, argv, env in plans:
            port = free_port()
            managed = spawn(name, [a.format(port=port) for a in argv], env=env,
                            log=stack.home / "logs" / f"{name}.log", cwd=repo)  # fmt: skip
            started.append(managed)
            EXTRA_SERVICES.append(managed)
            wait_ready(managed, f"http://127.0.0.1:{port}/health", timeout=30)
            urls[name] = f"http://127.0.0.1:{port}"
        yield urls
    finally:
        stop_all(started)
        EXTRA_SERVICES.clear()


def load(stack: NativeStack, args: argparse.Namespace) -> int:
    with extra_routers(stack, args.php_workers, args.router_workers) as extra:
        return load_targets(stack, args, extra)


def load_targets(stack: NativeStack, args: argparse.Namespace, extra: dict[str, str]) -> int:
    bench = stack.home / "bench"
    bench.mkdir()
    bodies = [{"record": record} for record, _ in to_records(generate(200, seed=7))]
    targets = {
        "router": stack.url("router"),
        "php-s": stack.url("receiver"),
        "direct": stack.url("serving-champion"),
        **extra,
    }
    scripts = {}
    for name, base in targets.items():
        check_once(f"{base}/predict", bodies[0], expect_variant=name != "direct")
        script = bench / f"{name}.lua"
        script.write_text(load_script(bodies, bench / f"{name}.summary"))
        scripts[name] = script
        measure(stack, f"{base}/predict", script, bench / f"{name}.summary",
                connections=args.connections, seconds=2)  # warm-up  # fmt: skip
    idle = idle_cpu_ms_per_second(stack)
    runs: dict[str, list[LoadRun]] = {name: [] for name in targets}
    for round_ in range(1, args.runs + 1):
        for name, base in targets.items():
            r = measure(stack, f"{base}/predict", scripts[name], bench / f"{name}.summary",
                        connections=args.connections, seconds=args.seconds)  # fmt: skip
            h = r.hooks
            runs[name].append(r)
            print(f"run {round_} {name:9s} {r.wrk.requests_per_second:7.1f} req/s"
                  f"  p50 {r.wrk.p50_seconds * 1e3:7.2f} ms  p90 {h.p90_seconds * 1e3:7.2f} ms"
                  f"  p99 {r.wrk.p99_seconds * 1e3:7.2f} ms  requests {r.wrk.requests}"
                  f"  statuses {dict(h.statuses)}  socket errors {dict(+h.socket_errors)}"
                  f"  close-delimited {h.close_delimited}", flush=True)  # fmt: skip
    report(stack, targets, scripts, runs, idle, args)
    return 0


def report(
    stack: NativeStack,
    targets: dict[str, str],
    scripts: dict[str, Path],
    runs: dict[str, list[LoadRun]],
    idle: dict[str, float],
    args: argparse.Namespace,
) -> None:
    rows = {name: median_run(r) for name, r in runs.items()}
    threads = wrk_threads(args.connections)
    print()
    print(f"POST /predict, one churn record per request, a new X-User-Key each; wrk -t{threads} "
          f"-c{args.connections} -d{args.seconds}s, median of {args.runs} interleaved runs; "
          f"whole stack up (FAST timing), no traffic generator")  # fmt: skip
    print(f"{'target':9s} {'req/s':>8s} {'p50 ms':>8s} {'p90 ms':>8s} {'p99 ms':>8s} "
          f"{'requests':>9s} {'non-2xx':>8s} {'socket':>7s}  answered by")  # fmt: skip
    for name, row in rows.items():
        print(f"{name:9s} {row['rps']:8.1f} {row['p50']:8.2f} {row['p90']:8.2f} {row['p99']:8.2f} "
              f"{int(row['requests']):9d} {int(row['non2xx']):8d} {int(row['socket']):7d}  "
              f"{variant_shares(runs[name])}")  # fmt: skip
    direct = rows["direct"]
    print()
    for name, router in rows.items():
        if name == "direct":
            continue
        print(f"{name} overhead: throughput {router['rps'] / direct['rps']:.2f}x of direct, "
              f"latency p50 {router['p50'] / direct['p50']:.2f}x, "
              f"p90 {router['p90'] / direct['p90']:.2f}x, "
              f"p99 {router['p99'] / direct['p99']:.2f}x; "
              f"+{router['p50'] - direct['p50']:.2f} ms at p50, "
              f"{router['p99'] - direct['p99']:+.2f} ms at p99")  # fmt: skip
        if router["eof_reads"]:
            print(f"socket column leaves out {int(router['eof_reads'])} wrk read errors that only "
                  "end php -S answers (body closed by the connection, no Content-Length): "
                  "each came after a complete answer counted above")  # fmt: skip
    print()
    print("CPU ms per request, median, each service's process tree; wrk not included. "
          "mlflow, exporter and prometheus work on a clock: their figure is that work "
          "over the requests")  # fmt: skip
    every = [r for rs in runs.values() for r in rs]
    busy = [s for s in every[0].cpu_ms_per_request
            if any(r.cpu_ms_per_request[s] >= 0.05 for r in every)]  # fmt: skip
    print(f"{'target':9s} " + " ".join(f"{s:>18s}" for s in [*busy, "total"]))
    for name, rs in runs.items():
        cells = [statistics.median(r.cpu_ms_per_request[s] for r in rs) for s in busy]
        total = statistics.median(sum(r.cpu_ms_per_request.values()) for r in rs)
        print(f"{name:9s} " + " ".join(f"{c:18.2f}" for c in [*cells, total]))
    champion = "serving-champion"
    print(f"with no load ({IDLE_SECONDS} s, before the runs) the champion server used "
          f"{idle[champion]:.1f} ms of CPU per second; per request net of that, "
          "median:")  # fmt: skip
    for name, rs in runs.items():
        net = statistics.median(r.cpu_ms_per_request[champion]
                                - idle[champion] / max(r.wrk.requests_per_second, 1e-9)
                                for r in rs)  # fmt: skip
        print(f"  {name:9s} {net:.2f} ms")
    print()
    kept = "" if args.home else "; the scripts go with the temporary home, --home keeps them"
    print(f"commands (as bench/serving_wrk.run builds them{kept}):")
    for name, base in targets.items():
        print(f"  wrk -t{threads} -c{args.connections} -d{args.seconds}s --latency --timeout 10s "
              f"-s {scripts[name]} {base}/predict")  # fmt: skip
    extra = "".join(f" --{option.replace('_', '-')}" + "".join(f" {n}" for n in values)
                    for option in ("php_workers", "router_workers")
                    if (values := getattr(args, option)))  # fmt: skip
    print(f"  this script: .venv/bin/python bench/stack_load.py --seconds {args.seconds} "
          f"--runs {args.runs} --connections {args.connections}{extra}")  # fmt: skip

    outcomes, failures = decision_summary(stack.home / "router" / "decisions.jsonl")
    print()
    print("router decision log (all requests, warm-ups included): "
          + ", ".join(f"{k}: {n}" for k, n in outcomes.most_common()))  # fmt: skip
    for failure, n in failures.most_common(5):
        print(f"  upstream failure x{n}: {failure}")
    for log, (statuses, trouble) in log_problems(stack.home / "logs").items():
        if statuses:
            print(f"{log}: php -S /predict statuses {dict(statuses)}")
        if trouble:
            print(f"{log}: {len(trouble)} lines that look like trouble, e.g.")
            for line in list(dict.fromkeys(trouble))[:3]:
                print(f"  {line[:200]}")


if __name__ == "__main__":
    sys.exit(main())
