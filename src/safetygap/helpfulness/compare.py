"""Paired comparison of two helpfulness runs on their shared items: exact McNemar tests for the
0/1 metrics (pass@1, accuracy), a paired bootstrap of the difference for the others."""

import json
from pathlib import Path

from safetygap.errors import UserError
from safetygap.eval.compare import paired
from safetygap.helpfulness.scorers import SCORERS
from safetygap.jsonl import read_jsonl
from safetygap.stats import paired_bootstrap


def is_helpfulness_run(folder: str | Path) -> bool:
    return Path(folder, "helpfulness.json").is_file()


def load(folder: str | Path) -> tuple[dict, dict[str, dict]]:
    folder = Path(folder)
    if not is_helpfulness_run(folder) or not (folder / "scores.jsonl").is_file():
        raise UserError(f"{folder}: not a finished helpfulness run (no helpfulness.json)")
    report = json.loads((folder / "helpfulness.json").read_text())
    return report, {str(s["id"]): s for s in read_jsonl(folder / "scores.jsonl")}


def compare(run_a: str | Path, run_b: str | Path) -> list[dict]:
    """One row per metric: n, A, B, B - A, its interval (bootstrap metrics), p-value, test."""
    report_a, a = load(run_a)
    report_b, b = load(run_b)
    if (report_a["task"], report_a["kind"]) != (report_b["task"], report_b["kind"]):
        raise UserError(
            f"{run_a} and {run_b} score different tasks ({report_a['task']} and {report_b['task']})"
        )
    rows = []
    for m in SCORERS.get(report_a["kind"]).METRICS:
        ids = [i for i in a if i in b and m.name in a[i]["stats"] and m.name in b[i]["stats"]]
        if not ids:
            raise UserError(f"{run_a} and {run_b} share no scored items")
        sa = [a[i]["stats"][m.name] for i in ids]
        sb = [b[i]["stats"][m.name] for i in ids]
        if m.proportion:
            p = paired([x[0] == 1 for x in sa], [x[0] == 1 for x in sb])
            row = {**p, "ci_low": None, "ci_high": None, "test": "McNemar exact"}
        else:
            row = {**paired_bootstrap(sa, sb, m.aggregate), "test": "paired bootstrap"}
        rows.append({"metric": m.name, "n": len(ids), "scale": m.scale, **row})
    return rows
