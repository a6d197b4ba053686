#!/usr/bin/env bash
# Installs the system tools the test suite drives for real, when they are missing.
# Runs before `npm test` (pretest) and from .ci/run. Idempotent and quick when all is present.
set -euo pipefail

# command -> Debian package
declare -A needed=(
  [numactl]=numactl      # NUMA binding of no-Docker tasks
  [unshare]=util-linux   # --private-network / --private-pid
  [ip]=iproute2          # network checks inside private namespaces
  [ps]=procps
)

missing=()
for cmd in "${!needed[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${needed[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

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
