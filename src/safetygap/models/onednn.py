"""Faster inference on the CPU: a model's linear layers answered by oneDNN's matmul kernel, over
weights packed once, with the layers that read the same input fused into one product.

PyTorch's CPU `nn.Linear` calls MKL's sgemm. On this project's machines oneDNN's fp32 kernel
(`torch.ops.mkldnn._linear_pointwise`, the one torch.compile's CPU backend uses) runs the same
products about twice as fast, at every batch shape generation needs: a few rows per decode step,
thousands per prefill, the 49k-wide output head (benchmarks/generation.py measures the kernels'
ceilings). Two more steps, as torch.compile's weight "freezing" does:
- each weight is reordered once into oneDNN's blocked layout (`_reorder_linear_weight`, sized
  for the batch), instead of on every call: 10-25% per product at a decode step's 48 rows;
- sibling layers that a forward pass calls on the very same input tensor (a Llama layer's
  q/k/v projections, its MLP's gate and up projections) become one product over their weights
  stacked; each layer then returns its slice. Which layers those are is found by running the
  model once on three tokens, not from their names, so any architecture gets it.
The sums are taken in another order, so results differ from MKL's in the last bits; greedy
answers flip only where two tokens are within that rounding of each other
(docs/results/generation.md counts them on the benchmark's prompts).

Used only for inference (the op has no backward), on fp32 models on the CPU, and only when the
kernel is there and the patched model's logits agree with the model's own; anything else is left
as it is. The packed weights are a second copy of the linear weights (the originals stay for the
state dict and tied embeddings), so packing is skipped when that copy would not fit in a quarter
of the free memory.
"""

import types

PACK_SHARE = 0.25  # of the free RAM that the packed copy of the weights may take


def _linear(x, weight, bias):
    import torch

    shape = x.shape
    y = torch.ops.mkldnn._linear_pointwise(x.reshape(-1, shape[-1]), weight, bias, "none", [], "")
    return y.reshape(*shape[:-1], y.shape[-1])


def _forward(self, x):
    return _linear(x, getattr(self, "_onednn_weight", self.weight), self.bias)


def _fused_forward(self, x):
    fused, i = self._onednn_fused
    return fused.output(i, x)


class _Fused:
    """Layers called on one input: the first call computes all their outputs in one product,
    each layer then takes its slice (while the input tensor is the same, unchanged object)."""

    def __init__(self, linears, packed):
        import torch

        self.weight = torch.cat([m.weight.detach() for m in linears])
        if packed:
            self.weight = _pack(self.weight)
        self.bias = None
        if any(m.bias is not None for m in linears):  # Qwen's q/k/v have biases, Llama's none
            zeros = torch.zeros  # a layer without one among layers with one adds nothing
            self.bias = torch.cat(
                [m.bias.detach() if m.bias is not None else zeros(m.out_features) for m in linears]
            )
        self.sizes = [m.out_features for m in linears]
        self.x = self.outs = None

    def output(self, i, x):
        if self.x is not x or self.version != _version(x) or self.taken[i]:
            self.outs = _linear(x, self.weight, self.bias).split(self.sizes, dim=-1)
            self.x, self.version, self.taken = x, _version(x), [False] * len(self.sizes)
        out = self.outs[i]
        self.taken[i] = True
        if all(self.taken):
            self.x = self.outs = None  # holds no activations between passes
        return out


def _version(x) -> int | None:
    """The tensor's in-place write counter; inference tensors have none (and can't be
    written in place outside inference mode)."""
    return None if x.is_inference() else x._version


def _pack(weight, batch: int = 64):
    import torch

    return torch.ops.mkldnn._reorder_linear_weight(weight.detach(), batch)


def _shared_inputs(lm, linears) -> list[list]:
    """Groups of sibling linears that one forward pass over a few tokens calls on the same
    input tensor object."""
    import torch

    seen, hooks = [], []
    for m in linears:
        hooks.append(m.register_forward_pre_hook(lambda mod, args: seen.append((mod, args[0]))))
    try:
        with torch.inference_mode():
            lm(input_ids=torch.tensor([[1, 2, 3]]))
    finally:
        for h in hooks:
            h.remove()
    parent = {id(c): p for p in lm.modules() for c in p.children()}
    groups: dict[tuple, list] = {}
    for mod, x in seen:
        members = groups.setdefault((id(parent.get(id(mod))), id(x)), [])
        if mod not in members:
            members.append(mod)
    return [g for g in groups.values() if len(g) > 1]


def _free_ram() -> int:
    import torch

    from safetygap.models.load import free_memory

    return free_memory(torch.device("cpu")) or 0


def use_onednn(lm, pack: bool = True, fuse: bool = True) -> int:
    """Route every plain `nn.Linear` of an fp32 CPU model through oneDNN, its weights packed when
    `pack` (and they fit), layers that read one input fused when also `fuse`; return how many
    layers. 0 when the model is left as it was."""
    import torch

    linears = [m for m in lm.modules() if type(m) is torch.nn.Linear]
    if not linears or not torch.backends.mkldnn.is_available():
        return 0
    first = linears[0]
    if first.weight.device.type != "cpu" or first.weight.dtype != torch.float32:
        return 0
    try:
        rng = torch.Generator().manual_seed(0)  # the global RNG is the caller's
        x = torch.randn(3, first.in_features, generator=rng)
        with torch.inference_mode():
            agree = torch.allclose(_forward(first, x), first(x), rtol=1e-4, atol=1e-5)
            size = sum(m.weight.numel() for m in linears) * 4
            packed = pack and size <= PACK_SHARE * _free_ram()
            if packed:
                _pack(first.weight)
    except (AttributeError, RuntimeError):  # a torch build without the kernel
        return 0
    if not agree:
        return 0
    try:
        groups = _shared_inputs(lm, linears) if fuse and packed else []
        with torch.inference_mode():
            ref = lm(input_ids=torch.tensor([[1, 2, 3]])).logits
    except Exception:  # noqa: BLE001 - not a model that runs on bare token ids: no fusing
        groups, ref = [], None
    _patch(linears, groups, packed)
    if ref is not None:
        with torch.inference_mode():
            got = lm(input_ids=torch.tensor([[1, 2, 3]])).logits
        if (got - ref).abs().max() > 1e-3 * ref.abs().max():  # rounding is ~1e-5 of it
            _unpatch(linears)
            return 0
    return len(linears)


def _patch(linears, groups, packed: bool) -> None:
    for m in linears:
        if packed:
            m._onednn_weight = _pack(m.weight)
        m.forward = types.MethodType(_forward, m)
    for group in groups:
        fused = _Fused(group, packed)
        for i, m in enumerate(group):
            m._onednn_fused = (fused, i)
            m.forward = types.MethodType(_fused_forward, m)
            if packed:
                del m._onednn_weight  # the fused copy serves it


def _unpatch(linears) -> None:
    for m in linears:
        m.__dict__.pop("forward", None)
        m.__dict__.pop("_onednn_weight", None)
        m.__dict__.pop("_onednn_fused", None)
