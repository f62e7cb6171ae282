"""Eval speed of a LoRA fine-tune: the adapter merged into the weights (what safetygap does)
against the adapter applied unmerged (PEFT's default), and against the base model alone.

The same prompts (the first N of a bench), greedy, the three models loaded side by side in one
run. First the answers: how many of the merged model's equal the unmerged one's. Then the speed:
every model decodes exactly --max-new-tokens tokens for every prompt (so that shorter answers do
not make a model look faster), batch by batch in turn with the order rotating, so that a busy
machine slows all three alike. Prints tokens/s and the ratios.

    .venv/bin/python benchmarks/merged_adapter.py --model MODEL --adapter ADAPTER --bench BENCH
        [--n 96]
"""

import argparse
import time
from pathlib import Path

from safetygap.bench.items import read_bench
from safetygap.generate.base import Request, Sampling
from safetygap.generate.transformers_backend import TransformersBackend
from safetygap.models.registry import parse_spec

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--model", required=True, help="The base, e.g. the paper-table's aligned model."
    )
    ap.add_argument("--adapter", required=True, help="A fine-tune's adapter folder.")
    ap.add_argument("--bench", required=True, help="A bench JSONL, e.g. an eval run's bench.jsonl.")
    ap.add_argument("--n", type=int, default=96)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    args = ap.parse_args()
    items = read_bench(args.bench)[: args.n]  # the first N, as the results were made
    requests = [Request(it["id"], it["prompt"]) for it in items]
    sampling = Sampling(args.max_new_tokens)
    from safetygap.models.load import load_causal_lm

    spec = parse_spec(args.model)
    names = ("base", "adapter unmerged", "adapter merged")
    backends = {
        "base": TransformersBackend(spec, None, args.batch_size),
        "adapter merged": TransformersBackend(spec, args.adapter, args.batch_size),
    }
    backends["adapter unmerged"] = TransformersBackend(spec, None, args.batch_size)
    backends["adapter unmerged"].lm, _, _ = load_causal_lm(spec, args.adapter, merge=False)
    answers = {
        n: {c.id: c.response for c in backends[n].generate(requests, sampling)}
        for n in ("adapter unmerged", "adapter merged")
    }
    a, b = answers.values()
    same = sum(a[i] == b[i] for i in a)
    print(f"identical greedy answers, merged vs unmerged: {same}/{len(a)}")

    for b in backends.values():  # fixed length from here on; warm-up
        b.lm.generation_config.min_new_tokens = args.max_new_tokens
        list(b.generate(requests[: args.batch_size], sampling))
    seconds = dict.fromkeys(names, 0.0)
    tokens = dict.fromkeys(names, 0)
    batches = [requests[i : i + args.batch_size] for i in range(0, len(requests), args.batch_size)]
    for k, batch in enumerate(batches):
        for n in names[k % 3 :] + names[: k % 3]:
            t = time.perf_counter()
            tokens[n] += sum(c.n_new_tokens for c in backends[n].generate(batch, sampling))
            seconds[n] += time.perf_counter() - t
    speed = {n: tokens[n] / seconds[n] for n in names}
    for n in names:
        print(f"{n:18} {tokens[n]:6d} tokens in {seconds[n]:6.1f} s = {speed[n]:6.1f} tok/s")
    base, unmerged, merged = (speed[n] for n in names)
    print(f"\nmerged / unmerged speed: {merged / unmerged:.2f}x")
    print(f"merged / base speed:     {merged / base:.2f}x")
    print(f"unmerged / base speed:   {unmerged / base:.2f}x")


if __name__ == "__main__":
    main()
