"""Fine-tuning objectives that hold part of the aligned model's behaviour in place while the task
is learnt: `finetune --constrain-first-tokens`.

Both compare the model being trained with a reference, the aligned model it starts from: by
default that base with the LoRA adapter switched off (no second copy in memory), or the model
named by `--reference`. They run in `loss.CompletionSFTTrainer`'s loss, on the CPU and on CUDA.

First tokens: Qi et al., "Safety Alignment Should Be Made More Than Just a Few Tokens Deep"
(ICLR 2025, arXiv 2406.05946), sec. 4.2, Eqn. 3: each response token's loss is
-(2 / beta_t) log sigmoid(beta_t (log pi(y_t) - log pi_ref(y_t))), whose gradient is the
cross-entropy's scaled by 2 sigmoid(-beta_t (log pi - log pi_ref)): 1 where the model agrees with
the reference, towards 0 as the token becomes likelier than the reference made it. A large
beta_t stops the model drifting from the reference early; a small one leaves it free (beta -> 0
is plain fine-tuning). Their schedule is the default: beta_1 = 0.5, beta_t = 2 for t = 2..5, 0.1
after (their code's beta 0.1 with factors 5 and 20 over the first 5 tokens). As in their code, the
scale is applied to the cross-entropy with the weight detached and floored at 1e-3, which gives
the gradient of Eqn. 3. Where ours differs: the reference log-probabilities are computed in the
same step (theirs are computed once before training, which needs the reference's data order);
the numbers are the same, at the cost of one forward pass without gradients per step.
"""

from dataclasses import dataclass

CONSTRAINTS = ("none", "first-tokens")


@dataclass(frozen=True)
class FirstTokens:
    """Qi et al.'s token-wise constrained objective (see the module docstring)."""

    beta: float = 0.1
    first_factor: float = 5.0  # beta_1 = beta * 5
    early_factor: float = 20.0  # beta_t = beta * 20 for t = 2..early_tokens
    early_tokens: int = 5

    def betas(self, positions):
        """beta_t for each scored token's 1-based position in its response."""
        import torch

        beta = torch.full(positions.shape, self.beta, dtype=torch.float32)
        beta[(positions >= 2) & (positions <= self.early_tokens)] = self.beta * self.early_factor
        beta[positions == 1] = self.beta * self.first_factor
        return beta.to(positions.device)

    def loss_sum(self, log_probs, ref_log_probs, positions):
        """The summed objective over the scored tokens (its gradient is Eqn. 3's)."""
        import torch

        beta = self.betas(positions)
        weight = 2 * torch.sigmoid(-beta * (log_probs.detach() - ref_log_probs))
        return -(weight.clamp(min=1e-3) * log_probs).sum()


def response_positions(labels):
    """Each scored (shifted) label's 1-based position within its row's scored tokens, in the
    order of the scored positions: the response's first token is 1."""
    scored = labels[:, 1:] != -100
    return scored.cumsum(1)[scored]


def reference_log_probs(model, reference, model_inputs, mask, targets):
    """log pi_ref of the scored targets: `reference` (a frozen model) when given, else `model`
    (a PEFT model) with its adapter switched off."""
    import contextlib

    import torch

    with torch.no_grad():
        if reference is not None:
            ref, off = reference, contextlib.nullcontext()
        else:
            ref, off = model.get_base_model(), model.disable_adapter()
        with off:
            hidden = ref.base_model(**model_inputs, use_cache=False).last_hidden_state
            head = ref.get_output_embeddings()
            logits = head(hidden[:, :-1][mask].to(head.weight.device)).float()
        log_probs = logits.log_softmax(-1)
        return log_probs.gather(-1, targets.to(logits.device).unsqueeze(-1)).squeeze(-1)


def check_reference(spec: str) -> None:
    """UserError unless `spec` names a model the objective can load here: a registry name, a
    local model folder, or a hub id already in the local Hugging Face cache (not an endpoint,
    which gives no token probabilities)."""
    from pathlib import Path

    from safetygap.errors import UserError
    from safetygap.models.registry import parse_spec

    model = parse_spec(spec)
    if model.is_remote:
        raise UserError(f"--reference {spec}: an endpoint gives no token probabilities")
    if model.kind == "local" and not (Path(model.name) / "config.json").is_file():
        raise UserError(f"--reference {spec}: no config.json there, not a model folder")
    if model.kind == "hub":
        from huggingface_hub import try_to_load_from_cache

        if not isinstance(try_to_load_from_cache(spec, "config.json"), str):
            raise UserError(
                f"--reference {spec}: no such folder, and no such model in the local Hugging "
                "Face cache (download it first)"
            )


def make_constraint(name: str):
    if name == "first-tokens":
        return FirstTokens()
    return None
