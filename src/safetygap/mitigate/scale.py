"""`scale`: the fine-tune's update times lambda, a straight line from the model before
fine-tuning (0) to after it (1). Free, and a grid of lambdas traces a safety-vs-skill curve
(the interpolation that weight-space ensembling and task-arithmetic papers use)."""

from safetygap.errors import UserError

NEEDS_UNALIGNED = False
OUTPUT = "adapter"
PARAMS = {"lam": None}


def check(params: dict) -> None:
    lam = params.get("lam")
    if lam is None:
        raise UserError("scale needs --lambda L (0: the model before fine-tuning, 1: after)")
    if not 0.0 <= lam <= 1.0:
        raise UserError(f"--lambda {lam} is out of range: 0 <= L <= 1")


def apply(lora, ctx: dict, params: dict):
    return scale(lora, params["lam"])


def scale(lora, lam: float) -> tuple[dict, dict]:
    """(new adapter tensors, report): every lora_B times `lam` (so B @ A is too)."""
    tensors = dict(lora.tensors)
    for _, b in lora.modules.values():
        tensors[b] = lora.tensors[b] * lam
    return tensors, {"modules": len(lora.modules)}
