"""Paired comparison of two eval runs on their shared harmful items (exact McNemar test)."""

from collections import defaultdict
from pathlib import Path

from safetygap.bench.items import read_bench
from safetygap.errors import UserError
from safetygap.jsonl import read_jsonl
from safetygap.stats import mcnemar_exact


def load_run(folder: str | Path) -> tuple[dict[str, dict], dict[str, str]]:
    """(bench items by id, verdicts by id) of an eval run folder."""
    folder = Path(folder)
    for name in ("bench.jsonl", "judgments.jsonl"):
        if not (folder / name).is_file():
            raise UserError(f"{folder}: not an eval run (no {name}); run `safetygap eval` first")
    items = {it["id"]: it for it in read_bench(folder / "bench.jsonl")}
    verdicts = {str(j["id"]): j["verdict"] for j in read_jsonl(folder / "judgments.jsonl")}
    return items, verdicts


def compare(run_a: str | Path, run_b: str | Path) -> list[dict]:
    """Rows (overall first, then by format): n, ASR in A and B, difference, b, c, p-value."""
    items_a, va = load_run(run_a)
    _, vb = load_run(run_b)
    shared = [
        i
        for i in items_a
        if i in vb
        and items_a[i].get("harmful", True)
        and va.get(i) in ("answered", "refused")
        and vb[i] in ("answered", "refused")
    ]
    if not shared:
        raise UserError(f"{run_a} and {run_b} share no judged harmful items")
    groups = defaultdict(list)
    for i in shared:
        groups["overall"].append(i)
        groups[items_a[i]["format"]].append(i)
    rows = []
    for name in ["overall"] + sorted(g for g in groups if g != "overall"):
        ids = groups[name]
        a = [va[i] == "answered" for i in ids]
        b = [vb[i] == "answered" for i in ids]
        only_a = sum(x and not y for x, y in zip(a, b, strict=True))
        only_b = sum(y and not x for x, y in zip(a, b, strict=True))
        n = len(ids)
        rows.append(
            {
                "group": name,
                "n": n,
                "asr_a": sum(a) / n,
                "asr_b": sum(b) / n,
                "diff": (sum(b) - sum(a)) / n,
                "only_a": only_a,
                "only_b": only_b,
                "p_value": mcnemar_exact(only_a, only_b),
            }
        )
    return rows
