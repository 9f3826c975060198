# A local stand-in for the official `python:3.11-slim-bookworm` image, made from Debian packages
# only (scripts/base_images.sh builds it; Docker Hub is not reachable from the test machines).
# Debian's Python 3.11 and pip at the paths the official image uses (/usr/local/bin/python,
# python3, pip, pip3), CA certificates, and pip allowed to install into the system Python
# as it is in the official image (which has no Debian-managed Python to protect).
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}

RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED \
 && ln -s /usr/bin/python3 /usr/local/bin/python \
 && ln -s /usr/bin/python3 /usr/local/bin/python3 \
 && ln -s /usr/bin/pip3 /usr/local/bin/pip \
 && ln -s /usr/bin/pip3 /usr/local/bin/pip3

ENV LANG=C.UTF-8 PYTHON_VERSION=3.11
CMD ["python3"]
