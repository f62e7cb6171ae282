"""CPU fast paths for LoRA training: padding-free batches and a cheaper dropout mask.

Both keep the training maths; they only cut work the CPU would spend on nothing.

- Padding-free: the padded batch is packed into one row of its real tokens and each sequence
  attends only to itself (`segment_attention`: causal SDPA per sequence), so padding costs no
  matmul and attention computes no cross-sequence blocks. The loss and gradients equal the
  padded batch's (tested).
- `FastDropout`: `nn.Dropout` draws its mask with torch's CPU Bernoulli sampler, which took a
  fifth of a LoRA step here (210 masks of up to 1.5M values). This one draws 16 random bits per
  value from numpy's SFC64 generator, seeded from torch's generator (so `set_seed` and the
  checkpointed RNG states still decide it), and drops a value with probability
  round(p * 65536) / 65536 (p = 0.05 gives 0.050003)."""

import numpy as np
import torch
from transformers import AttentionInterface, AttentionMaskInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import sdpa_mask

SEGMENTS = "safetygap_segments"  # the attention implementation's registered name


def segment_attention(module, query, key, value, attention_mask, cu_seq_lens_q=None, **kwargs):
    """Causal SDPA over each packed sequence on its own (plain SDPA without `cu_seq_lens_q`)."""
    if cu_seq_lens_q is None or query.shape[0] != 1:
        return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)
    kwargs.pop("is_causal", None)
    lengths = cu_seq_lens_q.diff().tolist()  # split, not slices: its backward is one concatenation
    parts = [
        sdpa_attention_forward(module, q, k, v, None, is_causal=True, **kwargs)[0]
        for q, k, v in zip(*(t.split(lengths, dim=2) for t in (query, key, value)), strict=True)
    ]
    return torch.cat(parts, dim=1), None


AttentionInterface.register(SEGMENTS, segment_attention)
AttentionMaskInterface.register(SEGMENTS, sdpa_mask)


def use_segment_attention(model) -> bool:
    """Switch a model that runs SDPA to `segment_attention` (same maths); False if it runs other."""
    if getattr(model.config, "_attn_implementation", None) not in ("sdpa", SEGMENTS):
        return False
    model.set_attn_implementation(SEGMENTS)
    return True


def restore_attention(model) -> None:
    if getattr(model.config, "_attn_implementation", None) == SEGMENTS:
        model.set_attn_implementation("sdpa")


def pack(input_ids, attention_mask, labels) -> dict:
    """One padding-free row from a padded batch: input ids, position ids, sequence bounds and labels
    (each sequence's first label is -100, so no token is scored against the next sequence)."""
    real = attention_mask.bool()
    lengths = real.sum(1)
    positions = torch.cat([torch.arange(int(n)) for n in lengths])
    packed_labels = labels[real].clone()
    packed_labels[positions == 0] = -100
    bounds = torch.zeros(len(lengths) + 1, dtype=torch.int32)
    bounds[1:] = lengths.cumsum(0)
    return {
        "input_ids": input_ids[real][None],
        "position_ids": positions[None].to(input_ids.device),
        "cu_seq_lens_q": bounds,
        "cu_seq_lens_k": bounds,
        "max_length_q": int(lengths.max()),
        "max_length_k": int(lengths.max()),
        "labels": packed_labels[None],
    }


class FastDropout(torch.nn.Module):
    """Inverted dropout whose mask costs numpy random bits instead of torch's CPU Bernoulli."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p
        self.threshold = round(p * 65536) - 32768  # int16 values below it are dropped

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        n = x.numel()
        seed = int(torch.randint(0, 2**62, (1,)))
        bits = np.random.SFC64(seed).random_raw((n + 3) // 4).view(np.int16)[:n]
        keep = torch.from_numpy(bits).view(x.shape) >= self.threshold
        mask = keep.to(x.dtype).mul_(1.0 / (1.0 - self.p))
        return x * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


def use_fast_dropout(model) -> int:
    """Replace the LoRA layers' `nn.Dropout` with `FastDropout`; the number replaced."""
    swapped = 0
    for module in model.modules():
        drops = getattr(module, "lora_dropout", None)
        if not isinstance(drops, torch.nn.ModuleDict):
            continue
        for name, drop in drops.items():
            if type(drop) is torch.nn.Dropout and drop.p > 0:
                drops[name] = FastDropout(drop.p)
                swapped += 1
    return swapped
