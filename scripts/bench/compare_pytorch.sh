#!/usr/bin/env bash
# Builds churn-bench in release mode, prepares a virtual environment with PyTorch CPU from pip
# (scripts/.venv, reused), and alternates churn-bench lstm with the PyTorch twin.
# Usage: scripts/bench/compare_pytorch.sh [compare_pytorch.py options, e.g. --hidden 64 128 --rounds 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/setup.sh
ensure_system_packages
swift build -c release --product churn-bench >&2
venv=scripts/.venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv --system-site-packages "$venv"
fi
if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
    "$venv/bin/pip" install -q torch
fi
exec "$venv/bin/python" scripts/bench/compare_pytorch.py --python "$venv/bin/python" "$@"
