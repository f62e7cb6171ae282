"""Task skill next to safety: the paper table's models scored on all four tasks.

The aligned base and every fine-tune of the paper-table sweep (each task, plain and with the
safety mix; the sweep folder is `--sweep`, default runs/paper-table, read through its sweep.json)
answer each task's held-out items with `safetygap helpfulness`
(greedy); the table shows each metric with its 95% interval, the paired change of each
fine-tune against the aligned base on its own task, and of each safety-mixed fine-tune against
the plain one (McNemar exact for 0/1 metrics, paired bootstrap otherwise), and the model's
over-refusal on the bench's benign look-alikes (from its paper-table eval run):

    safetygap sweep paper-table --out runs/paper-table      # or benchmarks/paper_table.py
    .venv/bin/python benchmarks/helpfulness_table.py [--sweep runs/paper-table] [--limit 100]

Each run resumes; each task's wall time and items/s are printed at the end.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from safetygap.helpfulness.scorers import SCORERS

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "runs" / "helpfulness"
SG = [sys.executable, "-m", "safetygap"]
TASKS = ["summarization", "translation", "code", "classification"]
MAIN = {t: SCORERS.get(t).MAIN for t in TASKS}  # the metric shown per task


def sh(*args):
    subprocess.run([str(a) for a in args], check=True)


def models(
    sweep: Path, ratios: list[str], base: bool = True, base_eval: Path | None = None
) -> list[tuple[str, str, str | None, Path | None, str]]:
    """(row name, model, adapter folder or None, its eval run or None, folder name here): the
    aligned base, the plain fine-tunes and the safety-mixed ones at the given ratios of the
    sweep in `sweep`, and the base before align."""
    index = sweep / "sweep.json"
    if not index.is_file():
        sys.exit(f"no {index}: run `safetygap sweep paper-table --out {sweep}` first")
    stages = json.loads(index.read_text())["stages"]
    by_name = {s["name"]: s for s in stages}
    aligned = str(sweep / by_name["align"]["folder"] / "model")
    rows, tuned = [], []
    for s in stages:
        lab = s["labels"]
        if s["kind"] != "eval" or lab["mitigation"] != "none" or lab["system_prompt"] != "off":
            continue
        if lab["model"] == "base":
            rows.append(("aligned base", aligned, None, sweep / s["folder"], "aligned"))
            continue
        mix = lab["safety_mix"]
        tag = lab["task"] + ("" if mix == "none" else f"-{mix}")
        adapter = sweep / by_name[s["deps"]["adapter"]]["folder"] / "adapter"
        if (adapter / "adapter_config.json").is_file() and (
            mix == "none" or tag.split("-")[-1] in ratios
        ):
            tuned.append((f"+ {tag}", aligned, str(adapter), sweep / s["folder"], f"ft-{tag}"))
    rows += sorted(tuned, key=lambda r: r[4])
    if base:
        rows.append(("base (before align)", "smollm2-135m-instruct", None, base_eval, "base"))
    return rows


def cell(m: dict) -> str:
    scale = 100 if m["scale"] == "0-1" else 1
    return f"{scale * m['value']:.1f} ({scale * m['ci_low']:.1f}-{scale * m['ci_high']:.1f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=100, help="Held-out items per task.")
    ap.add_argument("--translation-limit", type=int, default=40, help="Items per direction.")
    ap.add_argument("--code-limit", type=int, default=60, help="HumanEval problems.")
    ap.add_argument("--safety-ratio", default="0.3", help="Safety-mixed fine-tunes to include.")
    ap.add_argument("--no-base", action="store_true", help="Leave out the model before align.")
    ap.add_argument(
        "--sweep",
        type=Path,
        default=ROOT / "runs" / "paper-table",
        help="The paper-table sweep folder (safetygap sweep paper-table --out DIR).",
    )
    ap.add_argument(
        "--base-eval", type=Path, help="An eval run of the base before align (its over-refusal)."
    )
    args = ap.parse_args()
    limits = {
        "summarization": args.limit,
        "classification": args.limit,
        "translation": args.translation_limit,
        "code": args.code_limit,
    }
    timing = {t: [0.0, 0] for t in TASKS}
    reports = {}
    ratios = args.safety_ratio.split(",")
    rows = models(args.sweep, ratios, base=not args.no_base, base_eval=args.base_eval)
    for name, model, adapter, eval_run, folder in rows:
        for task in TASKS:
            out = RUNS / folder / task
            extra = ["--adapter", adapter] if adapter else []
            if eval_run and (eval_run / "metrics.json").is_file():
                extra += ["--eval", eval_run]
            t0 = time.perf_counter()
            fresh = not (out / "helpfulness.json").is_file()
            sh(
                *SG,
                "helpfulness",
                "--model",
                model,
                "--task",
                task,
                "--out",
                out,
                "--limit",
                limits[task],
                "--batch-size",
                32,
                *extra,
            )
            report = json.loads((out / "helpfulness.json").read_text())
            if fresh:
                timing[task][0] += time.perf_counter() - t0
                timing[task][1] += report["n"]
            reports[(name, task)] = (out, report)
    names = [row[0] for row in rows]
    print("\ntask skill (95% CI; 0-1 metrics in percent) and over-refusal on benign look-alikes")
    print(f"{'model':<36}" + "".join(f"{MAIN[t]:>24}" for t in TASKS) + f"{'over-refusal':>22}")
    for n in names:
        row = "".join(f"{cell(reports[(n, t)][1]['metrics'][MAIN[t]]):>24}" for t in TASKS)
        o = reports[(n, TASKS[0])][1]["over_refusal"]
        print(f"{n:<36}{row}{cell({**o, 'scale': '0-1'}) if o else '-':>22}")
    print("\nchange on the fine-tune's own task, paired on the same items: B - A (95% CI), p")
    for n in [n for n in names if n.startswith("+ ")]:
        task = next(t for t in TASKS if n[2:].startswith(t))
        base = "aligned base" if n == f"+ {task}" else f"+ {task}"
        out = RUNS / "compare" / f"{n[2:]}--vs--{base.strip('+ ').replace(' ', '-')}.json"
        subprocess.run(
            [
                *SG,
                "compare",
                str(reports[(base, task)][0]),
                str(reports[(n, task)][0]),
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
        )
        cells = []
        for r in json.loads(out.read_text()):
            k = 100 if r["scale"] == "0-1" else 1
            ci = (
                ""
                if r["ci_low"] is None
                else f" ({k * r['ci_low']:+.1f} to {k * r['ci_high']:+.1f})"
            )
            cells.append(f"{r['metric']} {k * r['diff']:+.1f}{ci} p={r['p_value']:.2g}")
        print(f"{n} vs {base}: " + "; ".join(cells))
    print("\ncost of a helpfulness run (fresh runs only, 135M model on this machine's CPU)")
    for t, (secs, n) in timing.items():
        if n:
            print(f"{t:<16} {n} items in {secs:.0f} s: {n / secs:.2f} items/s")

    from safetygap.helpfulness.sandbox import isolation, overhead

    n = 20
    t0 = time.perf_counter()
    for _ in range(n):
        subprocess.run([sys.executable, "-I", "-c", "pass"], check=True)
    bare = (time.perf_counter() - t0) / n
    print(
        f"sandbox: {overhead(n):.3f} s per empty program, against {bare:.3f} s to start a bare "
        f"interpreter, side by side; layers: {', '.join(isolation())}"
    )


INTRO = """\
The paper table's models scored on every task's held-out items (greedy), each metric with
its 95% interval, each fine-tune paired against the base on its own task and each safety-
mixed fine-tune against the plain one.
"""

if __name__ == "__main__":
    from safetygap.report.pages import results_page

    PAGE = Path(__file__).resolve().parent.parent / "docs" / "results" / "helpfulness.md"
    with results_page(
        PAGE,
        "What the fine-tunes gain, and what the safety mix costs, in task skill",
        INTRO,
        fenced=True,
    ):
        main()
