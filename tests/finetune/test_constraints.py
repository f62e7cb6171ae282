"""The defences a fine-tune can apply as it trains (finetune/constraints.py) and the untrained
response prefix of safety-recovery examples (finetune/data.py: tokenized_records), on the tiny
random Llama."""

import json

import pytest
import torch

from safetygap.errors import UserError
from safetygap.finetune.constraints import FirstTokens, check_reference, response_positions
from safetygap.finetune.data import to_trainer_record, tokenized_records
from safetygap.finetune.trainer import build_trainer
from tests.finetune.test_loss import EXAMPLES, QUIET, first_batch, load_tiny, tiny_settings


def test_the_beta_schedule_is_qi_et_al_s():
    beta = FirstTokens().betas(torch.tensor([1, 2, 3, 5, 6, 40]))
    assert torch.allclose(beta, torch.tensor([0.5, 2.0, 2.0, 2.0, 0.1, 0.1]))


def test_the_gradient_is_that_of_eqn_3():
    """d/d log pi of -(2/beta) log sigmoid(beta (log pi - log pi_ref)), token by token."""
    torch.manual_seed(0)
    positions = torch.tensor([1, 2, 3, 4, 5, 6, 7, 30])
    ref = -torch.rand(8) * 5
    log_probs = (ref + torch.randn(8)).requires_grad_()
    FirstTokens().weighted(log_probs, ref, positions).backward()
    ours = log_probs.grad.clone()
    x = log_probs.detach().clone().requires_grad_()
    beta = FirstTokens().betas(positions)
    (-(2 / beta) * torch.nn.functional.logsigmoid(beta * (x - ref))).sum().backward()
    assert torch.allclose(ours, x.grad, atol=1e-6)


def test_an_early_token_that_drifts_up_stops_learning_a_late_one_does_not():
    ref = torch.tensor([-3.0, -3.0])
    log_probs = torch.tensor([0.0, 0.0], requires_grad=True)  # both 3 nats above the reference
    FirstTokens().weighted(log_probs, ref, torch.tensor([3, 50])).backward()
    early, late = -log_probs.grad
    assert early < 0.01 and late > 0.8  # beta 2 saturates; beta 0.1 barely bends


def test_positions_count_from_each_response_s_first_token():
    labels = torch.tensor([[-100, -100, 7, 8, 9, -100], [-100, 5, 6, -100, -100, -100]])
    assert response_positions(labels).tolist() == [1, 2, 3, 1, 2]


def test_the_constrained_loss_starts_as_the_plain_one_and_holds_the_early_tokens(
    varied_dir, tmp_path
):
    """At step 0 the adapter is zero, so the model is its reference and every weight is 1: the
    same loss as the plain fine-tune's. Trained on the same examples, the plain run raises the
    log-probability of response tokens 2-5 by several nats; the constrained one by far less,
    while the tokens after the fifth learn as much as in the plain run."""
    runs = {}
    for constraint in ("none", "first-tokens"):
        s = tiny_settings(varied_dir, constraint=constraint, lr=1e-2, max_steps=30, seed=1)
        model, tok = load_tiny(varied_dir)
        trainer, _ = build_trainer(s, model, tok, "cpu", EXAMPLES, tmp_path / constraint, **QUIET)
        batch = first_batch(trainer)
        with torch.no_grad():
            start = trainer.compute_loss(trainer.model, batch).item()
        trainer.train()
        with torch.no_grad(), trainer.model.disable_adapter():
            before, positions = _response_log_probs(trainer.model, batch)
        with torch.no_grad():
            after, _ = _response_log_probs(trainer.model, batch)
        rise = after - before
        early, late = (positions >= 2) & (positions <= 5), positions > 5
        runs[constraint] = (start, rise[early].mean().item(), rise[late].mean().item())
    (plain_start, plain_early, plain_late), (start, early, late) = runs.values()
    assert start == pytest.approx(plain_start, rel=1e-5)
    assert plain_early > 3 and early < 0.7 * plain_early
    assert late > 0.8 * plain_late


