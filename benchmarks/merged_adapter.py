"""Eval speed of a LoRA fine-tune: the adapter merged into the weights (what safetygap does)
against the adapter applied unmerged (PEFT's default), and against the base model alone.

The same prompts (the first N of a bench), the same greedy settings, the three models side by
side in one run, each timed over the same batches after a warm-up batch. Prints tokens/s, the
ratios, and how many answers of the merged model equal the unmerged one's, token for token.

    .venv/bin/python benchmarks/merged_adapter.py [--adapter runs/table/ft-classification]
        [--model runs/aligned] [--bench runs/table/gold_bench.jsonl] [--n 96]
"""

import argparse
import time
from pathlib import Path

from safetygap.bench.items import read_bench
from safetygap.generate.base import Request, Sampling
from safetygap.generate.transformers_backend import TransformersBackend
from safetygap.models.registry import parse_spec

ROOT = Path(__file__).resolve().parent.parent


def timed(backend, requests, sampling, batch_size):
    backend.batch_size = batch_size
    list(backend.generate(requests[:batch_size], sampling))  # warm-up
    t = time.perf_counter()
    outs = {c.id: c for c in backend.generate(requests, sampling)}
    return outs, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(ROOT / "runs" / "aligned"))
    ap.add_argument("--adapter", default=str(ROOT / "runs" / "table" / "ft-classification"))
    ap.add_argument("--bench", default=str(ROOT / "runs" / "table" / "gold_bench.jsonl"))
    ap.add_argument("--n", type=int, default=96)
    ap.add_argument("--batch-size", type=int, default=48)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    args = ap.parse_args()
    items = read_bench(args.bench, args.n)
    requests = [Request(it["id"], it["prompt"]) for it in items]
    sampling = Sampling(args.max_new_tokens)
    spec = parse_spec(args.model)
    rows = {}
    for name, adapter, merge in (
        ("base", None, True),
        ("adapter unmerged", args.adapter, False),
        ("adapter merged", args.adapter, True),
    ):
        backend = TransformersBackend(spec, adapter, args.batch_size)
        if adapter and not merge:  # PEFT's own way: load again without merging
            from safetygap.models.load import load_causal_lm

            backend.lm, _, _ = load_causal_lm(spec, adapter, merge=False)
        outs, seconds = timed(backend, requests, sampling, args.batch_size)
        tokens = sum(c.n_new_tokens for c in outs.values())
        rows[name] = (outs, tokens / seconds, seconds)
        print(f"{name:18} {tokens:6d} tokens in {seconds:6.1f} s = {tokens / seconds:6.1f} tok/s")
        del backend
    base, unmerged, merged = (rows[k][1] for k in ("base", "adapter unmerged", "adapter merged"))
    print(f"\nmerged / unmerged speed: {merged / unmerged:.2f}x")
    print(f"merged / base speed:     {merged / base:.2f}x")
    print(f"unmerged / base speed:   {unmerged / base:.2f}x")
    a, b = rows["adapter unmerged"][0], rows["adapter merged"][0]
    same = sum(a[i].response == b[i].response for i in a)
    print(f"identical greedy answers, merged vs unmerged: {same}/{len(a)}")


if __name__ == "__main__":
    main()
