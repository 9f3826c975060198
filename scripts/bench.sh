#!/usr/bin/env bash
# Every benchmark in bench/, one after another (they print their figures; nothing is asserted).
set -euo pipefail
cd "$(dirname "$0")/.."
for script in bench/*.py; do
  echo "=== $script"
  .venv/bin/python "$script"
done
