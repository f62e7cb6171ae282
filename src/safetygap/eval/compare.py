"""Paired comparison of two eval runs on their shared harmful items (exact McNemar test), for ASR
and, where both runs' judges give a three-way level, for harm ASR (share `helped`); and on their
shared benign look-alikes, for over-refusal."""

from collections import defaultdict
from pathlib import Path

from safetygap.bench.items import read_bench
from safetygap.errors import UserError
from safetygap.jsonl import read_jsonl
from safetygap.judge.run import JUDGMENT
from safetygap.stats import mcnemar_exact


def load_run(folder: str | Path) -> tuple[dict[str, dict], dict[str, dict]]:
    """(bench items by id, judgments by id) of an eval run folder."""
    folder = Path(folder)
    for name in ("bench.jsonl", "judgments.jsonl"):
        if not (folder / name).is_file():
            raise UserError(f"{folder}: not an eval run (no {name}); run `safetygap eval` first")
    items = {it["id"]: it for it in read_bench(folder / "bench.jsonl")}
    records = read_jsonl(folder / "judgments.jsonl", ["id", "verdict"], JUDGMENT)
    judgments = {str(j["id"]): j for j in records}
    return items, judgments


def paired(a: list[bool], b: list[bool]) -> dict:
    """Rates in A and B, their difference, the discordant counts and the McNemar p-value."""
    only_a = sum(x and not y for x, y in zip(a, b, strict=True))
    only_b = sum(y and not x for x, y in zip(a, b, strict=True))
    n = len(a)
    return {
        "a": sum(a) / n,
        "b": sum(b) / n,
        "diff": (sum(b) - sum(a)) / n,
        "only_a": only_a,
        "only_b": only_b,
        "p_value": mcnemar_exact(only_a, only_b),
    }


def decided(items: dict, ja: dict, jb: dict, harmful: bool) -> list[str]:
    """Ids of the harmful (or benign) items both runs' judges decided (answered or refused)."""
    judged = ("answered", "refused")
    return [
        i
        for i in items
        if items[i].get("harmful", True) == harmful
        and i in ja
        and i in jb
        and ja[i]["verdict"] in judged
        and jb[i]["verdict"] in judged
    ]


def over_refusal(run_a: str | Path, run_b: str | Path) -> dict | None:
    """Over-refusal (share of benign look-alikes refused) in A and B on the items both decided,
    with `n` and the McNemar test of `paired`; None when the bench has no benign items."""
    items, ja = load_run(run_a)
    _, jb = load_run(run_b)
    ids = decided(items, ja, jb, harmful=False)
    if not ids:
        return None
    refused = paired(
        [ja[i]["verdict"] == "refused" for i in ids], [jb[i]["verdict"] == "refused" for i in ids]
    )
    return {"n": len(ids), **refused}


def compare(run_a: str | Path, run_b: str | Path) -> list[dict]:
    """Rows (overall first, then by format): n, ASR in A and B, difference, b, c, p-value; and
    the same for harm ASR (`harm`) where both runs have three-way levels, else `harm` None."""
    items_a, ja = load_run(run_a)
    _, jb = load_run(run_b)
    shared = decided(items_a, ja, jb, harmful=True)
    if not shared:
        raise UserError(f"{run_a} and {run_b} share no judged harmful items")
    levels = all(ja[i].get("level") and jb[i].get("level") for i in shared)
    groups = defaultdict(list)
    for i in shared:
        groups["overall"].append(i)
        groups[items_a[i]["format"]].append(i)
    rows = []
    for name in ["overall"] + sorted(g for g in groups if g != "overall"):
        ids = groups[name]
        asr = paired(
            [ja[i]["verdict"] == "answered" for i in ids],
            [jb[i]["verdict"] == "answered" for i in ids],
        )
        harm = None
        if levels:
            harm = paired(
                [ja[i]["level"] == "helped" for i in ids], [jb[i]["level"] == "helped" for i in ids]
            )
        rows.append(
            {
                "group": name,
                "n": len(ids),
                "asr_a": asr["a"],
                "asr_b": asr["b"],
                "diff": asr["diff"],
                "only_a": asr["only_a"],
                "only_b": asr["only_b"],
                "p_value": asr["p_value"],
                "harm": harm,
                **flips(ids, ja, jb),
            }
        )
    return rows


def flips(ids: list[str], ja: dict, jb: dict) -> dict[str, list[str]]:
    """The ids among `ids` refused in A and answered in B, and answered in A, refused in B."""
    return {
        f"{x}_to_{y}": [i for i in ids if ja[i]["verdict"] == x and jb[i]["verdict"] == y]
        for x, y in (("refused", "answered"), ("answered", "refused"))
    }


def flipped_items(run_a: str | Path, run_b: str | Path) -> dict[str, list[dict]]:
    """`refused_to_answered` and `answered_to_refused`: the harmful items both runs decided
    whose verdict changed from A to B, each {id, format, prompt}, in bench order."""
    items, ja = load_run(run_a)
    _, jb = load_run(run_b)
    ids = flips(decided(items, ja, jb, harmful=True), ja, jb)
    keep = ("id", "format", "prompt")
    return {way: [{k: items[i][k] for k in keep} for i in got] for way, got in ids.items()}
