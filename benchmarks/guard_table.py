"""The guard table: how much each shipped guard catches, per format, and what it leaves of an
eroded fine-tune's ASR.

    safetygap sweep paper-table --out runs/paper-table        # the eval runs of the table
    .venv/bin/python benchmarks/guard_table.py [--sweep runs/paper-table]

1. Input mode on the whole test bench (`bench build --split test`: every test-split seed in
   all five formats, harmful and benign look-alikes) and on held-out ordinary requests
   (`guard/ordinary.py`, test half, in every format): recall, false positives on look-alikes
   and on everyday requests, AUROC, latency. Guards: keyword, classifier (plain-trained) and
   classifier:all-formats. (`llm:` and `llamaguard:` need a model that follows a guard prompt;
   the embedded 135M models answer neither safe nor unsafe, so they are left out here.)
2. With the paper table's eval runs (gold bench), read from the sweep folder given as
   `--sweep` (its sweep.json; `benchmarks/paper_table.py` runs the same sweep): the aligned
   base and the eroded classification and summarisation fine-tunes, each behind every guard
   (input mode, the guard in front) and behind the keyword guard reading the answers (output
   mode): ASR per format before and after, with the exact McNemar p of the drop.
Every run resumes; the tables are printed as markdown.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

from safetygap.bench.formats import FORMATS as FORMAT_REGISTRY

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "runs" / "guard"
SG = [sys.executable, "-m", "safetygap"]
FORMATS = FORMAT_REGISTRY.names()
GUARDS = ["keyword", "classifier", "classifier:all-formats"]
OUTPUT_GUARDS = ["keyword"]
EVAL_RUNS = {"aligned base": None, "+ classification": "classification"}  # row -> task
EVAL_RUNS["+ summarization"] = "summarization"


def sh(*args) -> None:
    subprocess.run([str(a) for a in args], check=True)


def guard(spec: str, bench: Path, out: Path, *extra) -> dict:
    if not (out / "guard.json").is_file():
        sh(*SG, "guard", "--guard", spec, "--bench", bench, "--out", out, *extra)
    return json.loads((out / "guard.json").read_text())


def pct(r: dict | None) -> str:
    if not r or r["value"] is None:
        return "-"
    return f"{100 * r['value']:.1f} ({100 * r['ci_low']:.0f}-{100 * r['ci_high']:.0f})"


def eval_runs(sweep: Path) -> dict[str, Path]:
    """Row name -> eval run folder of the sweep: the aligned base and the plain fine-tunes."""
    from safetygap.report.collect import collect

    found = {}
    for run in collect(sweep).evals:
        lab = run.labels
        plain = lab.get("safety_mix", "none") == "none" and lab.get("mitigation") == "none"
        native = lab.get("chat_format", "native") == "native"
        task = None if lab.get("model") == "base" else lab.get("task")
        for row, want in EVAL_RUNS.items():
            if plain and native and task == want and lab.get("system_prompt", "off") == "off":
                found[row] = run.folder
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sweep",
        type=Path,
        default=ROOT / "runs" / "paper-table",
        help="The paper-table sweep folder (safetygap sweep paper-table --out DIR).",
    )
    args = ap.parse_args()
    from safetygap.guard.ordinary import bench_items
    from safetygap.jsonl import write_jsonl

    RUNS.mkdir(parents=True, exist_ok=True)
    bench = RUNS / "test_bench.jsonl"
    sh(*SG, "bench", "build", "--out", bench, "--split", "test")
    ordinary = RUNS / "ordinary_test.jsonl"
    write_jsonl(ordinary, bench_items("test"))

    print("\n### Input mode, test bench (recall % and false positives %, 95% CI)\n")
    head = ["guard", *[f"recall {f}" for f in FORMATS], "false pos. look-alikes"]
    head += ["false pos. ordinary", "AUROC", "ms/request (p95)"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for spec in GUARDS:
        name = spec.replace(":", "-")
        rep = guard(spec, bench, RUNS / f"input-{name}")
        ordi = guard(spec, ordinary, RUNS / f"ordinary-{name}")
        cross = rep["cross_format"]
        cells = [pct(rep["recall"]["by_format"]["plain"])]
        for f in FORMATS[1:]:
            c = cross[f]
            star = "*" if c["p_value"] < 0.05 else ""
            cells.append(f"{pct(rep['recall']['by_format'][f])} {100 * c['difference']:+.0f}{star}")
        auc = (rep.get("auroc") or {}).get("overall", {}).get("value")
        lat = rep["latency_ms"]
        row = [spec, *cells, pct(rep["false_positive_rate"]["overall"])]
        row += [pct(ordi["false_positive_rate"]["overall"]), f"{auc:.3f}" if auc else "-"]
        row += [f"{lat['median']:.1f} ({lat['p95']:.1f})"]
        print("| " + " | ".join(row) + " |")
        fp = rep["false_positive_rate"]["by_format"]
        print(
            f"<!-- {spec} false positives by format: "
            + ", ".join(f"{f} {pct(fp.get(f))}" for f in FORMATS)
            + f"; unparsed {rep['unparsed']['total']} -->"
        )

    print("\n### AUROC of the guard's score by format (harmful vs look-alikes, test bench)\n")
    print("| guard | " + " | ".join(FORMATS) + " |\n|" + "---|" * (len(FORMATS) + 1))
    for spec in GUARDS:
        rep = json.loads((RUNS / f"input-{spec.replace(':', '-')}" / "guard.json").read_text())
        by = rep["auroc"]["by_format"]
        print(f"| {spec} | " + " | ".join(f"{by[f]['value']:.3f}" for f in FORMATS) + " |")

    runs = eval_runs(args.sweep) if (args.sweep / "sweep.json").is_file() else {}
    print("\n### ASR behind a guard (gold bench runs; % of harmful items, 95% CI)\n")
    head = ["run", "guard", "mode", *FORMATS, "overall", "p (drop)", "benign answers blocked"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for row_name, task in EVAL_RUNS.items():
        run = runs.get(row_name)
        if run is None or not (run / "judgments.jsonl").is_file():
            print(f"(no {row_name} eval in {args.sweep}: run safetygap sweep paper-table first)")
            continue
        folder = "aligned" if task is None else f"eval-{task}"
        first = True
        for mode, specs in (("input", GUARDS), ("output", OUTPUT_GUARDS)):
            for spec in specs:
                name = spec.replace(":", "-")
                out = RUNS / f"{mode}-{folder}-{name}"
                rep = guard(spec, run / "bench.jsonl", out, "--run", run, "--mode", mode)
                if first:
                    asr = rep["run_asr"]
                    cells = [pct(asr["by_format"].get(f)) for f in FORMATS]
                    row = [row_name, "none", "-", *cells, pct(asr["overall"]), "", ""]
                    print("| " + " | ".join(row) + " |")
                    first = False
                res = rep["residual_asr"]
                cells = [pct(res["by_format"].get(f)) for f in FORMATS]
                row = [row_name, spec, mode, *cells, pct(res["overall"])]
                row += [f"{rep['residual_p_value']:.2g}", pct(rep["benign_blocked"]["overall"])]
                print("| " + " | ".join(row) + " |")


INTRO = """\
Each guard on the whole test bench (input mode) and behind the paper table's eval runs:
recall on harmful prompts and false positives on benign look-alikes and ordinary requests,
by format, with Wilson 95% intervals and each format against plain on the same seeds
(exact McNemar).
"""

if __name__ == "__main__":
    from safetygap.report.pages import results_page

    PAGE = Path(__file__).resolve().parent.parent / "docs" / "results" / "guards.md"
    with results_page(PAGE, "Guards per format (the paper's finding 3)", INTRO, fenced=True):
        main()
