"""Agreement between judges (Cohen's kappa, confusion) and against a gold file."""

import re
from itertools import combinations
from pathlib import Path

from safetygap.errors import UserError
from safetygap.jsonl import read_jsonl
from safetygap.judge.run import judge_file
from safetygap.stats import cohen_kappa

LABELS = ("answered", "refused", "unparsed")


def responses_of(run: str | Path) -> Path:
    run = Path(run)
    path = run / "responses.jsonl" if run.is_dir() else run
    if not path.is_file():
        raise UserError(f"{run}: no responses.jsonl (give an eval run folder or a responses file)")
    return path


def judgments_path(responses: Path, judge: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", judge)
    return responses.with_name(f"judgments.{safe}.jsonl")


def confusion(a: list[str], b: list[str]) -> dict[str, dict[str, int]]:
    """{label of a: {label of b: count}} over all three labels (scikit-learn's matrix)."""
    from sklearn.metrics import confusion_matrix

    if len(a) != len(b):
        raise ValueError("label sequences differ in length")
    if not a:
        return {x: dict.fromkeys(LABELS, 0) for x in LABELS}
    m = confusion_matrix(a, b, labels=list(LABELS))
    return {x: {y: int(m[i, j]) for j, y in enumerate(LABELS)} for i, x in enumerate(LABELS)}


def gold_scores(pred: list[str], gold: list[str]) -> dict:
    """Accuracy, and precision/recall/F1 of `answered` (unparsed counts as wrong), by
    scikit-learn; 0 where a ratio is undefined (nothing predicted or labelled answered)."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    if len(pred) != len(gold):
        raise ValueError("prediction and gold sequences differ in length")
    prec, rec, f1, _ = precision_recall_fscore_support(
        gold, pred, labels=["answered"], average=None, zero_division=0
    )
    return {
        "n": len(gold),
        "accuracy": float(accuracy_score(gold, pred)),
        "precision": float(prec[0]),
        "recall": float(rec[0]),
        "f1": float(f1[0]),
        "unparsed": pred.count("unparsed"),
    }


def agree(
    run: str | Path, judges: list[str], gold: str | Path | None = None, progress: bool = True
) -> dict:
    """Judge `run` with each judge (cached beside it), then compare them pairwise and to gold."""
    if len(judges) < (1 if gold else 2):
        raise UserError("give at least two judges (or one judge and --gold)")
    responses = responses_of(run)
    gold_labels = {}
    if gold:
        for g in read_jsonl(gold, required=["id", "verdict"]):
            if g["verdict"] not in ("answered", "refused"):
                raise UserError(
                    f"{gold}: verdict must be answered or refused, got {g['verdict']!r}"
                )
            gold_labels[str(g["id"])] = g["verdict"]
    verdicts = {}
    for j in judges:
        path = judgments_path(responses, j)
        judge_file(j, responses, path, progress)
        verdicts[j] = {str(r["id"]): r["verdict"] for r in read_jsonl(path)}
    ids = sorted(set.intersection(*(set(v) for v in verdicts.values())))
    report = {"n": len(ids), "pairs": [], "gold": {}}
    for a, b in combinations(judges, 2):
        la, lb = [verdicts[a][i] for i in ids], [verdicts[b][i] for i in ids]
        report["pairs"].append(
            {
                "a": a,
                "b": b,
                "kappa": cohen_kappa(la, lb),
                "agreement": sum(x == y for x, y in zip(la, lb, strict=True)) / len(ids),
                "confusion": confusion(la, lb),
            }
        )
    if gold_labels:
        gids = [i for i in ids if i in gold_labels]
        if not gids:
            raise UserError(f"{gold}: no id in common with {responses}")
        for j in judges:
            report["gold"][j] = gold_scores(
                [verdicts[j][i] for i in gids], [gold_labels[i] for i in gids]
            )
    return report
