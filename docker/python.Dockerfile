# driftline's Python image: MLflow server, trainer, inference servers, drift exporter, config
# renderer and traffic generator all run from it (each with its stack/topology.py command).
# The `worker` target adds Debian's PHP CLI for the PHP worker, which runs `driftline retrain`.
#
#   docker build -f docker/python.Dockerfile -t driftline-python .
#   docker build -f docker/python.Dockerfile --target worker -t driftline-worker .

# Same Debian release (bookworm) as the machines the test suite runs on. The official image by
# default; tests/containers builds on a local stand-in of it (scripts/base_images.sh).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# The dependency list alone, worked out from pyproject.toml in a stage of its own: the app
# stage copies only its result, so an edit of pyproject.toml that leaves the dependencies as
# they are (a pytest or ruff setting) keeps the cached install (5-7 minutes here).
FROM ${PYTHON_IMAGE} AS requirements
WORKDIR /src
COPY pyproject.toml ./
# Optional extras of pyproject.toml, comma-separated: `--build-arg DRIFTLINE_EXTRAS=postgres`
# adds psycopg for a PostgreSQL prediction log (docs/compose.md).
ARG DRIFTLINE_EXTRAS=""
RUN python -c "import sys, tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
extras = [e for e in sys.argv[1].split(',') if e]; \
print('\n'.join(p['dependencies'] + [d for e in extras for d in p['optional-dependencies'][e]]))" \
      "$DRIFTLINE_EXTRAS" > requirements.txt

FROM ${PYTHON_IMAGE} AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DRIFTLINE_HOME=/var/lib/driftline

# One uid/gid (10001) in every driftline image, so the shared state volume is writable by all.
# /config is the mount point of the rendered monitoring config, which the `config` service
# writes as this user (an empty named volume takes the owner of the folder it is mounted on).
RUN groupadd --system --gid 10001 driftline \
 && useradd --system --uid 10001 --gid driftline --home-dir /var/lib/driftline \
            --no-create-home --shell /usr/sbin/nologin driftline \
 && install -d -o driftline -g driftline -m 0750 /var/lib/driftline \
 && install -d -o driftline -g driftline -m 0755 /config

WORKDIR /app

# Dependencies first, at the exact versions of the tested virtualenv, so that code changes
# do not reinstall them. The build backend is pinned too and used without build isolation
# (isolation would fetch whatever setuptools is newest).
COPY constraints.txt constraints.txt
COPY --from=requirements /src/requirements.txt /tmp/requirements.txt
RUN pip install --constraint constraints.txt "setuptools==80.9.0" \
 && pip install --constraint constraints.txt --requirement /tmp/requirements.txt

# The project itself. Installed editable in compat mode (as scripts/install.sh does): /app goes
# on sys.path, so every top-level package of the checkout is importable.
COPY pyproject.toml ./
COPY cli cli
COPY driftline driftline
COPY training training
COPY reference reference
COPY predictionlog predictionlog
COPY serving serving
COPY exporter exporter
COPY retraining retraining
COPY adoption adoption
COPY traffic traffic
COPY stack stack
# Templates of the config renderer (driftline/monitoring_render.py reads them from the checkout).
COPY prometheus prometheus
COPY alerting alerting
COPY docker/probe.py docker/probe.py
RUN pip install --no-build-isolation --no-deps --editable . --config-settings editable_mode=compat \
 && driftline --help >/dev/null

USER driftline
# Services override the URL (compose `healthcheck:`); one-shot services disable the check.
ENV DRIFTLINE_HEALTHCHECK_URL=http://127.0.0.1:8000/health
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/docker/probe.py"]
CMD ["driftline", "--help"]


# The PHP worker: PHP CLI from Debian (bookworm, the PHP 8.2 the PHP tests run on) on top of the
# Python image, because each job it runs is `driftline retrain` and needs the whole Python side.
FROM app AS worker
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        php8.2-cli php8.2-curl php8.2-sqlite3 php8.2-mbstring php8.2-xml \
 && rm -rf /var/lib/apt/lists/*
COPY php php
USER driftline
# The worker has no port; the check is that PHP has what the worker needs (the container stops
# when the worker process does). No spaces in the PHP code, as in docker-compose.yml (Podman's
# Docker API splits a compose health check's arguments at spaces).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["php", "-r", "exit(extension_loaded('pdo_sqlite')&&extension_loaded('pcntl')?0:1);"]
CMD ["php", "php/bin/worker.php"]
