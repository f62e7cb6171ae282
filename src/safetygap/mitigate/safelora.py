"""`safelora`: Safe LoRA (Hsu et al. 2024, "Safe LoRA: the Silver Lining of Reducing Safety
Risks when Finetuning Large Language Models", NeurIPS 2024, arXiv 2405.16833; the authors'
code is github.com/IBM/SafeLoRA).

For each weight the adapter changes, the alignment matrix is V = W_aligned - W_unaligned and the
projection C = V V^T / ||V||_F. The similarity of a module is the cosine between its update
C B A and B A (flattened). Modules whose similarity is at most a threshold tau, or the K least
similar ones, get the projected update: since C B A = (C B) A, the adapter stays a LoRA adapter
with lora_B replaced by C B.

As the paper and the authors' code: C uses ||V||_F, not ||V||_F^2, so it is not an orthogonal
projection; it also rescales what it projects by about ||V||_F (the projected modules' updates
shrink when the alignment changed the weights little). Where ours differs: C B is computed as
V (V^T B) / ||V||_F, never forming the d x d matrix C; a module the alignment did not change
(V = 0) has no direction to project on and is left as it is; the default selection is the 10%
least similar modules, as the paper's ablation found about 11% of layers enough.
"""

from safetygap.errors import UserError

DEFAULT_FRACTION = 0.1
NEEDS_UNALIGNED = True
OUTPUT = "adapter"
PARAMS = {"threshold": None, "layers": None}


def check(params: dict) -> None:
    threshold, layers = params.get("threshold"), params.get("layers")
    if threshold is not None and layers is not None:
        raise UserError("give --threshold or --layers, not both")
    if threshold is not None and not -1.0 <= threshold <= 1.0:
        raise UserError(f"--threshold {threshold} is out of range: a cosine, -1 to 1")
    if layers is not None and layers < 1:
        raise UserError(f"--layers {layers} is out of range: at least 1")


def apply(lora, ctx: dict, params: dict):
    return safelora(lora, ctx["aligned"], ctx["unaligned"], params["threshold"], params["layers"])


def safelora(lora, aligned: dict, unaligned: dict, threshold=None, layers=None):
    """(new adapter tensors, report with each module's similarity and the projected ones)."""
    import torch

    cos, projected_b = {}, {}
    for module, (a, b) in lora.modules.items():
        v = aligned[module] - unaligned[module]
        norm = torch.linalg.norm(v)
        if float(norm) == 0.0:
            cos[module] = None
            continue
        cb = v @ (v.T @ lora.tensors[b]) / norm
        update = (lora.tensors[b] @ lora.tensors[a]).flatten()
        projected = (cb @ lora.tensors[a]).flatten()
        cos[module] = round(float(torch.nn.functional.cosine_similarity(projected, update, 0)), 6)
        projected_b[module] = cb
    ranked = sorted((c, m) for m, c in cos.items() if c is not None)
    if threshold is not None:
        chosen = [m for c, m in ranked if c <= threshold]
        selection = {"threshold": threshold}
    else:
        k = layers if layers is not None else max(1, round(DEFAULT_FRACTION * len(ranked)))
        chosen = [m for _, m in ranked[:k]]
        selection = {"layers": k}
    tensors = dict(lora.tensors)
    for module in chosen:
        tensors[lora.modules[module][1]] = projected_b[module]
    report = {
        "selection": selection,
        "modules": len(lora.modules),
        "projected": sorted(chosen),
        "no_direction": sorted(m for m, c in cos.items() if c is None),
        "similarity": cos,
    }
    return tensors, report
