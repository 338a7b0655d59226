#!/usr/bin/env bash
# The first run's two facts, shared by start.sh and the end-to-end test that follows its hint:
#
#   scripts/first-run.sh workspace DEST   makes the sample workspace in DEST (if it is not there)
#   scripts/first-run.sh config           prints the sample config that trains on this machine:
#                                         reviews.finetune.yaml when distilbert-base-uncased is in
#                                         the Hugging Face cache or the hub answers, else
#                                         reviews-small.finetune.yaml (a small model, from scratch)
#   scripts/first-run.sh hint             prints what to do in the editor, naming that config
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

case "${1:-}" in
  workspace)
    dest=${2:?usage: first-run.sh workspace DEST}
    if [ ! -d "$dest" ]; then
      mkdir -p "$dest"
      cp "$root"/sample/{reviews.csv,reviews.finetune.yaml,reviews-small.finetune.yaml,README.md} "$dest/"
      cp -r "$root/test/fixtures/workspace/tiny-model" "$dest/small-model"
    fi
    ;;
  config)
    endpoint=${HF_ENDPOINT:-https://huggingface.co}
    cache=${HF_HUB_CACHE:-${HF_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/huggingface}/hub}
    if [ -d "$cache/models--distilbert-base-uncased/snapshots" ] ||
      { [ -z "${HF_HUB_OFFLINE:-}" ] && curl -sf -o /dev/null --max-time 10 "$endpoint/api/models/distilbert-base-uncased"; }; then
      echo reviews.finetune.yaml
    else
      echo reviews-small.finetune.yaml
    fi
    ;;
  hint)
    config=$("$0" config)
    if [ "$config" = reviews.finetune.yaml ]; then
      echo "  Open $config (or right-click reviews.csv > Fine-tune DistilBERT) and click Start training (code lens)."
    else
      echo "  Open $config and click Start training (code lens): the Hugging Face hub is unreachable"
      echo "  and distilbert-base-uncased is not in the cache, so it trains a small DistilBERT from scratch."
    fi
    ;;
  *)
    echo "usage: first-run.sh workspace DEST | config | hint" >&2
    exit 2
    ;;
esac
