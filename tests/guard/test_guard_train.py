"""`guard train`: a classifier guard's head by the shipped heads' recipe (guard/train.py), on a
small train bench, that `classifier:DIR` loads and uses."""

import json

from safetygap.guard import load_guard
from safetygap.guard.ordinary import split
from safetygap.guard.train import GRID, select, training_items
from tests.helpers import run_cli, write_bench


def test_select_plain_or_every_format():
    items = [{"format": f} for f in ("plain", "code", "plain", "translation")]
    assert select(items, "plain") == [0, 2]
    assert select(items, "all-formats") == [0, 1, 2, 3]


def test_guard_train_writes_a_head_the_classifier_guard_uses(tmp_path, capsys):
    out = tmp_path / "head"
    args = ["guard", "train", "--formats", "plain", "--seeds", 10, "--benign", 4, "--out", out]
    code, stdout, err = run_cli(args, capsys)
    assert code == 0, err
    head = json.loads((out / "head.json").read_text())
    items, bench_sha = training_items(10, 4)
    plain = [items[i] for i in select(items, "plain")]
    n_ordinary = len(split("train"))
    assert head["n_train"] == len(plain) == 10 + 4 + n_ordinary
    assert head["n_harmful"] == 10 and len(head["weights"]) == 384
    prov = head["provenance"]
    assert prov["formats"] == "plain" and prov["bench_sha256"] == bench_sha
    cv = prov["cv_balanced_accuracy_by_l2"]
    assert list(cv) == [str(v) for v in GRID] and head["l2"] == float(max(cv, key=cv.get))
    assert f"l2 {head['l2']}" in stdout

    guard = load_guard(f"classifier:{out}")
    got = dict(guard.check(plain, "input"))
    right = sum((got[it["id"]].verdict == "flagged") == it["harmful"] for it in plain)
    assert right / len(plain) >= 0.9  # it learned its training items
    assert {v.verdict for v in got.values()} == {"flagged", "passed"}


def test_guard_train_with_a_fixed_penalty_skips_the_search(tmp_path, capsys):
    out = tmp_path / "all"
    args = ["guard", "train", "--formats", "all-formats", "--seeds", 5, "--benign", 1]
    code, _, err = run_cli([*args, "--l2", 0.5, "--out", out], capsys)
    assert code == 0, err
    head = json.loads((out / "head.json").read_text())
    assert head["l2"] == 0.5 and head["provenance"]["cv_balanced_accuracy_by_l2"] is None
    assert head["provenance"]["formats"] == "all" and head["n_harmful"] == 5 * 5  # 5 formats


def test_bad_guard_train_input_is_one_line_exit_2(tmp_path, capsys):
    out = tmp_path / "h"
    bench = write_bench(tmp_path / "b.jsonl")  # only --out is missing
    cases = [
        (["guard", "train", "--formats", "sideways", "--out", out], "unknown --formats"),
        (["guard", "train", "--out", out], "Missing option '--formats'"),
        (["guard", "--guard", "keyword", "train", "--formats", "plain", "--out", out], "--guard"),
        (["guard", "--guard", "keyword", "--bench", bench], "'--out'"),
    ]
    for args, message in cases:
        code, _, err = run_cli(args, capsys)
        assert code == 2 and message in err and err.count("\n") == 1, (args, err)
    assert not out.exists()
