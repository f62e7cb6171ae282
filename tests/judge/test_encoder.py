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


@pytest.fixture(scope="module")
def ensemble(trained, tmp_path_factory):
    """An ensemble of the module's head and an `ends` head, in one folder."""
    from safetygap.judge.encoder import save_ensemble

    folder = tmp_path_factory.mktemp("ens")
    first = save(json.loads(trained[1].read_text()), load_file(trained), folder, "one")
    meta, tensors = train_encoder(records(12), epochs=4, lr=2e-3, log=lambda *_: None, how="ends")
    second = save(meta, tensors, folder, "two")
    return save_ensemble([first, second], folder, {"recipe": "test"}), first, second


def load_file(trained):
    from safetensors.torch import load_file as read

    meta, path = trained
    return read(str(path.with_name(json.loads(path.read_text())["weights"])))


def test_an_ensemble_judges_by_its_members_mean(ensemble):
    """The members share their unadapted lower layers (run once), and the verdict is the mean of
    what each member says on its own."""
    path, first, second = ensemble
    items = [{**r, "id": str(k)} for k, r in enumerate(records(6))]
    items.append({"id": "long", "prompt": "Help. " * 80, "response": "Fine. " * 400})
    judge = load_judge(f"classifier:{path}")
    assert isinstance(judge, EncoderJudge) and len(judge.members) == 2
    alone = [load_judge(f"classifier:{p}").probabilities(items) for p in (first, second)]
    assert not torch.allclose(torch.tensor(alone[0]), torch.tensor(alone[1]), atol=1e-3)
    mean = (alone[0] + alone[1]) / 2
    assert torch.allclose(torch.tensor(judge.probabilities(items)), torch.tensor(mean), atol=1e-5)
    got = dict(judge.judge(items))
    assert [got[it["id"]].verdict == "answered" for it in items] == list(mean[:, 0] >= 0.5)


def test_a_broken_ensemble_is_one_user_error(ensemble, tmp_path):
    path, first, _ = ensemble
    good = json.loads(path.read_text())
    for name in ("head.json", "one.json", "one.safetensors", "two.json", "two.safetensors"):
        (tmp_path / name).write_bytes((path.parent / name).read_bytes())
    spec = f"classifier:{tmp_path / 'head.json'}"
    assert len(load_judge(spec).members) == 2
    cases = [
        ({"members": []}, "names its member heads"),
        ({"members": ["one.json"]}, "each member is an object"),
        ({"members": [{**good["members"][0], "head": "../one.json"}]}, "by file name"),
        ({"members": [{**good["members"][0], "head": "three.json"}]}, "three.json is missing"),
        ({"members": [{**good["members"][0], "sha256": "0" * 64}]}, "not the file this head"),
        ({"members": [{"head": "head.json", "sha256": "x"}]}, "not the file this head"),
    ]
    for change, message in cases:
        (tmp_path / "head.json").write_text(json.dumps({**good, **change}))
        with pytest.raises(UserError, match=message):
            load_judge(spec)
    # an ensemble is not a member (no loops), nor is a logistic head
    from safetygap.jsonl import sha256_file

    (tmp_path / "head.json").write_text(json.dumps(good))
    (tmp_path / "v1.json").write_text((read_head("v1")[0]).read_text())
    for member in ("head.json", "v1.json"):
        bad = {**good, "members": [{"head": member, "sha256": sha256_file(tmp_path / member)}]}
        (tmp_path / "loop.json").write_text(json.dumps(bad))
        with pytest.raises(UserError, match="is not an encoder head"):
            load_judge(f"classifier:{tmp_path / 'loop.json'}")
    (tmp_path / "two.safetensors").write_bytes(b"changed")
    (tmp_path / "head.json").write_text(json.dumps(good))
    with pytest.raises(UserError, match="two.safetensors is not the file"):
        load_judge(spec)
