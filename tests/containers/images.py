"""Build the images of docker-compose.yml with Podman, once per change of their inputs.

The list of images comes from the compose file itself (every service with a `build:`), so a
service added there is built here without a second list. Base images are the local stand-ins of
scripts/base_images.sh, passed through the Dockerfiles' base-image build arguments. An image
whose inputs (build context, Dockerfile, target, base image ids) are those it was last built
from (a stamp file per image, STAMPS) is not rebuilt:
that keeps the suite's second run on a machine fast.
"""

from __future__ import annotations

import configparser
import hashlib
import ssl
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.containers.podman import podman, podman_ok
from tests.support.build_context import REPO, context_digest

# Per machine, beside Podman's own storage: which inputs each built image id was made from.
# Not an image label: Podman's layer cache reuses an image whose steps match and keeps its old
# label, so a label would go stale whenever a context file the Dockerfile never copies changed.
STAMPS = Path("/var/tmp/driftline-image-inputs")
# scripts/base_images.sh tags its stand-ins with the official names.
BASE_IMAGE_ARGS = {
    "DEBIAN_IMAGE": "docker.io/library/debian:bookworm-slim",
    "PYTHON_IMAGE": "docker.io/library/python:3.11-slim-bookworm",
}
HOST_PIP_CONFIG = Path("/etc/pip.conf")
# Where the host CA bundle is mounted during builds (/run is not part of any image layer).
BUILD_CA = "/run/driftline-build/ca-certificates.crt"
BUILD_TIMEOUT_SECONDS = 1200.0


class ImageBuildError(AssertionError):
    """An image did not build; the message names the compose services that use it."""


@dataclass(frozen=True)
class Image:
    tag: str
    dockerfile: str  # relative to the context
    target: str | None
    services: tuple[str, ...]  # compose services that run it

    def describe(self) -> str:
        stage = f" (target {self.target})" if self.target else ""
        users = ", ".join(self.services)
        return f"image {self.tag} of service(s) {users}: {self.dockerfile}{stage}"


def compose_images(services: Mapping[str, Mapping[str, Any]]) -> list[Image]:
    """One Image per distinct `image:` of the services that have a `build:` section."""
    by_tag: dict[str, tuple[str, str | None, list[str]]] = {}
    for name, service in sorted(services.items()):
        build = service.get("build")
        if build is None:
            continue
        tag = str(service.get("image") or name)
        dockerfile = str(Path(build["context"], build.get("dockerfile", "Dockerfile")))
        entry = by_tag.setdefault(
            tag, (str(Path(dockerfile).relative_to(REPO)), build.get("target"), [])
        )
        entry[2].append(name)
    return [Image(tag, d, t, tuple(s)) for tag, (d, t, s) in sorted(by_tag.items())]


def host_ca_bundle() -> Path:
    """The CA bundle this machine's Python verifies TLS with (pip inside a build needs it)."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise ImageBuildError("no CA bundle on this machine to mount into the image builds")


def build_pip_config(folder: Path) -> Path:
    """This machine's pip configuration, its `cert` pointed at the CA bundle's build mount."""
    config = configparser.ConfigParser()
    if HOST_PIP_CONFIG.is_file():
        config.read(HOST_PIP_CONFIG)
    if not config.has_section("global"):
        config.add_section("global")
    config.set("global", "cert", BUILD_CA)
    path = folder / "pip.conf"
    with path.open("w") as out:
        config.write(out)
    return path


def build_mounts(folder: Path) -> list[str]:
    """`-v` options: the host CA bundle and pip configuration, for the build only (not baked in).

    The bundle goes beside Debian's, not over it: a RUN step that installs ca-certificates
    rewrites /etc/ssl/certs/ca-certificates.crt and fails on a read-only mount there.
    """
    ca = host_ca_bundle()
    pip_config = build_pip_config(folder)
    return ["-v", f"{ca}:{BUILD_CA}:ro", "-v", f"{pip_config}:/etc/pip.conf:ro"]


def image_id(ref: str) -> str | None:
    result = podman("image", "inspect", "--format", "{{.Id}}", ref, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def inputs_digest(image: Image, context: str) -> str:
    base_ids = [image_id(ref) or "missing" for ref in BASE_IMAGE_ARGS.values()]
    parts = [context, image.dockerfile, image.target or "", *base_ids]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def stamp_path(tag: str) -> Path:
    return STAMPS / (tag.replace(":", "_").replace("/", "_") + ".txt")


def built_inputs(tag: str) -> str | None:
    """The inputs digest ``tag`` was built from, if the image is still the one stamped."""
    try:
        digest, stamped_id = stamp_path(tag).read_text().split()
    except (OSError, ValueError):
        return None
    return digest if image_id(tag) == stamped_id else None


def stamp(tag: str, digest: str) -> None:
    STAMPS.mkdir(parents=True, exist_ok=True)
    stamp_path(tag).write_text(f"{digest} {image_id(tag)}\n")


def build(image: Image, log: Path) -> None:
    argv: list[str] = ["build", "--network", "host", "--format", "docker"]
    for arg, ref in BASE_IMAGE_ARGS.items():
        argv += ["--build-arg", f"{arg}={ref}"]
    argv += build_mounts(log.parent)
    argv += ["-f", image.dockerfile, "-t", image.tag]
    if image.target:
        argv += ["--target", image.target]
    argv.append(str(REPO))
    with log.open("w") as out:
        result = subprocess.run(
            ["podman", *argv], stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
            timeout=BUILD_TIMEOUT_SECONDS, check=False,
        )  # fmt: skip
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise ImageBuildError(f"{image.describe()} did not build (log {log}):\n{tail}")


def ensure_images(images: Sequence[Image], log_dir: Path) -> dict[str, bool]:
    """Build every image whose inputs changed; {tag: built now}."""
    context = context_digest(REPO)
    built: dict[str, bool] = {}
    for image in images:
        digest = inputs_digest(image, context)
        if built_inputs(image.tag) == digest:
            built[image.tag] = False
            continue
        previous = image_id(image.tag)
        build(image, log_dir / f"build-{image.tag.replace(':', '_').replace('/', '_')}.log")
        if previous is not None and previous != image_id(image.tag):
            # The replaced build, untagged now: removed so rebuilds do not pile up on disk.
            podman("rmi", previous, check=False)
        stamp(image.tag, digest)
        built[image.tag] = True
    return built


def has_healthcheck(tag: str) -> bool:
    """Whether the built image kept its HEALTHCHECK (Podman drops it unless --format docker)."""
    check = podman_ok("image", "inspect", "--format", "{{.Config.Healthcheck}}", tag)
    return check.strip() not in ("", "<nil>")
