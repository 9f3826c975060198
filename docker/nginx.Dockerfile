# nginx in front of the PHP receiver's php-fpm (docker/php.Dockerfile), Debian bookworm's nginx.
#
#   docker build -f docker/nginx.Dockerfile -t driftline-nginx .
# The official image by default; tests/containers builds on a local stand-in of it
# (scripts/base_images.sh) through this argument.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}

RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx-light curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 driftline \
 && useradd --system --uid 10001 --gid driftline --no-create-home \
            --shell /usr/sbin/nologin driftline

COPY docker/nginx.conf /etc/driftline/nginx.conf

USER driftline
EXPOSE 8080
# Through nginx and php-fpm to the receiver's own /health.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["curl", "--fail", "--silent", "--show-error", "--max-time", "4", "http://127.0.0.1:8080/health"]
# -e: the compiled-in error log (/var/log/nginx) is not writable by this user.
CMD ["nginx", "-e", "stderr", "-c", "/etc/driftline/nginx.conf", "-g", "daemon off;"]
