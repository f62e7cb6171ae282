"""Generation speed: the paper's way (pipeline, one prompt at a time) vs safetygap's batches.

Same embedded model, same 48 prompts (examples/prompts.jsonl), 100 new tokens, greedy, in one
run. Prints tokens/s for both, the speed-up, the share of this CPU's matmul FLOP/s ceiling
(measured here, now: the faster of PyTorch's default CPU matmul, MKL, and oneDNN's, which the
backend uses) that the batched run reaches, and how many outputs are identical.

    .venv/bin/python benchmarks/generation.py [--batch-sizes 24,48]
"""

import argparse
import time
from pathlib import Path

import torch

from safetygap.generate.base import Sampling, load_backend, messages
from safetygap.generate.runner import read_requests
from safetygap.models.load import load_causal_lm

PROMPTS = Path(__file__).resolve().parent.parent / "examples" / "prompts.jsonl"
MAX_NEW = 100
MODEL = "smollm2-135m-instruct"


def matmul_ceiling(n: int = 2048, repeats: int = 10) -> dict[str, float]:
    """Best fp32 FLOP/s of an n x n matmul on this machine, by kernel: `torch.mm` (MKL) and
    oneDNN's linear (the one `models.onednn` puts in the model)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    kernels = {
        "mkl": lambda: torch.mm(a, b),
        "onednn": lambda: torch.ops.mkldnn._linear_pointwise(a, b, None, "none", [], ""),
    }
    out = {}
    for name, f in kernels.items():
        f()
        best = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            f()
            best = min(best, time.perf_counter() - t)
        out[name] = 2 * n**3 / best
    return out


def paper_way(model, requests):
    """transformers pipeline, one prompt at a time (chat messages in, text out), on the model
    as transformers loads it (PyTorch's own matmul)."""
    from transformers import pipeline

    lm, tok, _ = load_causal_lm(model)
    pipe = pipeline("text-generation", model=lm, tokenizer=tok, device="cpu")
    texts, n_tok = {}, 0
    t = time.perf_counter()
    for r in requests:
        out = pipe(messages(r.prompt, None), max_new_tokens=MAX_NEW, do_sample=False)
        text = out[0]["generated_text"][-1]["content"].strip()
        texts[r.id] = text
        n = len(tok.encode(text, add_special_tokens=False))
        n_tok += min(n + 1, MAX_NEW)  # +1 for the end-of-turn token when it stopped early
    return texts, n_tok, time.perf_counter() - t


def our_way(backend, requests, batch_size):
    backend.batch_size = batch_size
    t = time.perf_counter()
    outs = list(backend.generate(requests, Sampling(MAX_NEW)))
    dt = time.perf_counter() - t
    prompt_tok = sum(len(backend.encode(r.prompt, None)) for r in requests)
    return {c.id: c.response for c in outs}, sum(c.n_new_tokens for c in outs), prompt_tok, dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-sizes", default="24,48")
    args = ap.parse_args()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    requests = read_requests(PROMPTS)
    backend = load_backend(MODEL)
    n_params = sum(p.numel() for p in backend.lm.parameters())  # tied lm_head: all are matmuls
    ceilings = matmul_ceiling()
    ceiling = max(ceilings.values())
    print(
        f"threads={torch.get_num_threads()} params={n_params / 1e6:.1f}M matmul_ceiling="
        + " ".join(f"{k}:{v / 1e9:.1f}" for k, v in ceilings.items())
        + " GFLOP/s"
    )

    ref, a_tok, a_dt = paper_way(MODEL, requests)
    a_rate = a_tok / a_dt
    print(f"{'method':<28}{'tokens':>8}{'seconds':>9}{'tok/s':>8}{'GFLOP/s':>9}")
    print(
        f"{'(a) pipeline, 1 at a time':<28}{a_tok:>8}{a_dt:>9.1f}{a_rate:>8.1f}"
        f"{2 * n_params * a_rate / 1e9:>9.1f}"
    )
    best = None
    for bs in [int(x) for x in args.batch_sizes.split(",")]:
        texts, b_tok, p_tok, b_dt = our_way(backend, requests, bs)
        flops = 2 * n_params * (b_tok + p_tok) / b_dt  # prefill + decode, padding excluded
        print(
            f"{f'(b) safetygap, batch {bs}':<28}{b_tok:>8}{b_dt:>9.1f}{b_tok / b_dt:>8.1f}"
            f"{flops / 1e9:>9.1f}"
        )
        if best is None or b_tok / b_dt > best[0]:
            best = (b_tok / b_dt, flops, texts)
    rate, flops, texts = best
    same = sum(texts[r.id] == ref[r.id] for r in requests)
    print(
        f"speedup={rate / a_rate:.1f}x ceiling_share={100 * flops / ceiling:.0f}% "
        f"identical={same}/{len(requests)}"
    )


if __name__ == "__main__":
    main()
