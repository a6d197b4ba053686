#!/usr/bin/env bash
# Installs the system tools the test suite drives for real, when they are missing, starts the
# Docker daemon when none answers, and builds the local test images (cached).
# Runs before `npm test` (pretest) and from .ci/run. Idempotent and quick when all is present.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# command -> Debian package
declare -A needed=(
  [numactl]=numactl          # NUMA binding of no-Docker tasks
  [unshare]=util-linux       # --private-network / --private-pid
  [ip]=iproute2              # network checks inside private namespaces
  [ps]=procps
  [dockerd]=docker.io        # Docker tasks and envs (the real engine)
  [busybox]=busybox-static   # the root fs of the command-task test image
  [tmux]=tmux                # drives the interactive shell e2e like a user's terminal
  [chromium]=chromium        # the dashboard e2e drives the real browser
  [python]=python-is-python3 # kawarun runs Python targets with the python on PATH
  [debootstrap]=debootstrap  # the root fs of the VPS test image (bookworm + openssh-server)
  [ssh]=openssh-client       # kawa ssh runs the real OpenSSH client (ssh, scp, ssh-keygen)
  [systemd-analyze]=systemd  # checks the units kawa init service writes
)

missing=()
for cmd in "${!needed[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${needed[$cmd]}")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then apt=(apt-get); elif sudo -n true 2>/dev/null; then apt=(sudo -n apt-get); else
    echo "The tests need these Debian packages: ${missing[*]}" >&2
    echo "Install them (sudo apt-get install -y ${missing[*]}) or run .ci/run as root." >&2
    exit 1
  fi
  echo "installing test dependencies: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    "${apt[@]}" update >/dev/null
    "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
  }
fi

"$here/docker-up.sh"
"$here/test-images.sh"
