# The PHP receiver, A/B router and dashboard page under php-fpm (nginx in front, docker/nginx.conf),
# and the long-running router process (php/bin/router.php, the compose `router` service).
# Debian's PHP 8.2 (bookworm), the same packages the PHP test suite runs on.
#
#   docker build -f docker/php.Dockerfile -t driftline-php .
# The official image by default; tests/containers builds on a local stand-in of it
# (scripts/base_images.sh) through this argument.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        php8.2-fpm php8.2-curl php8.2-sqlite3 php8.2-mbstring php8.2-xml libfcgi-bin \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 driftline \
 && useradd --system --uid 10001 --gid driftline --home-dir /var/lib/driftline \
            --no-create-home --shell /usr/sbin/nologin driftline \
 && install -d -o driftline -g driftline -m 0750 /var/lib/driftline

COPY docker/php-fpm.conf /etc/driftline/php-fpm.conf
WORKDIR /app
COPY php php

ENV DRIFTLINE_HOME=/var/lib/driftline
USER driftline
EXPOSE 9000
# FastCGI ping of the pool (ping.path in docker/php-fpm.conf).
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD SCRIPT_NAME=/fpm-ping SCRIPT_FILENAME=/fpm-ping REQUEST_METHOD=GET \
        cgi-fcgi -bind -connect 127.0.0.1:9000 | grep -q pong
CMD ["php-fpm8.2", "--nodaemonize", "--fpm-config", "/etc/driftline/php-fpm.conf"]
