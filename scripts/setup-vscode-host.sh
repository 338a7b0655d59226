#!/usr/bin/env bash
# Installs real VS Code (1.100.3, from the code-server npm package) into .vscode-host/ for the
# integration and end-to-end tests. Nothing is downloaded except from the npm registry:
# @vscode/ripgrep's postinstall would fetch rg from GitHub, so its cache is seeded with Debian's rg.
set -euo pipefail
cd "$(dirname "$0")/../.vscode-host"
if [ -f node_modules/code-server/lib/vscode/out/server-main.js ]; then
  echo "vscode host: already installed"; exit 0
fi
rg_bin=$(command -v rg) || { echo "setup-vscode-host: ripgrep is missing (apt-get install ripgrep)" >&2; exit 1; }
tmp=${TMPDIR:-/tmp}
seed=$(mktemp -d)
cp "$rg_bin" "$seed/rg"
for v in 1.15.11 1.15.9 1.15.10 1.15.12 1.15.13 1.15.14; do
  mkdir -p "$tmp/vscode-ripgrep-cache-$v"
  for t in v13.0.0-10 v13.0.0-11 v13.0.0-12 v13.0.0-13; do
    tar czf "$tmp/vscode-ripgrep-cache-$v/ripgrep-$t-x86_64-unknown-linux-musl.tar.gz" -C "$seed" rg
  done
done
rm -rf "$seed"
export npm_config_yes=true npm_config_unsafe_perm=true
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
test -f node_modules/code-server/lib/vscode/out/server-main.js
echo "vscode host: installed"
