#!/usr/bin/env bash
# Makes sure a Docker daemon answers on the default socket: starts dockerd in the background
# when none does (no systemd here), and waits for it. Bounded: gives up after 60 s.
set -euo pipefail

answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
answers && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "No Docker daemon answers and starting one needs root: start dockerd (or the docker service)." >&2
  exit 1
fi
log=/var/log/kawa-test-dockerd.log
echo "starting dockerd (log: $log)" >&2
nohup dockerd >"$log" 2>&1 </dev/null &
for _ in $(seq 1 120); do
  answers && exit 0
  sleep 0.5
done
echo "dockerd did not answer within 60 s; its log:" >&2
tail -n 30 "$log" >&2
exit 1
