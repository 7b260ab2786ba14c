#!/usr/bin/env bash
# Debian packages the test command needs. Idempotent; skips what is already there.
set -euo pipefail
need=()
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
# scripts/validate-deploy.sh checks docker-compose.yml with it (no Docker engine needed).
command -v docker-compose >/dev/null || need+=(docker-compose)
# The web UI's browser test drives it with playwright-core (no browser download).
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
echo "system packages ready"
