"""Continuous batching (`generate.slots`) against transformers' own `generate`, and oneDNN's
linear against PyTorch's, on a tiny random Llama."""

from collections import Counter

import pytest

from safetygap.generate import slots
from safetygap.generate.base import Request, Sampling, load_backend
from safetygap.models.onednn import use_onednn

PROMPTS = [
    "Hi",
    "What is two plus two?",
    "Name a colour.",
    "Write one word.",
    "Say hello in French please, and then in Spanish, and then in German too.",
    "Count to three.",
    "Why is the sky blue? Answer in a sentence.",
    "List three fruits.",
    "Tell me a joke about cats and dogs.",
]
REQS = [Request(f"q{i}", p) for i, p in enumerate(PROMPTS)]


@pytest.fixture(scope="module")
def backend(varied_dir):
    """The tiny model's backend, with an end-of-turn token that some answers reach early and
    others never, so rows leave the batch at different steps."""
    b = load_backend(str(varied_dir))
    encoded = [(r.id, b.encode(r.prompt, None)) for r in REQS]
    seen = Counter()
    for _, ids, _ in slots.generate(b.lm, encoded, 20, 16, {-1}, b.pad_id):
        seen.update(set(ids[2:12]))  # tokens some answers produce mid-way
    half = len(REQS) // 2  # one that about half the answers reach
    b.eos_ids = {min(seen, key=lambda t: (abs(seen[t] - half), t))}
    return b


def answers(backend, continuous, batch_size, sampling):
    backend.continuous, backend.batch_size = continuous, batch_size
    return {c.id: c for c in backend.generate(REQS, sampling)}


@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_continuous_batching_equals_generate(backend, batch_size):
    s = Sampling(max_new_tokens=20)
    ref = answers(backend, False, 1, s)
    got = answers(backend, True, batch_size, s)
    assert {c.finish_reason for c in ref.values()} == {"stop", "length"}
    assert got.keys() == ref.keys()
    for rid, c in ref.items():
        assert (got[rid].response, got[rid].n_new_tokens, got[rid].finish_reason) == (
            c.response,
            c.n_new_tokens,
            c.finish_reason,
        )


def test_one_token_answers_and_a_prompt_longer_than_the_rest(backend):
    reqs = REQS + [Request("long", " ".join(["word"] * 120))]
    backend.continuous, backend.batch_size = True, 4
    out = {c.id: c for c in backend.generate(reqs, Sampling(max_new_tokens=1))}
    assert out.keys() == {r.id for r in reqs}
    assert all(c.n_new_tokens == 1 for c in out.values())
    backend.continuous = False
    ref = {c.id: c for c in backend.generate(reqs, Sampling(max_new_tokens=1))}
    assert {k: c.response for k, c in out.items()} == {k: c.response for k, c in ref.items()}


def test_sampling_draws_within_the_budget(backend):
    import torch

    s = Sampling(max_new_tokens=10, temperature=1.0)
    torch.manual_seed(3)
    a = answers(backend, True, 4, s)
    torch.manual_seed(3)
    b = answers(backend, True, 4, s)
    greedy = answers(backend, True, 4, Sampling(max_new_tokens=10))
    assert {k: c.response for k, c in a.items()} == {k: c.response for k, c in b.items()}
    assert any(a[k].response != greedy[k].response for k in a)
    assert all(1 <= c.n_new_tokens <= 10 for c in a.values())


