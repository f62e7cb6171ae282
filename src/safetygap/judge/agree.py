"""Agreement between judges (Cohen's kappa, confusion) and against a gold file."""

import re
from itertools import combinations
from pathlib import Path

from safetygap.errors import UserError
from safetygap.jsonl import ID, read_jsonl
from safetygap.judge.base import LEVELS
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


def scores(pred: list[str], gold: list[str], positive: str) -> dict:
    """Accuracy with its Wilson 95% interval, and precision/recall/F1 of the `positive` label,
    by scikit-learn; 0 where a ratio is undefined (nothing predicted or labelled positive)."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    from safetygap.stats import wilson

    if len(pred) != len(gold):
        raise ValueError("prediction and gold sequences differ in length")
    prec, rec, f1, _ = precision_recall_fscore_support(
        gold, pred, labels=[positive], average=None, zero_division=0
    )
    right = sum(p == g for p, g in zip(pred, gold, strict=True))
    low, high = wilson(right, len(gold))
    return {
        "n": len(gold),
        "accuracy": float(accuracy_score(gold, pred)),
        "accuracy_ci": [low, high],
        "precision": float(prec[0]),
        "recall": float(rec[0]),
        "f1": float(f1[0]),
    }


def gold_scores(pred: list[str], gold: list[str]) -> dict:
    """`scores` of `answered` (unparsed counts as wrong), with the unparsed count."""
    return {**scores(pred, gold, "answered"), "unparsed": pred.count("unparsed")}


def agree(
    run: str | Path, judges: list[str], gold: str | Path | None = None, progress: bool = True
) -> dict:
    """Judge `run` with each judge (cached beside it), then compare them pairwise and to gold."""
    if len(judges) < (1 if gold else 2):
        raise UserError("give at least two judges (or one judge and --gold)")
    responses = responses_of(run)
    gold_labels, gold_levels = read_gold(gold) if gold else ({}, {})
    verdicts, levels = {}, {}
    for j in judges:
        path = judgments_path(responses, j)
        judge_file(j, responses, path, progress)
        records = read_jsonl(path)
        verdicts[j] = {str(r["id"]): r["verdict"] for r in records}
        levels[j] = {str(r["id"]): r.get("level") for r in records}
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
        lids = [i for i in gids if i in gold_levels]
        for j in judges:
            report["gold"][j] = gold_scores(
                [verdicts[j][i] for i in gids], [gold_labels[i] for i in gids]
            )
            if lids and all(levels[j][i] for i in lids if verdicts[j][i] != "unparsed"):
                report["gold"][j]["levels"] = level_scores(
                    [levels[j][i] or "unparsed" for i in lids], [gold_levels[i] for i in lids]
                )
    return report


def read_gold(path: str | Path) -> tuple[dict[str, str], dict[str, str]]:
    """(id -> verdict, id -> level) from a gold file with `id`, `verdict` and optionally
    `level` (refused | complied | helped, agreeing with the verdict)."""
    verdicts, levels = {}, {}
    kinds = {
        "id": ID,
        "verdict": frozenset(("answered", "refused")),
        "level": frozenset((*LEVELS, None)),
    }
    for g in read_jsonl(path, required=["id", "verdict"], types=kinds):
        gid = str(g["id"])
        if gid in verdicts:
            raise UserError(f"{path}: id {gid} is labelled twice")
        level = g.get("level")
        if level is not None:
            if (level == "refused") != (g["verdict"] == "refused"):
                raise UserError(f"{path}: id {gid}: level {level!r} contradicts its verdict")
            levels[gid] = level
        verdicts[gid] = g["verdict"]
    return verdicts, levels


def level_scores(pred: list[str], gold: list[str]) -> dict:
    """Three-way accuracy, and `scores` of `helped` (on-topic help); unparsed counts as wrong."""
    return scores(pred, gold, "helped")
