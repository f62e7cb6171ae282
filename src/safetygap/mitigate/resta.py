"""`resta`: RESTA, restoring safety through task arithmetic (Bhardwaj, Anh and Poria 2024,
"Language Models are Homer Simpson! Safety Re-Alignment of Fine-tuned Language Models through
Task Arithmetic", ACL 2024, arXiv 2402.11746; code github.com/declare-lab/resta).

The fine-tuned model's weights get a safety vector added: theta = theta_ft + beta * delta, with
delta = theta_aligned - theta_unaligned. Optionally the fine-tune's own update is first thinned
with DARE (drop each element with probability p, rescale the rest by 1 / (1 - p)), which the
paper found helps for parameter-efficient fine-tunes.

Where ours differs: the paper builds its unaligned model by fine-tuning the aligned one on
harmful question-answer pairs; we take the model before alignment (for the embedded default,
the base that `safetygap align` started from; for hub models, for example the base model next
to its instruct model), so delta is the alignment itself. The result is a merged model (delta
is not low-rank), used as `--model DIR`. The default beta of 0.5 is ours (a half dose of the
alignment added again); the paper tunes its scale per setting.
"""

from safetygap.errors import UserError

NEEDS_UNALIGNED = True
OUTPUT = "model"
PARAMS = {"beta": 0.5, "dare": 0.0, "seed": 0}


def check(params: dict) -> None:
    if not 0.0 < params["beta"] <= 2.0:
        raise UserError(f"--beta {params['beta']} is out of range: 0 < beta <= 2")
    if not 0.0 <= params["dare"] < 1.0:
        raise UserError(f"--dare {params['dare']} is out of range: 0 <= p < 1")


def apply(lora, ctx: dict, params: dict):
    report = resta(
        lora, ctx["model"], ctx["unaligned"], params["beta"], params["dare"], params["seed"]
    )
    return None, report


def resta(lora, model, unaligned: dict, beta: float, dare: float = 0.0, seed: int = 0) -> dict:
    """Turn `model` (the aligned base, fp32) into the repaired fine-tune in place; a report."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    changed = 0
    with torch.no_grad():
        for name, p in model.named_parameters():
            safety = p.detach() - unaligned[name]  # before p changes
            if name in lora.modules:
                update = lora.delta(name)
                if dare:
                    keep = torch.rand(update.shape, generator=gen) >= dare
                    update = update * keep / (1.0 - dare)
                p.add_(update)
            if torch.any(safety != 0):
                p.add_(beta * safety)
                changed += 1
    return {"modules": len(lora.modules), "tensors_with_safety_vector": changed}
