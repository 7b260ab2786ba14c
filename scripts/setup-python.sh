#!/usr/bin/env bash
# Installs the Python tools the tests use into .venv: moto's server (the AWS API emulator).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import moto, flask, flask_cors' 2>/dev/null; then
  .venv/bin/pip install --quiet 'moto[server]>=5,<6'
fi
.venv/bin/moto_server --help >/dev/null
echo "moto $(.venv/bin/python -c 'import moto; print(moto.__version__)') ready in .venv"