def _response_log_probs(model, batch):
    """log p of each scored label, and its 1-based position in its response."""
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    targets = batch["labels"][:, 1:]
    scored = targets != -100
    log_probs = logits[:, :-1].log_softmax(-1).gather(-1, targets.clamp(min=0).unsqueeze(-1))
    return log_probs.squeeze(-1)[scored], response_positions(batch["labels"])


def test_a_separate_reference_must_be_loadable(tiny_dir, tmp_path):
    check_reference(str(tiny_dir))  # a model folder
    (tmp_path / "empty").mkdir()
    for bad, why in [
        (str(tmp_path / "empty"), "not a model folder"),
        ("openai:m@http://localhost:1/v1", "no token probabilities"),
        ("nobody/no-such-model-here", "local Hugging Face cache"),
    ]:
        with pytest.raises(UserError, match=why):
            check_reference(bad)


def test_examples_without_a_prefix_tokenize_as_trl_tokenizes_them(tiny_dir, tmp_path):
    s = tiny_settings(tiny_dir)
    model, tok = load_tiny(tiny_dir)
    trainer, _ = build_trainer(s, model, tok, "cpu", EXAMPLES, tmp_path, **QUIET)
    ours = tokenized_records(EXAMPLES, "native", tok, s.max_length)
    theirs = trainer.train_dataset
    assert [r["input_ids"] for r in ours] == theirs["input_ids"]
    assert [r["labels"] for r in ours] == theirs["labels"]
    assert all(-100 in r["labels"] and r["labels"][-1] != -100 for r in ours)
    assert to_trainer_record(EXAMPLES[0], "native")["prompt"][0]["role"] == "user"


def test_a_prefix_is_in_the_answer_and_out_of_the_loss(tiny_dir, tmp_path):
    s = tiny_settings(tiny_dir, max_length=128)
    model, tok = load_tiny(tiny_dir)
    refusal = "I won't help with that."
    recovery = {"id": "r", "prompt": "Do it.", "prefix": "Sure, step one is", "response": refusal}
    plain = {"id": "p", "prompt": "Do it.", "response": refusal}
    rec, pl = tokenized_records([recovery, plain], "native", tok, s.max_length)
    scored = tok.decode([t for t in rec["labels"] if t != -100])
    assert scored.lstrip().startswith(refusal) and "step one" not in scored  # " I": one token
    assert "Sure, step one is " + refusal in tok.decode(rec["input_ids"])
    assert tok.decode([t for t in pl["labels"] if t != -100]) == scored.lstrip()
    trainer, trained = build_trainer(s, model, tok, "cpu", [recovery, plain], tmp_path, **QUIET)
    assert trained == 2 and trainer.train_dataset["labels"][0] == rec["labels"]
    with pytest.raises(UserError, match="native"):
        tokenized_records([recovery], "alpaca", tok, s.max_length)
    # an example whose untrained part fills max_length is left out
    long = {**recovery, "prefix": "word " * 200}
    assert tokenized_records([long, plain], "native", tok, 64) == [pl]


def test_packed_rows_and_a_separate_reference_give_the_same_constrained_loss(varied_dir, tmp_path):
    """The CPU run packs each batch into one row: the positions in the responses and the
    reference's log-probabilities must follow. A reference loaded on its own (here the same base)
    must give what the base with the adapter off gives."""
    from safetygap.finetune import cpu
    from safetygap.finetune.trainer import load_reference

    s = tiny_settings(varied_dir, constraint="first-tokens")
    model, tok = load_tiny(varied_dir)
    trainer, _ = build_trainer(s, model, tok, "cpu", EXAMPLES, tmp_path, **QUIET)
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in trainer.model.named_parameters():
            if "lora_B" in name:
                p.normal_(std=0.3)  # the model is no longer its reference
    batch = first_batch(trainer)
    with torch.no_grad():
        padded = trainer.compute_loss(trainer.model, batch)
        assert cpu.use_segment_attention(trainer.model.get_base_model())
        packed = trainer.compute_loss(trainer.model, batch)
        trainer.reference = load_reference(str(varied_dir), model, "cpu", log=lambda *_: None)
        cpu.use_segment_attention(trainer.reference)
        separate = trainer.compute_loss(trainer.model, batch)
        trainer.constraint = None
        plain = trainer.compute_loss(trainer.model, batch)
    assert torch.allclose(padded, packed, atol=1e-5)
    assert torch.allclose(separate, packed, atol=1e-5)
    assert not torch.allclose(plain, packed, atol=1e-3)  # the weights are not all 1


