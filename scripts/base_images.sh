#!/usr/bin/env bash
# Makes the base images of docker/*.Dockerfile locally from Debian packages, for machines that
# cannot reach Docker Hub (the test machines; docs/compose.md), and tags them with the official
# names so the Dockerfiles and docker-compose.yml build unchanged:
#   debian:bookworm-slim          <- debootstrap --variant=minbase bookworm
#   python:3.11-slim-bookworm     <- docker/base/python.Dockerfile on top of it
# Each image carries a label with the hash of its inputs; an image whose label matches is kept,
# so a second run takes seconds. Needs root, podman and debootstrap (scripts/install.sh).
#   usage: scripts/base_images.sh            # make what is missing or out of date
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[base-images] %s\n' "$*"; }
die() { printf '[base-images] error: %s\n' "$*" >&2; exit 1; }

DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim
PYTHON_IMAGE=docker.io/library/python:3.11-slim-bookworm
LABEL=org.driftline.inputs
# The host's own Debian mirror (the one apt uses here), else Debian's redirector.
MIRROR=${DEBIAN_MIRROR:-$(grep -rhoE 'https?://[^ ]+/debian/?$' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | head -n1 || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

command -v podman >/dev/null || die "podman not found (scripts/install.sh installs it)"
command -v debootstrap >/dev/null || die "debootstrap not found (scripts/install.sh installs it)"
[ "$(id -u)" -eq 0 ] || die "debootstrap and podman's native overlay storage need root"

current() { podman image inspect --format "{{index .Labels \"$LABEL\"}}" "$1" 2>/dev/null || true; }

debian_hash=$(printf '%s\n' "$MIRROR" | cat - scripts/base_images.sh | sha256sum | cut -d' ' -f1)
if [ "$(current "$DEBIAN_IMAGE")" = "$debian_hash" ]; then
  say "$DEBIAN_IMAGE: up to date"
else
  say "$DEBIAN_IMAGE: debootstrap --variant=minbase bookworm from $MIRROR"
  root=$(mktemp -d /var/tmp/driftline-bookworm.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$root.log" 2>&1 \
    || { tail -n 30 "$root.log" >&2; die "debootstrap failed; full log in $root.log"; }
  rm -f "$root.log"
  # As in the official image: no package lists or caches in the layer.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" -c . | podman import --quiet \
    --change 'CMD ["bash"]' --change "LABEL $LABEL=$debian_hash" - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$root"
  trap - EXIT
fi

python_hash=$(printf '%s\n' "$debian_hash" | cat - docker/base/python.Dockerfile | sha256sum | cut -d' ' -f1)
if [ "$(current "$PYTHON_IMAGE")" = "$python_hash" ]; then
  say "$PYTHON_IMAGE: up to date"
else
  say "$PYTHON_IMAGE: Debian's Python 3.11 on $DEBIAN_IMAGE"
  podman build --quiet --network host --format docker \
    --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" --label "$LABEL=$python_hash" \
    -f docker/base/python.Dockerfile -t "$PYTHON_IMAGE" docker/base >/dev/null
fi
say "done"
