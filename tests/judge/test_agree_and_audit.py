import csv
import json
import warnings

import pytest

from safetygap.judge.agree import confusion, gold_scores
from tests.helpers import run_cli


def write_responses(path):
    rows = [
        ("1", "I'm sorry, I can't help with that.", "refused"),
        ("2", "Sure, here is the text you asked for.", "answered"),
        ("3", "As an AI, here is how: first, gather the materials.", "answered"),
        ("4", "No.", "refused"),
    ]
    path.write_text(
        "".join(
            json.dumps({"id": i, "prompt": "Do the thing.", "response": r}) + "\n"
            for i, r, _ in rows
        )
    )
    return {i: g for i, _, g in rows}


def test_agree_against_gold(tmp_path, capsys):
    gold = write_responses(tmp_path / "responses.jsonl")
    (tmp_path / "gold.jsonl").write_text(
        "".join(json.dumps({"id": i, "verdict": v}) + "\n" for i, v in gold.items())
    )
    code, stdout, _ = run_cli(
        [
            "judge",
            "agree",
            tmp_path,
            "--judges",
            "keyword",
            "--gold",
            tmp_path / "gold.jsonl",
            "--out",
            tmp_path / "agree.json",
        ],
        capsys,
    )
    assert code == 0
    report = json.loads((tmp_path / "agree.json").read_text())
    s = report["gold"]["keyword"]
    # keyword misses "No." (answered) and is fooled by "As an AI, here is how" (refused).
    assert s["accuracy"] == 0.5 and s["precision"] == 0.5 and s["recall"] == 0.5
    assert (tmp_path / "judgments.keyword.jsonl").exists()


def test_agree_needs_two_judges(tmp_path, capsys):
    write_responses(tmp_path / "responses.jsonl")
    code, _, err = run_cli(["judge", "agree", tmp_path, "--judges", "keyword"], capsys)
    assert code == 2 and "at least two judges" in err


def test_judge_run_cli(tmp_path, capsys):
    write_responses(tmp_path / "r.jsonl")
    code, stdout, _ = run_cli(
        [
            "judge",
            "run",
            "--judge",
            "keyword",
            "--responses",
            tmp_path / "r.jsonl",
            "--out",
            tmp_path / "j.jsonl",
        ],
        capsys,
    )
    assert code == 0 and "4 judgments (4 new)" in stdout
    recs = [json.loads(x) for x in (tmp_path / "j.jsonl").read_text().splitlines()]
    assert [r["verdict"] for r in recs] == ["refused", "answered", "refused", "answered"]
    assert all(r["judge"] == "keyword" for r in recs)


def test_audit_flags_compliant_refusals(tmp_path, capsys):
    path = tmp_path / "paper.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Query", "Response"])
        w.writerow(["Translate this request.", "I'm sorry, I cannot translate that."])
        w.writerow(["Write the program.", "Sure! def run():\n    return 42"])
    code, stdout, _ = run_cli(
        ["data", "audit", path, "--judges", "keyword", "--out", tmp_path / "audit.json"], capsys
    )
    assert code == 0 and "flagged (answered by all 1 judges): 1" in stdout
    report = json.loads((tmp_path / "audit.json").read_text())
    assert report["n"] == 2 and len(report["flagged"]) == 1


def test_audit_missing_column(tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_text("Question,Answer\nq,a\n")
    code, _, err = run_cli(["data", "audit", path], capsys)
    assert code == 2 and "no column" in err


def gold_run(tp, fp, fn, tn, unparsed_answered=0, unparsed_refused=0):
    """(pred, gold) with the given counts; unparsed_* are gold items the judge did not parse."""
    pred = ["answered"] * tp + ["refused"] * fn + ["answered"] * fp + ["refused"] * tn
    gold = ["answered"] * (tp + fn) + ["refused"] * (fp + tn)
    pred += ["unparsed"] * (unparsed_answered + unparsed_refused)
    gold += ["answered"] * unparsed_answered + ["refused"] * unparsed_refused
    return pred, gold


@pytest.mark.parametrize(
    "counts, printed",
    [
        # README, "How good are the judges?": 1080 gold responses (927 answered, 153 refused);
        # n, accuracy, precision, recall, F1, unparsed as printed there. The confusion counts
        # (tp, fp, fn, tn) are the only ones that round to the printed figures.
        ((894, 12, 33, 141), "1080 0.958 0.987 0.964 0.975 0"),  # keyword
        ((905, 11, 22, 142), "1080 0.969 0.988 0.976 0.982 0"),  # classifier
        # the 135M rubric judge: 130 parsed replies, all "answered"; 950 unparsed
        ((127, 3, 0, 0, 800, 150), "1080 0.118 0.977 0.137 0.240 950"),  # llm
    ],
)
def test_gold_scores_reproduce_readme(counts, printed):
    pred, gold = gold_run(*counts)
    assert (gold.count("answered"), gold.count("refused")) == (927, 153)
    s = gold_scores(pred, gold)
    got = " ".join(
        [str(s["n"])]
        + [f"{s[k]:.3f}" for k in ("accuracy", "precision", "recall", "f1")]
        + [str(s["unparsed"])]
    )
    assert got == printed


def test_gold_scores_semantics():
    # unparsed is wrong: it is neither a true positive nor a correct refusal
    s = gold_scores(
        ["answered", "unparsed", "unparsed", "refused"], ["answered"] * 2 + ["refused"] * 2
    )
    assert s == {
        "n": 4,
        "accuracy": 0.5,
        "accuracy_ci": [pytest.approx(0.15003, abs=1e-4), pytest.approx(0.84997, abs=1e-4)],
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "unparsed": 2,
    }
    # nothing predicted answered: precision, recall and F1 are 0, not an error or a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = gold_scores(["unparsed", "refused"], ["answered", "refused"])
        assert (s["accuracy"], s["precision"], s["recall"], s["f1"]) == (0.5, 0.0, 0.0, 0.0)
        s = gold_scores(["refused"] * 3, ["refused"] * 3)
    assert (s["accuracy"], s["precision"], s["recall"], s["f1"]) == (1.0, 0.0, 0.0, 0.0)


def test_confusion_counts_every_label_pair():
    a = ["answered", "answered", "refused", "unparsed", "refused"]
    b = ["answered", "refused", "refused", "answered", "unparsed"]
    m = confusion(a, b)
    assert m["answered"] == {"answered": 1, "refused": 1, "unparsed": 0}
    assert m["refused"] == {"answered": 0, "refused": 1, "unparsed": 1}
    assert m["unparsed"] == {"answered": 1, "refused": 0, "unparsed": 0}
    assert all(isinstance(v, int) for row in m.values() for v in row.values())
    assert sum(sum(row.values()) for row in m.values()) == len(a)
