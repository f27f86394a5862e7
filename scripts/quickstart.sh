#!/usr/bin/env bash
# The README's first command. Until churn-train lands (issue 5) it sets up the machine, builds the
# tools in release mode and runs the LSTM benchmark on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
ensure_system_packages
swift build -c release
echo "churn-train, churn-evaluate and churn-predict are not implemented yet (README, 'Status')."
echo "Meanwhile, the LSTM benchmark on this machine:"
.build/release/churn-bench lstm --batch 64 --steps 100 --input 32 --hidden 64 --seconds 2
