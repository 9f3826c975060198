#!/usr/bin/env bash
# Every benchmark in bench/, one after another (they print their figures; nothing is asserted).
set -euo pipefail
cd "$(dirname "$0")/.."
for script in bench/*.py; do
  # serving_wrk.py, serving_memory.py and serving_workload.py are shared code, not benchmarks.
  grep -q '__name__ == "__main__"' "$script" || continue
  echo "=== $script"
  .venv/bin/python "$script"
done
