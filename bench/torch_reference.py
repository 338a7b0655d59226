"""PyTorch reference for the benchmarks: DistilBERT for sequence classification in plain torch
(the architecture of transformers' modeling_distilbert.py, eager attention), trained the way the
Hugging Face Trainer trains it: AdamW (torch.optim.AdamW), linear schedule, clip_grad_norm_ 1.0.

Usage (JSON lines on stdout, one per measurement):
  python3 torch_reference.py step --batch 8 --seq 128 --repeats 5 [--warmup 1]
  python3 torch_reference.py infer --batch 32 --seq 128 --repeats 5
  python3 torch_reference.py epoch --data reviews.csv --vocab vocab.txt --batch 20 --max-length 128

`epoch` does one epoch of the reference recipe over a CSV (text,label) as HF does it: tokenized
with the same WordPiece vocabulary (a plain-Python port of BertTokenizer, timed), 80/20 split,
dynamic padding per batch (DataCollatorWithPadding), then evaluation on the split, then saving
the weights (torch.save of the state dict).
"""
import argparse
import csv
import json
import math
import os
import random
import sys
import time
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F

BASE = dict(vocab_size=30522, max_position_embeddings=512, dim=768, n_layers=6, n_heads=12, hidden_dim=3072, num_labels=2)


class Layer(nn.Module):
    def __init__(self, dim, heads, hidden, dropout):
        super().__init__()
        self.heads = heads
        self.q_lin, self.k_lin, self.v_lin, self.out_lin = (nn.Linear(dim, dim) for _ in range(4))
        self.sa_layer_norm = nn.LayerNorm(dim, eps=1e-12)
        self.lin1, self.lin2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.output_layer_norm = nn.LayerNorm(dim, eps=1e-12)
        self.dropout = nn.Dropout(dropout)
        self.attention_dropout = nn.Dropout(dropout)

    def forward(self, x, mask):
        b, t, d = x.shape
        dh = d // self.heads
        shape = lambda y: y.view(b, t, self.heads, dh).transpose(1, 2)
        q = shape(self.q_lin(x)) / math.sqrt(dh)
        k, v = shape(self.k_lin(x)), shape(self.v_lin(x))
        scores = (q @ k.transpose(2, 3)).masked_fill((mask == 0).view(b, 1, 1, t), torch.finfo(x.dtype).min)
        weights = self.attention_dropout(scores.softmax(-1))
        context = (weights @ v).transpose(1, 2).contiguous().view(b, t, d)
        x = self.sa_layer_norm(self.out_lin(context) + x)
        return self.output_layer_norm(self.dropout(self.lin2(F.gelu(self.lin1(x)))) + x)


class DistilBertForSequenceClassification(nn.Module):
    def __init__(self, vocab_size, max_position_embeddings, dim, n_layers, n_heads, hidden_dim, num_labels, dropout=0.1):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.position_embeddings = nn.Embedding(max_position_embeddings, dim)
        self.embeddings_norm = nn.LayerNorm(dim, eps=1e-12)
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList(Layer(dim, n_heads, hidden_dim, dropout) for _ in range(n_layers))
        self.pre_classifier, self.classifier = nn.Linear(dim, dim), nn.Linear(dim, num_labels)
        self.classifier_dropout = nn.Dropout(0.2)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                module.weight.data.normal_(0, 0.02)
            if isinstance(module, nn.Linear):
                module.bias.data.zero_()

    def forward(self, ids, mask):
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.dropout(self.embeddings_norm(self.word_embeddings(ids) + self.position_embeddings(positions)))
        for layer in self.layers:
            x = layer(x, mask)
        pooled = self.classifier_dropout(F.relu(self.pre_classifier(x[:, 0])))
        return self.classifier(pooled)


def blas_info():
    """Which BLAS torch's process mapped (OpenBLAS, the reference BLAS, MKL...)."""
    try:
        with open(f"/proc/{os.getpid()}/maps") as maps:
            libs = sorted({line.split()[-1] for line in maps if "blas" in line.lower() or "mkl" in line.lower()})
        return ", ".join(os.path.realpath(lib) for lib in libs) or "none mapped"
    except OSError:
        return "unknown"


def train_step(model, optimizer, scheduler, ids, mask, labels):
    loss = F.cross_entropy(model(ids, mask), labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    return loss.item()


def make_optimizer(model, steps):
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: max(0.0, (steps - k) / max(1, steps)))
    return optimizer, scheduler


DEVICE_NAME = "cpu"  # set by --device