def test_sliding_window_models_use_generate(tmp_path, smollm_dir):
    import torch
    from transformers import AutoTokenizer, MistralConfig, MistralForCausalLM

    tok = AutoTokenizer.from_pretrained(smollm_dir)
    cfg = MistralConfig(
        vocab_size=len(tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        sliding_window=8,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    torch.manual_seed(0)
    MistralForCausalLM(cfg).save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    b = load_backend(str(tmp_path), batch_size=4)
    assert not slots.supported(b.lm)
    assert not b.continuous
    out = list(b.generate(REQS[:3], Sampling(max_new_tokens=5)))
    assert sorted(c.id for c in out) == ["q0", "q1", "q2"]


def test_onednn_linear_gives_the_same_answers(varied_dir):
    import torch
    from transformers import AutoModelForCausalLM

    b = load_backend(str(varied_dir))  # loads with oneDNN
    plain = AutoModelForCausalLM.from_pretrained(str(varied_dir)).eval()
    n_linear = sum(type(m) is torch.nn.Linear for m in plain.modules())
    half = AutoModelForCausalLM.from_pretrained(str(varied_dir), dtype=torch.bfloat16)
    assert use_onednn(half) == 0  # fp32 only: bf16 is left alone
    fast = AutoModelForCausalLM.from_pretrained(str(varied_dir)).eval()
    assert use_onednn(fast) == n_linear > 0
    ids = torch.tensor([b.encode(p, None) for p in PROMPTS[:1]])
    with torch.inference_mode():
        ref, got = plain(ids).logits, fast(ids).logits
    assert torch.allclose(ref, got, atol=1e-4)
    assert fast.lm_head.forward.__func__ is not torch.nn.Linear.forward


def test_a_batch_stays_within_the_memory_share(backend, monkeypatch):
    s = Sampling(max_new_tokens=20)
    ref = answers(backend, False, 1, s)
    kv = slots._kv_bytes(backend.lm, backend.pad_id, backend.device)
    longest = max(len(backend.encode(r.prompt, None)) for r in REQS) + 20
    # room for two rows of the longest prompt's cache
    monkeypatch.setattr(slots, "_free_memory", lambda _: 2 * longest * kv / slots.MEMORY_SHARE)
    sizes = []
    rebuild = slots._Batch._rebuild

    def spy(self, new):
        done = rebuild(self, new)
        sizes.append(len(self.rows))
        return done

    monkeypatch.setattr(slots._Batch, "_rebuild", spy)
    got = answers(backend, True, 16, s)
    assert max(sizes) == 2 and len(sizes) >= len(REQS) // 2
    assert {k: c.response for k, c in got.items()} == {k: c.response for k, c in ref.items()}


def test_stale_memory_in_a_new_cache_is_never_read(backend, monkeypatch):
    """A rebuilt cache is not zero-filled: fill its fresh memory with NaN, and the answers must
    still be the reference ones (a NaN read anywhere, even masked, would spread)."""
    import torch

    s = Sampling(max_new_tokens=20)
    ref = answers(backend, False, 1, s)

    def poisoned(self, size, **kwargs):
        return torch.full(size, float("nan"), dtype=self.dtype, device=self.device)

    monkeypatch.setattr(torch.Tensor, "new_empty", poisoned)
    got = answers(backend, True, 3, s)
    assert {k: c.response for k, c in got.items()} == {k: c.response for k, c in ref.items()}


def _plain_and_fast(varied_dir, **kwargs):
    import torch
    from transformers import AutoModelForCausalLM

    plain = AutoModelForCausalLM.from_pretrained(str(varied_dir)).eval()
    fast = AutoModelForCausalLM.from_pretrained(str(varied_dir)).eval()
    n = use_onednn(fast, **kwargs)
    ids = torch.tensor([[5, 17, 99, 3, 250, 7]])
    with torch.inference_mode():
        return plain, fast, n, plain(ids).logits, fast(ids).logits


def test_layers_reading_one_input_are_fused_and_each_gets_its_own_slice(varied_dir):
    import torch

    plain, fast, n, ref, got = _plain_and_fast(varied_dir)
    assert n > 0 and torch.allclose(ref, got, atol=1e-4)
    attn, mlp = fast.model.layers[0].self_attn, fast.model.layers[0].mlp
    qkv = {id(m._onednn_fused[0]) for m in (attn.q_proj, attn.k_proj, attn.v_proj)}
    gate_up = {id(m._onednn_fused[0]) for m in (mlp.gate_proj, mlp.up_proj)}
    assert len(qkv) == len(gate_up) == 1 and qkv != gate_up  # one product each
    assert not hasattr(attn.o_proj, "_onednn_fused")  # it reads the attention's output: alone
    assert not hasattr(mlp.down_proj, "_onednn_fused")
    # any order, the same layer twice, a new input between: each answer is that layer's own
    base = plain.model.layers[0].self_attn
    x, y = torch.randn(2, 4, attn.q_proj.in_features), torch.randn(1, 3, attn.q_proj.in_features)
    with torch.inference_mode():
        for name, inp in [("v", x), ("v", x), ("q", x), ("k", y), ("k", x), ("q", y), ("v", y)]:
            want = getattr(base, f"{name}_proj")(inp)
            assert torch.allclose(getattr(attn, f"{name}_proj")(inp), want, atol=1e-5), name


def test_packing_and_fusing_can_be_turned_off_or_refused(varied_dir, monkeypatch):
    import torch

    from safetygap.models import onednn

    _, fast, n, ref, got = _plain_and_fast(varied_dir, pack=False)
    assert n > 0 and torch.allclose(ref, got, atol=1e-4)
    assert not any(hasattr(m, "_onednn_weight") for m in fast.modules())
    assert not any(hasattr(m, "_onednn_fused") for m in fast.modules())
    monkeypatch.setattr(onednn, "_free_ram", lambda: 0)  # no room for a packed copy
    _, fast, n, ref, got = _plain_and_fast(varied_dir)
    assert n > 0 and not any(hasattr(m, "_onednn_weight") for m in fast.modules())
    # a patch whose logits disagree with the model's own is taken back whole
    monkeypatch.undo()
    wrong = lambda self, i, x: torch.zeros(*x.shape[:-1], self.sizes[i])  # noqa: E731
    monkeypatch.setattr(onednn._Fused, "output", wrong)
    plain, fast, n, ref, got = _plain_and_fast(varied_dir)
    assert n == 0 and torch.equal(ref, got)
    assert all("forward" not in m.__dict__ for m in fast.modules())


def test_fused_layers_keep_their_biases():
    import copy

    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    cfg = Qwen2Config(
        vocab_size=300,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
    )
    torch.manual_seed(0)
    plain = Qwen2ForCausalLM(cfg).eval()
    with torch.no_grad():
        for m in plain.modules():
            if type(m) is torch.nn.Linear and m.bias is not None:
                m.bias.normal_()  # q/k/v have biases, created as zeros
    fast = copy.deepcopy(plain)
    assert use_onednn(fast) > 0
    attn = fast.model.layers[1].self_attn
    assert attn.q_proj._onednn_fused[0] is attn.v_proj._onednn_fused[0]
    ids = torch.tensor([[4, 8, 15, 16, 23, 42]])
    with torch.inference_mode():
        assert torch.allclose(plain(ids).logits, fast(ids).logits, atol=1e-4)
