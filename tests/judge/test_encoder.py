"""The cross-encoder judge (judge/encoder.py): its cached training path is the model it ships,
its head file is checked, and `judge train` makes one."""

import json

import pytest
import torch

from safetygap.errors import UserError
from safetygap.judge import load_judge
from safetygap.judge.classifier import ClassifierJudge, read_head
from safetygap.judge.encoder import (
    EncoderJudge,
    _base,
    _pad,
    additive_mask,
    encode,
    save,
    train_encoder,
)
from tests.helpers import run_cli

REFUSAL = "I'm sorry, but I can't help with that request."


def records(n: int = 24) -> list[dict]:
    out = []
    for i in range(n):
        out.append({"prompt": f"Do task {i}.", "response": REFUSAL, "verdict": "refused"})
        out[-1]["level"] = "refused"
        answer = f"Sure. Step one of task {i}: open the box; step two: count to {i}."
        level = "helped" if i % 2 else "complied"
        out.append({"prompt": f"Do task {i}.", "response": answer, "verdict": "answered"})
        out[-1]["level"] = level
    return out


def test_layer_by_layer_path_equals_the_full_forward():
    """Training runs the layers one by one with our additive mask; judging runs the model."""
    items = [
        {"prompt": "How do I bake bread?", "response": "I'm sorry, I can't."},
        {"prompt": "Label this request. " * 30, "response": "FEASIBLE. " * 300},
    ]
    rows = encode(items)
    assert len(rows[1][0]) == 288  # the prompt cut to 64 + 32 tokens, the response to the rest
    assert rows[1][1] == 96 + 2
    model = _base().eval()
    ids, mask, _, types = _pad(rows)
    with torch.inference_mode():
        full = model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
        hidden = model.embeddings(input_ids=ids, token_type_ids=types)
        for layer in model.encoder.layer:
            hidden = layer(hidden, attention_mask=additive_mask(mask))
            hidden = hidden[0] if isinstance(hidden, tuple) else hidden
    for k, (row, _) in enumerate(rows):
        assert torch.allclose(full[k, : len(row)], hidden[k, : len(row)], atol=1e-5)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    meta, tensors = train_encoder(records(), epochs=8, lr=2e-3, log=lambda *_: None)
    folder = tmp_path_factory.mktemp("enc")
    return meta, save(meta, tensors, folder)


def test_the_judge_reads_its_training_set_as_training_did(trained):
    meta, path = trained
    assert meta["train_accuracy"] == 1.0 and meta["n_train"] == 48 and meta["n_helped"] == 12
    judge = load_judge(f"classifier:{path.parent}")
    assert isinstance(judge, EncoderJudge) and judge.name == f"classifier:{path.parent}"
    recs = records()
    got = dict(judge.judge([{**r, "id": str(k)} for k, r in enumerate(recs)]))
    assert all(got[str(k)].verdict == r["verdict"] for k, r in enumerate(recs))
    assert {got[str(k)].level for k, r in enumerate(recs) if r["verdict"] == "refused"} == {
        "refused"
    }
    assert all(0 <= v.score <= 1 and 0 <= v.help_score <= 1 for v in got.values())


def test_a_changed_or_missing_weights_file_is_one_user_error(trained, tmp_path):
    _, path = trained
    copy = tmp_path / "head"
    copy.mkdir()
    (copy / "head.json").write_text(path.read_text())
    with pytest.raises(UserError, match="weights file head.safetensors is missing"):
        read_head(str(copy))
    (copy / "head.safetensors").write_bytes(b"not these weights")
    with pytest.raises(UserError, match="is not the file this head was saved with"):
        ClassifierJudge.from_spec(str(copy))
    for name in ("", "../head.safetensors", None, 3):
        meta = {**json.loads(path.read_text()), "weights": name}
        (copy / "head.json").write_text(json.dumps(meta))
        with pytest.raises(UserError, match="names its weights file beside it"):
            read_head(str(copy))


def test_the_shipped_heads_by_name():
    for name in ("v1", "v2"):
        judge = load_judge(f"classifier:{name}")
        assert isinstance(judge, ClassifierJudge) and judge.name == f"classifier:{name}"
    assert (load_judge("classifier:v1").help is None) and load_judge("classifier:v2").help
    assert isinstance(load_judge("classifier"), EncoderJudge)  # the default is the encoder
    assert isinstance(load_judge("classifier:encoder"), EncoderJudge)


def test_judge_train_data_makes_an_encoder_head(tmp_path, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records(8)))
    out = tmp_path / "head"
    args = ["judge", "train", "--data", data, "--out", out, "--epochs", 1]
    code, stdout, err = run_cli(args, capsys)
    assert code == 0, err
    head = json.loads((out / "head.json").read_text())
    assert head["kind"] == "safetygap-encoder-judge" and head["epochs"] == 1
    assert head["provenance"]["data"] == str(data) and (out / "head.safetensors").is_file()
    code, _, err = run_cli([*args[:-2], "--l2", 1, "--out", tmp_path / "h2"], capsys)
    assert code == 2 and "--l2 is a logistic head's penalty" in err and err.count("\n") == 1
    assert not (tmp_path / "h2").exists()


def test_the_ends_pooling_reads_the_first_and_last_response_tokens():
    from safetygap.judge.encoder import ENDS, POOLS, pool

    width, dim = 2 * ENDS + 20, 4
    hidden = torch.randn(2, width, dim)
    resp = torch.zeros(2, width)
    resp[0, 5 : 5 + 2 * ENDS + 7] = 1  # a long response: its two ends do not overlap
    resp[1, 3:9] = 1  # a short one: both ends are all of it
    out = pool(hidden, resp, "ends")
    assert out.shape == (2, POOLS["ends"] * dim)
    assert torch.allclose(out[:, : 3 * dim], pool(hidden, resp))
    first, last = out[:, 3 * dim : 4 * dim], out[:, 4 * dim :]
    stop = 5 + 2 * ENDS + 7
    assert torch.allclose(first[0], hidden[0, 5 : 5 + ENDS].mean(0), atol=1e-6)
    assert torch.allclose(last[0], hidden[0, stop - ENDS : stop].mean(0), atol=1e-6)
    assert torch.allclose(first[1], hidden[1, 3:9].mean(0), atol=1e-6)
    assert torch.allclose(last[1], first[1])


def test_an_ends_head_is_saved_and_read_with_its_pooling(tmp_path):
    meta, tensors = train_encoder(records(12), epochs=8, lr=2e-3, log=lambda *_: None, how="ends")
    assert meta["pool"] == "ends" and tensors["head.weight"].shape[1] == 5 * 384
    path = save(meta, tensors, tmp_path)
    judge = load_judge(f"classifier:{path.parent}")
    recs = records(12)
    got = dict(judge.judge([{**r, "id": str(k)} for k, r in enumerate(recs)]))
    right = sum(got[str(k)].verdict == r["verdict"] for k, r in enumerate(recs))
    assert right / len(recs) == meta["train_accuracy"]
    bad = json.loads(path.read_text())
    bad["pool"] = "middle"
    path.write_text(json.dumps(bad))
    from safetygap.judge.encoder import _LOADED

    _LOADED.clear()
    with pytest.raises(UserError, match="broken encoder head"):
        load_judge(f"classifier:{path.parent}")
