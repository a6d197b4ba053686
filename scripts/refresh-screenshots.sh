#!/usr/bin/env bash
# Refreshes docs/screenshots/ from the dashboard e2e runs, which save one PNG per view in
# .build/screenshots/. With --run it builds and runs those tests first.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--run" ]; then
  npm run build
  npx vitest run --project e2e tests/e2e/dashboard.test.ts tests/e2e/dashboard-scheduler.test.ts
  npx vitest run --project e2e-docker tests/e2e/docker-dashboard-vps.test.ts
fi
shopt -s nullglob
shots=(.build/screenshots/*.png)
if [ ${#shots[@]} -eq 0 ]; then
  echo "no screenshots in .build/screenshots/: run the dashboard e2e first (or pass --run)" >&2
  exit 1
fi
mkdir -p docs/screenshots
cp "${shots[@]}" docs/screenshots/
echo "copied ${#shots[@]} screenshots to docs/screenshots/"
