"""Does Python `transformers` read a model folder as we do? For the device machine, where
transformers and torch are installed (see bench/gpu-device.sh).

  python3 hf_interop.py MODEL_DIR OURS.jsonl

OURS.jsonl is `distilbert-finetune predict --model MODEL_DIR --json --text ...`'s output. The folder
is loaded with AutoTokenizer and AutoModelForSequenceClassification on the CPU in float32, each
text classified, and its label and class probabilities compared with ours. Prints one JSON line;
exits 1 when a label differs or a probability differs by more than 1e-4.
"""
import json
import sys

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

TOLERANCE = 1e-4


def main(folder, ours_path):
    with open(ours_path, encoding="utf-8") as f:
        ours = [json.loads(line) for line in f if line.strip()]
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    texts = [row["text"] for row in ours]
    with torch.no_grad():
        encoded = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        probabilities = model(**encoded).logits.softmax(-1)
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    worst, mismatched = 0.0, []
    for row, p in zip(ours, probabilities.tolist()):
        theirs = dict(zip(labels, p))
        if set(theirs) != set(row["probabilities"]):
            mismatched.append({"text": row["text"], "labels": sorted(theirs), "ours": sorted(row["probabilities"])})
            continue
        worst = max(worst, *(abs(theirs[label] - row["probabilities"][label]) for label in labels))
        if max(theirs, key=theirs.get) != row["label"]:
            mismatched.append({"text": row["text"], "theirs": theirs, "ours": row["probabilities"]})
    ok = not mismatched and worst <= TOLERANCE
    print(json.dumps({
        "folder": folder,
        "tokenizer": type(tokenizer).__name__,
        "model": type(model).__name__,
        "texts": len(texts),
        "max_probability_difference": worst,
        "mismatched": mismatched,
        "ok": ok,
    }))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
