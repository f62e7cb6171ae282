"""Fine-tuning objectives that hold part of the aligned model's behaviour in place while the task
is learnt: `finetune --constrain-first-tokens` and `--constrain-safety-tokens`.

Both compare the model being trained with a reference, the aligned model it starts from: by
default that base with the LoRA adapter switched off (no second copy in memory), or the model
named by `--reference`. They run in `loss.CompletionSFTTrainer`'s loss, on the CPU and on CUDA,
at the cost of one forward pass without gradients per step.

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
same step (theirs once before training); the numbers are the same.

Safety tokens: PACT, Wang et al., "Few Tokens, Big Leverage: Preserving Safety Alignment by
Constraining Safety Tokens during Fine-tuning" (arXiv 2603.07445; their code,
github.com/Glresearch1/PACT). The safety tokens are found once, before training: the aligned
and the unaligned model read refusals to harmful train requests (teacher-forced), and over the
tokens the aligned model most expects there (its mean probability, top 50) each gets the mean of
p_aligned - p_unaligned, standardised; those scored above the mean are the safety tokens,
weighted by it (the others keep weight 0). While fine-tuning, every response position adds
lambda * T^2 * KL(q || p) to the cross-entropy, where p is the model's distribution over those 50
tokens alone (temperature T=2) and q the reference's, reweighted by the scores and renormalised:
the model keeps the reference's confidence among those tokens and is free elsewhere. Their
values: 50 tokens, responses cut at 64 tokens, T = 2, lambda = 1. Where ours differs: their
code also gates the reference between its full-context logits and logits of the response read
without the prompt (per position, by how spread the two distributions are); we use the
full-context reference only.
Their unaligned model is a pretrained base prompted as "User: ... Assistant:"; ours is the chat
model before `align`, prompted with its chat template. Their refusals are their safety set's;
ours are the plain-format refusals written for the bench, to train-split harmful requests.
"""

from dataclasses import dataclass, field

CONSTRAINTS = ("none", "first-tokens", "safety-tokens")


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

    def weighted(self, log_probs, ref_log_probs, positions):
        """The summed objective over the scored tokens, from their log-probabilities (its
        gradient is Eqn. 3's)."""
        import torch

        beta = self.betas(positions)
        weight = 2 * torch.sigmoid(-beta * (log_probs.detach() - ref_log_probs))
        return -(weight.clamp(min=1e-3) * log_probs).sum()

    def loss_sum(self, log_probs, targets, ref_log_probs, positions):
        """From the full log-softmax rows of the model and the reference at the scored
        positions."""
        take = targets.unsqueeze(-1)
        own = log_probs.gather(-1, take).squeeze(-1)
        return self.weighted(own, ref_log_probs.gather(-1, take).squeeze(-1), positions)


@dataclass(frozen=True)
class SafetyTokens:
    """PACT's regulariser (see the module docstring): `ids` the safety tokens, `weights` their
    scores (> 0)."""

    ids: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    temperature: float = 2.0
    lam: float = 1.0

    def kl(self, log_probs, ref_log_probs):
        """KL(q || p) per scored position over the safety tokens, times T^2."""
        import torch

        ids = torch.tensor(self.ids, device=log_probs.device)
        w = torch.tensor(self.weights, device=log_probs.device, dtype=log_probs.dtype)
        t = self.temperature
        # a log-softmax row minus its constant is the logits: the subset's softmax is the same
        own = (log_probs[:, ids] / t).log_softmax(-1)
        q = (ref_log_probs[:, ids] / t).softmax(-1) * w
        q = q / q.sum(-1, keepdim=True).clamp(min=1e-12)
        return (q * (q.clamp(min=1e-12).log() - own)).sum(-1) * t**2

    def loss_sum(self, log_probs, targets, ref_log_probs, positions):
        nll = -log_probs.gather(-1, targets.unsqueeze(-1)).sum()
        return nll + self.lam * self.kl(log_probs, ref_log_probs).sum()


