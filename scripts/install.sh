#!/usr/bin/env bash
# Installs what driftline needs on a Debian machine, and nothing else:
#   1. Debian packages (as root, only those missing): Prometheus, Alertmanager, PHP 8.2 with
#      curl/sqlite3, PHPUnit, docker-compose (for `docker-compose config` only), PostgreSQL (for the
#      PostgreSQL store test), Chromium (dashboard page test), wrk (load tests), nginx and
#      php-fpm (the compose receiver's configs are run natively in a test), python3-venv, and
#      the container engine of tests/containers: Podman with runc, the CNI dnsname plugin (service
#      names resolve on compose networks), catatonit (compose's `init: true`), uidmap, and
#      debootstrap (scripts/base_images.sh makes the base images from Debian packages).
#      Package installs do not start any service: tests start their own servers on loopback.
#   2. A containers.conf drop-in for Podman: runc, and nofile/nproc ulimits of 4096, at or below
#      the hard limits of the test machines (containers and build steps fail to start above them).
#   3. A Python virtual environment in .venv with driftline and its pinned dependencies from PyPI
#      (re-installed only when pyproject.toml changes).
# Safe to run again: it skips whatever is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[install] %s\n' "$*"; }
die() { printf '[install] error: %s\n' "$*" >&2; exit 1; }

APT_PACKAGES=(
  prometheus prometheus-alertmanager
  php-cli php-curl php-sqlite3 php-xml php-mbstring phpunit
  docker-compose postgresql chromium wrk nginx-light php8.2-fpm libfcgi-bin
  python3 python3-venv python3-dev gcc make curl ca-certificates
  podman runc golang-github-containernetworking-plugin-dnsname catatonit uidmap debootstrap
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages (${missing[*]}); run as root or install them with apt-get"
  command -v apt-get >/dev/null || die "apt-get not found: this script supports Debian and its derivatives"
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq || die "apt-get update failed (is the Debian mirror reachable?)"
  # Keep PostgreSQL, nginx and php-fpm from starting system services on install.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null || die "apt-get install failed for: ${missing[*]}"
else
  say "Debian packages: all present"
fi

# Podman: runc (crun refuses hybrid cgroup layouts) and ulimits under the machine's hard limits.
PODMAN_CONF=/etc/containers/containers.conf.d/driftline.conf
if [ ! -f "$PODMAN_CONF" ]; then
  [ "$(id -u)" -eq 0 ] || die "missing $PODMAN_CONF; run as root"
  limit=4096
  for hard in "$(ulimit -Hn)" "$(ulimit -Hu)"; do
    if [ "$hard" != unlimited ] && [ "$hard" -lt "$limit" ]; then limit=$hard; fi
  done
  say "writing $PODMAN_CONF (runc, nofile/nproc $limit)"
  mkdir -p "$(dirname "$PODMAN_CONF")"
  cat >"$PODMAN_CONF" <<CONF
# driftline (scripts/install.sh): runc, since crun refuses hybrid cgroup layouts, and ulimits at
# or below this machine's hard limits, so every container and build step can start.
[containers]
default_ulimits = ["nofile=$limit:$limit", "nproc=$limit:$limit"]
init_path = "/usr/bin/catatonit"

[engine]
runtime = "runc"
CONF
else
  say "Podman configuration: present"
fi

# Debian starts a PostgreSQL cluster on install; the tests run their own throwaway server instead.
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "$PYTHON is $("$PYTHON" --version 2>&1); driftline needs Python 3.11 or newer"

if [ ! -x .venv/bin/python ]; then
  say "creating virtual environment .venv with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv .venv || die "python3 -m venv failed (is python3-venv installed?)"
fi

stamp=.venv/.driftline-installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing Python packages into .venv (pyproject.toml changed or first run)"
  log=.venv/install.log
  .venv/bin/python -m pip install -q --upgrade pip >"$log" 2>&1 \
    || { tail -n 40 "$log" >&2; die "pip upgrade failed (is PyPI reachable?); full log in $log"; }
  # compat mode puts the checkout itself on sys.path, so bench scripts can import tests.support.
  # constraints.txt pins every package to the versions the test suite passed with.
  .venv/bin/python -m pip install -q -e '.[dev]' -c constraints.txt \
    --config-settings editable_mode=compat >>"$log" 2>&1 \
    || { tail -n 40 "$log" >&2; die "pip install failed; full log in $log"; }
  echo "$want" >"$stamp"
else
  say "Python packages: up to date"
fi
say "done"
