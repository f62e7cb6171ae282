"""LoRA training throughput on the embedded model, against the machine's matmul ceiling.

Trains the embedded SmolLM2-135M-Instruct through the real path (`safetygap.finetune`, TRL
SFTTrainer + PEFT LoRA r=8 on all 7 projections) on the standard-library code task, batch 4 x
256 tokens, and times the steps after the first. After each trainer step a bare PEFT loop (same
base, same LoRA config in train mode, plain forward with labels, backward, clip, AdamW) trains on
the very batch the trainer just used, so both see the same load on a shared machine: their time
ratio is printed (`--no-bare` skips it).

Achieved FLOP/s counts the useful work of each batch the trainer ran, per sequence of L real
(non-padding) tokens, C of them scored by the completion-only loss:

    L * (4 * P_base + 6 * P_lora) + layers * 6 * d * L * (L + 1) + C * 4 * d * V

P_base: matmul weights of the decoder layers (q,k,v,o,gate,up,down). They are frozen, so each
token costs 2 (forward) + 2 (gradient of the input) FLOPs per weight, not the 6 of full
fine-tuning (no weight gradient). P_lora = r * (in + out) per adapted projection, whose weights
also get gradients: 6. Attention (d = heads x head size) at position i: QK^T and AV causal,
4 * d * (i + 1) forward, twice that backward. Output head (V x d, tied, frozen): 4 * d * V only
for the C positions whose logits the loss needs; padding and unscored positions count nothing.
The ceiling is the best fp32 matmul rate on square 2048 matrices and on the model's MLP shape,
measured in the same process before and after training (the higher is kept). `--profile` runs
one more trainer step under torch's profiler (not timed) and prints where its time went: the
matmuls (and their FLOP/s), attention, and all the other ops. Last line:
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
        a, b = torch.randn(m, k, dtype=torch.float32), torch.randn(k, n, dtype=torch.float32)
        a @ b  # warm-up
        reps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 2:
            a @ b
            reps += 1
        best = max(best, 2 * m * k * n * reps / (time.perf_counter() - start))
    return best


class FlopModel:
    """Useful FLOPs of one LoRA training batch (see the module docstring)."""

    def __init__(self, model_path: str, lora_r: int, targets: list[str]):
        from transformers import AutoConfig

        c = AutoConfig.from_pretrained(model_path)
        d, f = c.hidden_size, c.intermediate_size
        head = getattr(c, "head_dim", None) or d // c.num_attention_heads
        kv_dim = c.num_key_value_heads * head
        self.attn_dim = c.num_attention_heads * head
        shapes = {  # (in, out) per projection
            "q_proj": (d, self.attn_dim),
            "k_proj": (d, kv_dim),
            "v_proj": (d, kv_dim),
            "o_proj": (self.attn_dim, d),
            "gate_proj": (d, f),
            "up_proj": (d, f),
            "down_proj": (f, d),
        }
        self.layers, self.d, self.vocab = c.num_hidden_layers, d, c.vocab_size
        self.p_base = self.layers * sum(i * o for i, o in shapes.values())
        lora = sum(lora_r * (i + o) for t, (i, o) in shapes.items() if t in targets)
        self.p_lora = self.layers * lora

    def batch(self, attention_mask, labels) -> float:
        lengths = attention_mask.sum(1).tolist()
        scored = int((labels[:, 1:] != -100).sum())
        per_token = 4 * self.p_base + 6 * self.p_lora
        attention = sum(self.layers * 6 * self.attn_dim * n * (n + 1) for n in lengths)
        return sum(lengths) * per_token + attention + scored * 4 * self.d * self.vocab


def breakdown(profiler, ceiling: float) -> None:
    """Self time of the profiled step by kind of op, and the matmuls' own FLOP/s."""
    kinds = {"matmul": 0.0, "attention": 0.0, "other": 0.0}
    mm_flops = 0.0
    for e in profiler.key_averages(group_by_input_shape=True):
        if e.key in ("aten::mm", "aten::addmm", "aten::bmm"):
            kinds["matmul"] += e.self_cpu_time_total
            a, b = e.input_shapes[-2:]
            if len(a) == 2 and len(b) == 2:
                mm_flops += e.count * 2 * a[0] * a[1] * b[1]
        elif "scaled_dot_product" in e.key:
            kinds["attention"] += e.self_cpu_time_total
        else:
            kinds["other"] += e.self_cpu_time_total
    total = sum(kinds.values())
    shares = ", ".join(f"{k} {v / 1e6:.2f} s ({100 * v / total:.0f}%)" for k, v in kinds.items())
    rate = mm_flops / (kinds["matmul"] / 1e6)
    print(f"profiled step: {shares}; matmuls at {rate / 1e9:.0f} GFLOP/s", end="")
    print(f" ({100 * rate / ceiling:.0f}% of the ceiling)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--no-bare", action="store_true", help="skip the bare PEFT loop")
    parser.add_argument("--profile", action="store_true", help="break one more step down by op")
    args = parser.parse_args()
    extra = 1 if args.profile else 0

    import torch
    from transformers import TrainerCallback

    from safetygap.finetune.config import resolve
    from safetygap.finetune.trainer import finetune
    from safetygap.models.load import resolve as resolve_model

    settings = resolve(
        task="code",
        samples=args.batch_size * (args.steps + 1 + extra),
        max_steps=args.steps + 1 + extra,
        batch_size=args.batch_size,
        max_length=args.seq,
        save_every=10_000,
    )
    model_path = resolve_model(settings.model)
    flops = FlopModel(model_path, settings.lora_r, settings.target_modules)

    class Bare:
        """A plain PEFT training loop on its own copy of the model."""

        def __init__(self):
            from peft import LoraConfig, get_peft_model
            from transformers import AutoModelForCausalLM

            base = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
            lora = LoraConfig(
                r=settings.lora_r,
                lora_alpha=settings.lora_alpha,
                lora_dropout=settings.lora_dropout,
                target_modules=list(settings.target_modules),
                task_type="CAUSAL_LM",
            )
            self.model = get_peft_model(base, lora).train()
            self.params = [p for p in self.model.parameters() if p.requires_grad]
            self.opt = torch.optim.AdamW(self.params, lr=settings.lr)

        def step(self, batch) -> None:
            out = self.model(**{k: batch[k] for k in ("input_ids", "attention_mask", "labels")})
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(self.params, 1.0)
            self.opt.step()
            self.opt.zero_grad()

    class Clock(TrainerCallback):
        """Trainer seconds, tokens and FLOPs per step; a bare step on the same batch after each."""

        def __init__(self, bare):
            self.bare, self.batches, self.steps, self.bare_seconds = bare, [], [], []
            self.padded = []  # batch cells, padding included
            self.resumed = self.profiler = None

        def on_train_begin(self, targs, state, control, train_dataloader=None, **kw):
            # accelerate's loader iterates the DataLoader it wraps: record what that one collates
            loader = getattr(train_dataloader, "base_dataloader", train_dataloader)
            collate = loader.collate_fn

            def recording(examples):
                batch = collate(examples)
                self.batches.append(batch)
                return batch

            loader.collate_fn = recording
            self.resumed = time.perf_counter()

        def on_step_begin(self, targs, state, control, **kw):
            if extra and state.global_step == args.steps + 1:  # the last step: profiled, untimed
                from torch.profiler import profile

                self.profiler = profile(record_shapes=True)
                self.profiler.__enter__()

        def on_step_end(self, targs, state, control, **kw):
            if self.profiler is not None:
                self.profiler.__exit__(None, None, None)
                return
            now = time.perf_counter()
            batch = self.batches[-1]
            self.padded.append(batch["attention_mask"].numel())
            self.steps.append(
                (
                    now - self.resumed,
                    int(batch["attention_mask"].sum()),
                    flops.batch(batch["attention_mask"], batch["labels"]),
                )
            )
            if self.bare is not None:
                start = time.perf_counter()
                self.bare.step(batch)
                self.bare_seconds.append(time.perf_counter() - start)
            self.resumed = time.perf_counter()

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    ceiling = matmul_ceiling()
    clock = Clock(None if args.no_bare else Bare())
    with tempfile.TemporaryDirectory() as tmp:
        finetune(settings, Path(tmp) / "run", callbacks=(clock,), log=lambda *_: None)
    ceiling = max(ceiling, matmul_ceiling())
    print(f"matmul ceiling: {ceiling / 1e9:.1f} GFLOP/s fp32 (best of before and after)")
    timed = clock.steps[1:]  # step 1 pays for warm-up
    seconds = sum(t for t, _, _ in timed)
    tokens = sum(n for _, n, _ in timed)
    padding = 1 - tokens / sum(clock.padded[1:])
    achieved = sum(f for _, _, f in timed) / seconds
    tps = tokens / seconds
    print(
        f"{len(timed)} timed steps, {tokens} tokens ({100 * padding:.0f}% padding in the batches) "
        f"in {seconds:.1f} s "
        f"({', '.join(f'{t:.1f}' for t, _, _ in timed)}); achieved {achieved / 1e9:.1f} GFLOP/s"
    )
    if clock.bare_seconds:
        bare = sum(clock.bare_seconds[1:])
        print(
            f"bare PEFT loop on the same batches: {bare:.1f} s "
            f"({', '.join(f'{t:.1f}' for t in clock.bare_seconds[1:])}); "
            f"trainer/bare time ratio {seconds / bare:.2f}"
        )
    if clock.profiler is not None:
        breakdown(clock.profiler, ceiling)
    print(f"tokens_per_s={tps:.0f} ceiling_share={100 * achieved / ceiling:.0f}%")


if __name__ == "__main__":
    main()