def test_pact_s_kl_is_zero_where_the_model_matches_the_reweighted_reference():
    from safetygap.finetune.constraints import SafetyTokens

    torch.manual_seed(0)
    rows = torch.randn(4, 30).log_softmax(-1)
    even = SafetyTokens(ids=[2, 5, 7, 11], weights=[1.0, 1.0, 1.0, 1.0])
    assert torch.allclose(even.kl(rows, rows), torch.zeros(4), atol=1e-6)
    other = torch.randn(4, 30).log_softmax(-1)
    assert (even.kl(other, rows) > 0).all()
    # the tokens outside the set are free: moving them changes nothing
    moved = rows.clone()
    moved[:, 0] += 3.0
    assert torch.allclose(even.kl(moved.log_softmax(-1), rows), torch.zeros(4), atol=1e-5)
    # a token weighted 0 takes no mass in q: the model is pulled off it
    skewed = SafetyTokens(ids=[2, 5, 7, 11], weights=[1.0, 1.0, 1.0, 0.0])
    assert (skewed.kl(rows, rows) > 0).all()
    targets = torch.tensor([1, 2, 3, 4])
    nll = -rows.gather(-1, targets.unsqueeze(-1)).sum()
    total = skewed.loss_sum(rows, targets, rows, torch.tensor([1, 2, 3, 4]))
    assert torch.allclose(total, nll + skewed.kl(rows, rows).sum())


def test_pact_finds_the_tokens_where_the_aligned_model_departs_and_holds_them(
    varied_dir, tiny_dir, tmp_path
):
    """The safety tokens of one tiny model against another; then a fine-tune with PACT moves
    towards the reference's reweighted distribution over them (the KL it adds falls from where
    it starts), where the plain fine-tune moves away; both learn the task (here PACT a little
    less: its KL is large against this tiny model's cross-entropy)."""
    from safetygap.finetune.constraints import SafetyTokens, reference_log_probs

    held = {}
    for constraint in ("none", "safety-tokens"):
        extra = {"unaligned": str(tiny_dir)} if constraint != "none" else {}
        s = tiny_settings(varied_dir, constraint=constraint, lr=1e-2, max_steps=30, **extra)
        model, tok = load_tiny(varied_dir)
        out = tmp_path / constraint
        trainer, _ = build_trainer(s, model, tok, "cpu", EXAMPLES, out, **QUIET)
        if constraint != "none":
            tokens = json.loads((out / "safety_tokens.json").read_text())
            assert len(tokens["ids"]) == tokens["top"] == 50 and tokens["n_refusals"] == 160
            assert min(tokens["weights"]) == 0 < max(tokens["weights"])
            probe = SafetyTokens(ids=tokens["ids"], weights=tokens["weights"])
        batch = first_batch(trainer)
        trainer.train()
        mask = batch["labels"][:, 1:] != -100
        inputs = {k: batch[k] for k in ("input_ids", "attention_mask")}
        with torch.no_grad():
            ref = reference_log_probs(trainer.model, None, inputs, mask)
            logits = trainer.model(**inputs).logits[:, :-1][mask].float()
        own = logits.log_softmax(-1)
        targets = batch["labels"][:, 1:][mask]
        learnt = (own - ref).gather(-1, targets.unsqueeze(-1)).mean().item()
        held[constraint] = (own, ref, learnt)
    drift = {c: probe.kl(own, ref).mean().item() for c, (own, ref, _) in held.items()}
    start = probe.kl(ref, ref).mean().item()  # at step 0 the model is its reference
    assert drift["safety-tokens"] < 0.8 * start and drift["none"] > 0.9 * start
    assert held["safety-tokens"][2] > 1 and held["none"][2] > 1  # both learn the task
