#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine with Node.js 20:
# Debian's chromium, ripgrep and Kerberos headers (for the test VS Code), python3, the npm dependencies,
# and real VS Code (from npm) into .vscode-host/. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v rg >/dev/null || need_apt+=(ripgrep)
[ -f /usr/include/gssapi/gssapi.h ] || [ -f /usr/include/krb5.h ] || need_apt+=(libkrb5-dev)
# OpenBLAS for the native kernel addon (optional: without it training runs on WebAssembly).
[ -f /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a ] || need_apt+=(libopenblas-dev)
# Debian's python3: the tests compile the exported Python training script and run its split.
[ -x /usr/bin/python3 ] || need_apt+=(python3)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  # The native TensorFlow.js backends are optional: their install downloads libtensorflow and
  # fails offline, which npm tolerates for optional dependencies.
  npm ci --no-audit --no-fund --loglevel=error
fi

./scripts/setup-vscode-host.sh
npm run --silent build:native
