"""LoRA training throughput on the embedded model, against the machine's matmul ceiling.

Trains the embedded SmolLM2-135M-Instruct through the real path (`safetygap.finetune`, TRL
SFTTrainer + PEFT LoRA r=8 on all 7 projections) on the standard-library code task, batch 4 x
256 tokens, and times the steps after the first. Achieved FLOP/s counts a frozen-base LoRA step
as 4 x matmul params per token (forward 2, input gradients 2; no weight gradients for the base)
plus attention; the ceiling is the best fp32 matmul rate measured in the same run, on square
2048 matrices and on the model's own MLP shape. Last line:
`tokens_per_s=<n> ceiling_share=<percent>%`.
"""

import argparse
import tempfile
import time
from pathlib import Path


def matmul_ceiling(seconds: float = 3.0) -> float:
    """Best fp32 matmul FLOP/s over a square and a model-shaped product."""
    import torch

    best = 0.0
    for m, k, n in ((2048, 2048, 2048), (1024, 576, 1536)):
        a, b = torch.randn(m, k), torch.randn(k, n)
        a @ b  # warm-up
        reps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 2:
            a @ b
            reps += 1
        best = max(best, 2 * m * k * n * reps / (time.perf_counter() - start))
    return best


def flops_per_token(model_path: str, seq: int) -> float:
    from transformers import AutoConfig

    c = AutoConfig.from_pretrained(model_path)
    d, f, layers, kv = (
        c.hidden_size,
        c.intermediate_size,
        c.num_hidden_layers,
        c.num_key_value_heads,
    )
    head = d // c.num_attention_heads
    per_layer = d * d * 2 + d * kv * head * 2 + 3 * d * f  # q,o + k,v + gate,up,down
    matmul_params = layers * per_layer + d * c.vocab_size  # + the (tied) output head
    attention = layers * 2 * seq * d  # scores and weighted sum, causal average ~seq/2 x 2 x 2
    return 4 * matmul_params + 2 * attention  # forward + input-gradient backward


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--seq", type=int, default=256)
    args = parser.parse_args()

    import torch
    from transformers import TrainerCallback

    from safetygap.finetune.config import resolve
    from safetygap.finetune.trainer import finetune
    from safetygap.models.load import resolve as resolve_model

    class Clock(TrainerCallback):
        def __init__(self):
            self.marks = []  # (time, tokens seen) after each step

        def on_step_end(self, targs, state, control, **kw):
            self.marks.append(time.perf_counter())

        def on_log(self, targs, state, control, logs=None, **kw):
            if logs and "num_tokens" in logs:
                self.tokens = getattr(self, "tokens", []) + [logs["num_tokens"]]

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    ceiling = matmul_ceiling()
    print(f"matmul ceiling: {ceiling / 1e9:.1f} GFLOP/s fp32")
    settings = resolve(
        task="code",
        samples=args.batch_size * (args.steps + 1),
        max_steps=args.steps + 1,
        batch_size=args.batch_size,
        max_length=args.seq,
        save_every=10_000,
    )
    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        finetune(settings, Path(tmp) / "run", callbacks=(clock,), log=lambda *_: None)
    # Tokens of steps 2..n over their time (step 1 pays for warm-up).
    seconds = clock.marks[-1] - clock.marks[0]
    tokens = clock.tokens[-1] - clock.tokens[0]
    tps = tokens / seconds
    seq_mean = clock.tokens[-1] / len(clock.tokens) / args.batch_size
    achieved = tps * flops_per_token(resolve_model(settings.model), int(seq_mean))
    print(
        f"{len(clock.marks) - 1} timed steps, {tokens:.0f} tokens in {seconds:.1f} s, "
        f"mean {seq_mean:.0f} tokens/sequence; achieved {achieved / 1e9:.1f} GFLOP/s"
    )
    print(f"tokens_per_s={tps:.0f} ceiling_share={100 * achieved / ceiling:.0f}%")


if __name__ == "__main__":
    main()
