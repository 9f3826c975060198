# Prometheus and Alertmanager from Debian bookworm: the same binaries (and the same
# `prometheus-alertmanager` name as in stack/topology.py) the monitoring tests run natively.
# Both services use this image; their configuration comes from the `config` service's volume.
#
#   docker build -f docker/monitoring.Dockerfile -t driftline-monitoring .
# The official image by default; tests/containers builds on a local stand-in of it
# (scripts/base_images.sh) through this argument.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}

RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus prometheus-alertmanager curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 driftline \
 && useradd --system --uid 10001 --gid driftline --home-dir /var/lib/driftline \
            --no-create-home --shell /usr/sbin/nologin driftline \
 && install -d -o driftline -g driftline -m 0750 \
        /var/lib/driftline /var/lib/driftline/prometheus /var/lib/driftline/alertmanager

USER driftline
WORKDIR /var/lib/driftline
# Prometheus by default; the alertmanager service overrides the URL (port 9093).
ENV DRIFTLINE_HEALTHCHECK_URL=http://127.0.0.1:9090/-/ready
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD curl --fail --silent --show-error --max-time 4 "$DRIFTLINE_HEALTHCHECK_URL" >/dev/null
CMD ["prometheus", "--version"]
