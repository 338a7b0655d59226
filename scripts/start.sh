#!/usr/bin/env bash
# The main job: VS Code in the browser on 127.0.0.1 with this extension installed and a sample
# workspace (real review sentences), and the headless CLI fine-tuning on the same sample.
#
#   ./scripts/start.sh            PORT=8080 by default; Ctrl+C stops everything
#
# With network, the CLI fine-tunes distilbert-base-uncased (downloaded once into the Hugging Face
# cache). Offline, it says so and trains a small DistilBERT from scratch instead.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
port=${PORT:-8080}

./scripts/setup.sh
target="$(node -p 'process.platform + "-" + process.arch')"
npm run --silent package -- "$target"

run=$root/.vscode-host/run
workspace=$run/workspace
mkdir -p "$run"/{server-data,user-data/User,extensions,tmp}
./scripts/first-run.sh workspace "$workspace"
config_name=$(./scripts/first-run.sh config)
[ -f "$run/user-data/User/settings.json" ] || cat > "$run/user-data/User/settings.json" <<'JSON'
{ "security.workspace.trust.enabled": false, "telemetry.telemetryLevel": "off", "update.mode": "none",
  "extensions.autoCheckUpdates": false, "workbench.startupEditor": "none", "chat.disableAIFeatures": true }
JSON

server=.vscode-host/node_modules/code-server/lib/vscode/out/server-main.js
node "$server" --extensions-dir "$run/extensions" --server-data-dir "$run/server-data" --user-data-dir "$run/user-data" \
  --install-extension "$root/distilbert-finetuner-$target-$(node -p "require('./package.json').version").vsix" --force >/dev/null

EXTENSIONS_GALLERY='{}' TMPDIR=$run/tmp setsid node "$server" --host 127.0.0.1 --port "$port" --without-connection-token \
  --accept-server-license-terms --telemetry-level off --disable-workspace-trust \
  --server-data-dir "$run/server-data" --user-data-dir "$run/user-data" --extensions-dir "$run/extensions" \
  > "$run/server.log" 2>&1 &
server_pid=$!
trap 'kill -- -"$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done

echo
echo "VS Code with DistilBERT Fine-Tuner: http://127.0.0.1:$port/?folder=$workspace"
./scripts/first-run.sh hint
echo
if [ "$config_name" = reviews.finetune.yaml ]; then
  echo "CLI: fine-tuning distilbert-base-uncased on reviews.csv (the reference recipe)"
else
  echo "CLI: training the same small DistilBERT from scratch (no pretrained weights offline)."
fi
config=$workspace/$config_name
node dist/cli.js train "$config" || echo "CLI training stopped (exit $?)."

echo
echo "VS Code keeps running at http://127.0.0.1:$port/?folder=$workspace — Ctrl+C to stop."
wait "$server_pid"
