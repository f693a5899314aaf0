#!/usr/bin/env bash
# Install what the sandbox needs, build its images and bring it up.
#
#   bash install.sh            # venv + images + `sandbox up`
#   SANDBOX_NO_UP=1 bash install.sh   # stop after building the images
#
# Needs: Linux with a running Docker Engine, Python 3.11+, the OpenSSH client, and (when Docker has no
# debian:bookworm-slim image) debootstrap, which this script installs with apt when it
# runs as root (or with sudo).
set -euo pipefail
cd "$(dirname "$0")"

fail() { echo "error: $1 -- fix: $2" >&2; exit 1; }

command -v docker >/dev/null 2>&1 || fail "the docker command is not installed" "install Docker Engine"
docker info >/dev/null 2>&1 || fail "cannot reach the Docker daemon" "start Docker (e.g. 'sudo systemctl start docker') or set DOCKER_HOST"

PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  || fail "Python 3.11 or newer is needed ($PY)" "install python3.11 or set PYTHON=/path/to/python3.11"

if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1 && ! command -v debootstrap >/dev/null 2>&1 \
   && [ ! -x /usr/sbin/debootstrap ]; then
  echo "installing debootstrap (builds the Debian base image without a registry)" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  command -v apt-get >/dev/null 2>&1 || fail "debootstrap is missing and there is no apt-get" "install debootstrap with your package manager"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq debootstrap >/dev/null \
    || fail "could not install debootstrap" "run 'sudo apt-get install debootstrap'"
fi

# the SSH scenarios and `sandbox ssh` use the OpenSSH client
if ! command -v ssh >/dev/null 2>&1; then
  echo "installing the OpenSSH client" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  command -v apt-get >/dev/null 2>&1 || fail "the ssh client is missing and there is no apt-get" "install the OpenSSH client"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq openssh-client >/dev/null \
    || fail "could not install the OpenSSH client" "run 'sudo apt-get install openssh-client'"
fi

# `sandbox dashboard`'s screenshot tests and the HTML reports render in headless Chromium
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
   && ! command -v google-chrome >/dev/null 2>&1; then
  echo "installing Chromium (headless screenshots of the dashboard and the reports)" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  command -v apt-get >/dev/null 2>&1 || fail "Chromium is missing and there is no apt-get" "install chromium with your package manager"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null \
    || fail "could not install Chromium" "run 'sudo apt-get install chromium'"
fi

if [ ! -x .venv/bin/python ]; then
  echo "creating .venv" >&2
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
echo "installing the sandbox and its test dependencies into .venv" >&2
.venv/bin/python -m pip install -q -e '.[dev]'
# the services' own dependencies, so that their unit tests run on the host too
.venv/bin/python -m pip install -q -r services/requirements.txt

.venv/bin/sandbox images build
# the gateway image's nginx, unpacked for the gateway config tests (no root, nothing started);
# without it those tests skip and say why, so it does not stop the install
.venv/bin/python -m sandbox.images.host_nginx .venv/nginx >/dev/null \
  || echo "note: the gateway config tests will skip (see the line above)" >&2
if [ "${SANDBOX_NO_UP:-0}" != 1 ]; then
  .venv/bin/sandbox up
fi
