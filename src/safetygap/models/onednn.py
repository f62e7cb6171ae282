"""Faster inference on the CPU: a model's linear layers answered by oneDNN's matmul kernel.

PyTorch's CPU `nn.Linear` calls MKL's sgemm. On this project's machines oneDNN's fp32 kernel
(`torch.ops.mkldnn._linear_pointwise`, the one torch.compile's CPU backend uses) runs the same
products about twice as fast, at every batch shape generation needs: a few rows per decode step,
thousands per prefill, the 49k-wide output head (benchmarks/generation.py measures both
kernels' ceilings). The sums are taken in another order, so results differ from MKL's in the
last bits; greedy answers flip only where two tokens are within that rounding of each other
(docs/results/generation.md counts them on the benchmark's prompts).

Used only for inference (the op has no backward), on fp32 models on the CPU, and only when the
kernel is there and agrees with `F.linear` on a first layer; anything else is left as it is.
"""

import types


def _forward(self, x):
    import torch

    shape = x.shape
    y = torch.ops.mkldnn._linear_pointwise(
        x.reshape(-1, shape[-1]), self.weight, self.bias, "none", [], ""
    )
    return y.reshape(*shape[:-1], y.shape[-1])


def use_onednn(lm) -> int:
    """Route every plain `nn.Linear` of an fp32 CPU model through oneDNN; return how many."""
    import torch

    linears = [m for m in lm.modules() if type(m) is torch.nn.Linear]
    if not linears or not torch.backends.mkldnn.is_available():
        return 0
    first = linears[0]
    if first.weight.device.type != "cpu" or first.weight.dtype != torch.float32:
        return 0
    try:
        with torch.inference_mode():
            rng = torch.Generator().manual_seed(0)  # the global RNG is the caller's
            x = torch.randn(3, first.in_features, generator=rng)
            agree = torch.allclose(_forward(first, x), first(x), rtol=1e-4, atol=1e-5)
    except (AttributeError, RuntimeError):  # a torch build without the kernel
        return 0
    if not agree:
        return 0
    for m in linears:
        m.forward = types.MethodType(_forward, m)
    return len(linears)