def response_positions(labels):
    """Each scored (shifted) label's 1-based position within its row's scored tokens, in the
    order of the scored positions: the response's first token is 1."""
    scored = labels[:, 1:] != -100
    return scored.cumsum(1)[scored]


def reference_log_probs(model, reference, model_inputs, mask):
    """log pi_ref over the vocabulary at the scored positions: `reference` (a frozen model)
    when given, else `model` (a PEFT model) with its adapter switched off."""
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
        return logits.log_softmax(-1)


def check_reference(spec: str, option: str = "--reference") -> None:
    """UserError unless `spec` names a model the objective can load here: a registry name, a
    local model folder, or a hub id already in the local Hugging Face cache (not an endpoint,
    which gives no token probabilities)."""
    from pathlib import Path

    from safetygap.errors import UserError
    from safetygap.models.registry import parse_spec

    model = parse_spec(spec)
    if model.is_remote:
        raise UserError(f"{option} {spec}: an endpoint gives no token probabilities")
    if model.kind == "local" and not (Path(model.name) / "config.json").is_file():
        raise UserError(f"{option} {spec}: no config.json there, not a model folder")
    if model.kind == "hub":
        from huggingface_hub import try_to_load_from_cache

        if not isinstance(try_to_load_from_cache(spec, "config.json"), str):
            raise UserError(
                f"{option} {spec}: no such folder, and no such model in the local Hugging "
                "Face cache (download it first)"
            )


def make_constraint(name: str, tokens: dict | None = None):
    """The objective of a `constraint` setting (None for `none`); `tokens` {ids, weights}: the
    safety tokens of `safety-tokens`."""
    if name == "first-tokens":
        return FirstTokens()
    if name == "safety-tokens":
        return SafetyTokens(ids=tokens["ids"], weights=tokens["weights"])
    return None


def safety_tokens(aligned, unaligned, tok, top: int = 50, n: int = 160, cut: int = 64) -> dict:
    """PACT's safety tokens: {ids, weights, top, n_refusals} (see the module docstring). Both
    models read `n` plain-format refusals to train-split harmful requests (each cut at `cut`
    tokens) after the request in their chat template."""
    import torch

    from safetygap.bench.build import SeedOptions, load_pool
    from safetygap.bench.formats import pick_template, refusal, wrap
    from safetygap.bench.pool import balanced

    seeds = balanced(load_pool(SeedOptions()).side("train", harmful=True), n, salt="pact")
    totals = {"diff": 0.0, "aligned": 0.0}
    for seed in seeds:
        template = pick_template("plain", seed, salt="pact")
        rid = f"plain/{template}/{seed.seed_id}"
        user = [{"role": "user", "content": wrap("plain", template, seed)}]
        prompt = tok.apply_chat_template(user, add_generation_prompt=True, return_dict=True)
        answer = tok(refusal("plain", rid), add_special_tokens=False)["input_ids"][:cut]
        ids = torch.tensor([list(prompt["input_ids"]) + answer])
        at = slice(ids.shape[1] - len(answer) - 1, ids.shape[1] - 1)  # predicting the answer
        with torch.no_grad():
            p = {
                name: model(input_ids=ids.to(model.device)).logits[0, at].float().softmax(-1).cpu()
                for name, model in (("aligned", aligned), ("unaligned", unaligned))
            }
        totals["diff"] = totals["diff"] + (p["aligned"] - p["unaligned"]).mean(0)
        totals["aligned"] = totals["aligned"] + p["aligned"].mean(0)
    expected = torch.topk(totals["aligned"], top).indices
    diff = totals["diff"][expected] / len(seeds)
    score = (diff - diff.mean()) / (diff.std() + 1e-6)
    return {  # all `top` tokens share the softmax; those scored below the mean weigh nothing
        "ids": expected.tolist(),
        "weights": [round(w, 6) for w in score.clamp(min=0).tolist()],
        "top": top,
        "n_refusals": len(seeds),
    }
