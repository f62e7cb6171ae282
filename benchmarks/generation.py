"""Generation speed: the paper's way (pipeline, one prompt at a time) vs safetygap's backend.

Same embedded model, same 48 prompts (examples/prompts.jsonl), 100 new tokens, greedy, in one
run:
1. the paper's way against safetygap's backend: tokens/s, the speed-up, the share of this CPU's
   matmul FLOP/s ceiling (measured here, now: the faster of PyTorch's default CPU matmul, MKL,
   and oneDNN's, which the backend uses) that the backend reaches, and how many answers are
   identical;
2. what each part of the backend gives: transformers' batched `generate` (the backend before
   continuous batching) and continuous batching (`generate.slots`), with MKL's matmul, with
   oneDNN's, and with oneDNN's over packed weights and fused layers (`models.onednn`), batch
   48, side by side;
3. tokens/s by batch size on 96 prompts (the 48, and each again with a sentence added), 64 new
   tokens: the case for the default batch of 64.
Writes docs/results/generation.md.

    .venv/bin/python benchmarks/generation.py [--batch-sizes 24,48]
"""

import argparse
import time
from pathlib import Path

import torch

from safetygap.generate.base import Request, Sampling, messages
from safetygap.generate.runner import read_requests
from safetygap.generate.transformers_backend import TransformersBackend
from safetygap.models.load import load_causal_lm
from safetygap.models.onednn import use_onednn
from safetygap.report.pages import results_page

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = ROOT / "examples" / "prompts.jsonl"
PAGE = ROOT / "docs" / "results" / "generation.md"
MAX_NEW = 100
MODEL = "smollm2-135m-instruct"
INTRO = """\
The embedded SmolLM2-135M-Instruct in fp32 on this project's 2-core CPU machine, greedy. The
FLOP/s column counts 2 x parameters per processed token (prompt and answer, padding and
finished rows excluded); the ceiling is the best of ten 2048x2048 fp32 matmuls measured in the
same run, with each kernel, and the backend's rows in part 1 are likewise the best of three runs.
Times on a shared 2-core machine are noisy: compare within one run."""


