#!/usr/bin/env bash
# Sets up a fresh machine (scripts/setup.sh) and runs every test layer (npm test).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npm test