def measure(name, fn, repeats, warmup, tokens):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if DEVICE_NAME != "cpu":
            torch.cuda.synchronize()  # a CUDA call returns before its kernels have run
        times.append(time.perf_counter() - start)
    median = sorted(times)[len(times) // 2]
    print(json.dumps({"kind": name, "engine": "pytorch", "seconds": times, "median_seconds": median, "tokens_per_second": tokens / median, "repeats": repeats, "threads": torch.get_num_threads(), "device": DEVICE_NAME}), flush=True)


# --- a plain-Python BertTokenizer (uncased), as transformers' slow tokenizer ---------------------

def load_vocab(path):
    with open(path, encoding="utf-8") as f:
        return {line.rstrip("\n"): i for i, line in enumerate(f)}


def is_punct(ch):
    cp = ord(ch)
    return (33 <= cp <= 47) or (58 <= cp <= 64) or (91 <= cp <= 96) or (123 <= cp <= 126) or unicodedata.category(ch).startswith("P")


def basic_tokens(text):
    text = "".join(" " if ch.isspace() else ch for ch in text if ord(ch) not in (0, 0xFFFD) and not (unicodedata.category(ch).startswith("C") and ch not in "\t\n\r"))
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    words = []
    for word in text.split():
        current = ""
        for ch in word:
            if is_punct(ch):
                if current:
                    words.append(current)
                words.append(ch)
                current = ""
            else:
                current += ch
        if current:
            words.append(current)
    return words


def wordpiece(word, vocab):
    if len(word) > 100:
        return [vocab["[UNK]"]]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            piece = ("##" if start else "") + word[start:end]
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [vocab["[UNK]"]]
        pieces.append(found)
        start = end
    return pieces


def encode(text, vocab, max_length):
    ids = [i for w in basic_tokens(text) for i in wordpiece(w, vocab)][: max_length - 2]
    return [vocab["[CLS]"]] + ids + [vocab["[SEP]"]]


def collate(examples):
    """DataCollatorWithPadding: pad to the longest example of the batch."""
    length = max(len(ids) for ids, _ in examples)
    ids = torch.zeros(len(examples), length, dtype=torch.long)
    mask = torch.zeros(len(examples), length, dtype=torch.long)
    for row, (tokens, _) in enumerate(examples):
        ids[row, : len(tokens)] = torch.tensor(tokens)
        mask[row, : len(tokens)] = 1
    return ids, mask, torch.tensor([label for _, label in examples])


def epoch(args):
    start = time.perf_counter()
    torch.manual_seed(42)
    vocab = load_vocab(args.vocab)
    with open(args.data, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    labels = sorted({r["label"] for r in rows})
    examples = [(encode(r["text"], vocab, args.max_length), labels.index(r["label"])) for r in rows]
    random.Random(42).shuffle(examples)
    cut = int(len(examples) * 0.8)
    train, evaluation = examples[:cut], examples[cut:]
    model = DistilBertForSequenceClassification(**{**BASE, "num_labels": len(labels)})
    steps = math.ceil(len(train) / args.batch)
    if args.max_steps > 0:
        steps = min(steps, args.max_steps)
    optimizer, scheduler = make_optimizer(model, steps)
    model.train()
    order = list(range(len(train)))
    random.Random(0).shuffle(order)
    tokens = 0
    for s in range(steps):
        ids, mask, y = collate([train[i] for i in order[s * args.batch:(s + 1) * args.batch]])
        tokens += int(mask.sum())
        train_step(model, optimizer, scheduler, ids, mask, y)
    model.eval()
    correct = 0
    with torch.no_grad():
        for s in range(0, len(evaluation), args.batch):
            ids, mask, y = collate(evaluation[s:s + args.batch])
            correct += int((model(ids, mask).argmax(-1) == y).sum())
    torch.save(model.state_dict(), os.path.join(args.out, "pytorch_model.bin"))
    seconds = time.perf_counter() - start
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"kind": "epoch", "engine": "pytorch", "seconds": seconds, "train_tokens": tokens, "steps": steps, "eval_accuracy": correct / len(evaluation), "peak_rss_mb": round(peak)}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["step", "infer", "epoch", "info"])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--data")
    parser.add_argument("--vocab")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--out", default="/tmp")
    parser.add_argument("--max-steps", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: all cores)")
    parser.add_argument("--device", default="cpu", help="step and infer: cpu, or cuda on a GPU machine (fp32, no TF32)")
    args = parser.parse_args()
    # OpenBLAS runs its own threads on every core either way; torch's intra-op threads are set here
    # (the benchmark measures both settings and keeps the faster: on 2 cores they oversubscribe).
    torch.set_num_threads(args.threads or os.cpu_count())
    torch.manual_seed(0)
    if args.mode == "info":
        torch.ones(8, 8) @ torch.ones(8, 8)
        print(json.dumps({"kind": "info", "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_info(), "blas_info": torch.__config__.show().split("BLAS_INFO=")[1].split(",")[0] if "BLAS_INFO=" in torch.__config__.show() else "?"}), flush=True)
        return
    if args.mode == "epoch":
        epoch(args)
        return
    global DEVICE_NAME
    if args.device != "cpu":
        torch.backends.cuda.matmul.allow_tf32 = False  # fp32 as ours computes it
        torch.backends.cudnn.allow_tf32 = False
        DEVICE_NAME = torch.cuda.get_device_name()
    model = DistilBertForSequenceClassification(**BASE).to(args.device)
    ids = torch.randint(1000, 30000, (args.batch, args.seq), device=args.device)
    mask = torch.ones(args.batch, args.seq, dtype=torch.long, device=args.device)
    labels = torch.randint(0, 2, (args.batch,), device=args.device)
    tokens = args.batch * args.seq
    if args.mode == "step":
        model.train()
        optimizer, scheduler = make_optimizer(model, 1000)
        measure(f"train {args.batch}x{args.seq}", lambda: train_step(model, optimizer, scheduler, ids, mask, labels), args.repeats, args.warmup, tokens)
    else:
        model.eval()
        with torch.no_grad():
            measure(f"infer {args.batch}x{args.seq}", lambda: model(ids, mask), args.repeats, args.warmup, tokens)


if __name__ == "__main__":
    sys.exit(main())