def matmul_ceiling(n: int = 2048, repeats: int = 10) -> dict[str, float]:
    """Best fp32 FLOP/s of an n x n matmul on this machine, by kernel: `torch.mm` (MKL) and
    oneDNN's linear (the one `models.onednn` puts in the model), also over a weight packed once
    into its own layout."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    packed = torch.ops.mkldnn._reorder_linear_weight(b, n)
    kernels = {
        "mkl": lambda: torch.mm(a, b),
        "onednn": lambda: torch.ops.mkldnn._linear_pointwise(a, b, None, "none", [], ""),
        "onednn_packed": lambda: torch.ops.mkldnn._linear_pointwise(
            a, packed, None, "none", [], ""
        ),
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


def paper_way(lm, tok, requests):
    """transformers pipeline, one prompt at a time (chat messages in, text out), on the model
    as transformers loads it (PyTorch's own matmul)."""
    from transformers import pipeline

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


def timed(backend, requests, batch_size, continuous, max_new=MAX_NEW):
    """(answers by id, answer tokens, prompt tokens, seconds)."""
    backend.batch_size, backend.continuous = batch_size, continuous
    t = time.perf_counter()
    outs = list(backend.generate(requests, Sampling(max_new)))
    dt = time.perf_counter() - t
    prompt_tok = sum(len(backend.encode(r.prompt, None)) for r in requests)
    return {c.id: c.response for c in outs}, sum(c.n_new_tokens for c in outs), prompt_tok, dt


def row(name, tokens, seconds, flops, extra=""):
    print(f"{name:<44}{tokens:>8}{seconds:>9.1f}{tokens / seconds:>8.1f}{flops / 1e9:>9.1f}{extra}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-sizes", default="24,48")
    args = ap.parse_args()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    requests = read_requests(PROMPTS)
    stock_lm, tok, device = load_causal_lm(MODEL)  # PyTorch's matmul (MKL)
    kernel_lm, _, _ = load_causal_lm(MODEL)
    use_onednn(kernel_lm, pack=False)  # the kernel alone
    fast_lm, _, _ = load_causal_lm(MODEL)
    use_onednn(fast_lm)  # as the backend does it: packed weights, fused layers
    stock = TransformersBackend.in_memory(stock_lm, tok)
    kernel = TransformersBackend.in_memory(kernel_lm, tok)
    fast = TransformersBackend.in_memory(fast_lm, tok)
    n_params = sum(p.numel() for p in stock_lm.parameters())  # tied lm_head: all are matmuls
    header = f"{'method':<44}{'tokens':>8}{'seconds':>9}{'tok/s':>8}{'GFLOP/s':>9}"

    with results_page(PAGE, "Generation speed", INTRO, fenced=True):
        ceilings = matmul_ceiling()
        ceiling = max(ceilings.values())
        print(
            f"threads={torch.get_num_threads()} params={n_params / 1e6:.1f}M matmul_ceiling="
            + " ".join(f"{k}:{v / 1e9:.1f}" for k, v in ceilings.items())
            + " GFLOP/s\n"
        )
        print("1. The paper's way and safetygap's backend (continuous batching, oneDNN, packed)")
        print(header)
        ref, a_tok, a_dt = paper_way(stock_lm, tok, requests)
        row("(a) pipeline, 1 at a time", a_tok, a_dt, 2 * n_params * a_tok / a_dt)
        best = None
        for bs in [int(x) for x in args.batch_sizes.split(",")]:
            runs = [timed(fast, requests, bs, True) for _ in range(3)]
            assert all(r[0] == runs[0][0] for r in runs)  # greedy: the same answers each time
            texts, b_tok, p_tok, b_dt = min(runs, key=lambda r: r[3])
            flops = 2 * n_params * (b_tok + p_tok) / b_dt
            row(f"(b) safetygap, batch {bs}", b_tok, b_dt, flops)
            if best is None or b_tok / b_dt > best[0]:
                best = (b_tok / b_dt, flops, texts)
        rate, flops, texts = best
        same = sum(texts[r.id] == ref[r.id] for r in requests)

        print("\n2. Each part, batch 48 (identical: answers equal to the pipeline's)")
        print(header + f"{'identical':>11}")
        for name, backend, continuous in [
            ("generate, MKL (the backend before)", stock, False),
            ("generate, oneDNN packed+fused", fast, False),
            ("continuous batching, MKL", stock, True),
            ("continuous batching, oneDNN", kernel, True),
            ("continuous batching, oneDNN packed+fused", fast, True),
        ]:
            out, b_tok, p_tok, b_dt = timed(backend, requests, 48, continuous)
            same_here = sum(out[r.id] == ref[r.id] for r in requests)
            row(name, b_tok, b_dt, 2 * n_params * (b_tok + p_tok) / b_dt, f"{same_here:>8}/48")

        print("\n3. Batch size: 96 prompts, 64 new tokens, the backend (as in 1)")
        print(f"{'batch':>5}{'tokens':>8}{'seconds':>9}{'tok/s':>8}")
        more = requests + [Request(f"{r.id}-b", f"{r.prompt} Please be brief.") for r in requests]
        for bs in (16, 32, 64, 96):
            _, b_tok, _, b_dt = timed(fast, more, bs, True, max_new=64)
            print(f"{bs:>5}{b_tok:>8}{b_dt:>9.1f}{b_tok / b_dt:>8.1f}")

        print(
            f"\nspeedup={rate / (a_tok / a_dt):.1f}x "
            f"ceiling_share={100 * flops / ceiling:.0f}% identical={same}/{len(requests)}"
        )


if __name__ == "__main__":
    main()
