#!/usr/bin/env bash
# The whole test suite: PHPUnit for the PHP pieces, then pytest for everything else
# (pytest starts the real servers: gunicorn, php -S, Prometheus, Alertmanager, PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-artifacts
if [ -f php/phpunit.xml.dist ]; then
  phpunit -c php/phpunit.xml.dist
fi
exec .venv/bin/pytest "$@"
