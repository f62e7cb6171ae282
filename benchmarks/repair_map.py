"""The repair map: the `repair-map` preset for the tasks asked, then its page.

Runs (or resumes) `safetygap sweep repair-map` restricted to `--tasks` (the same settings, so
the same stages as the whole preset), then writes docs/results/repairs.md and
docs/results/repair_map.png from the report's own code (safetygap.report.repairs): each
repair's ASR, over-refusal and skill paired against the unrepaired fine-tune, ASR by format,
the Pareto front, and the best repair per task beside the paper's cure.

    .venv/bin/python benchmarks/repair_map.py [--tasks classification,summarization] [--out DIR]
"""

import argparse
from pathlib import Path

import yaml

from safetygap.report.collect import FORMATS, collect
from safetygap.report.pages import results_page
from safetygap.report.plots import repair_map as draw
from safetygap.report.repairs import RULE, repair_map, tables
from safetygap.sweep.config import preset_path
from safetygap.sweep.run import sweep

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "results" / "repairs.md"
INTRO = """\
Each fine-tune of the paper-table preset (the aligned embedded model, 160 examples, native chat
template) repaired every way: safety data mixed into the fine-tune in the plain format (`plain`)
or in every format (`all-formats`, the paper's cure) at 3%, 10% and 30% of the examples; PTST
(the same fine-tune tested with the safety system prompt on); the update scaled by 0.25, 0.5 and
0.75; Safe LoRA; RESTA. Every repair is paired with the unrepaired fine-tune on the same items:
ASR on the gold bench (exact McNemar), over-refusal on its benign look-alikes (exact McNemar),
skill on the task's held-out items (McNemar for accuracy and pass@1, paired bootstrap
otherwise). Seconds: the repair's own compute (a mix retrains the fine-tune; PTST costs
nothing). `*`: on the Pareto front (no other repair is both safer and more skilled).
"""


def markdown(table: dict) -> str:
    lines = [f"## {table['title']}", ""]
    lines += [table["note"], ""] if table.get("note") else []
    lines += ["| " + " | ".join(table["header"]) + " |", "|" + "---|" * len(table["header"])]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in table["rows"]]
    return "\n".join(lines) + "\n"


def by_format(group: str, points: list[dict]) -> str:
    """ASR by format per repair, with its change against none (*: McNemar p < 0.05)."""
    formats = [f for f in FORMATS if f in points[0]["asr_by_format"]]
    lines = [f"## {group}: ASR by format, % (change against none; *: p < 0.05)", ""]
    lines += ["| repair | " + " | ".join(formats) + " |", "|" + "---|" * (len(formats) + 1)]
    for p in points:
        cells = []
        for f in formats:
            cell = f"{100 * p['asr_by_format'][f]['value']:.0f}"
            vs = (p.get("versus") or {}).get("asr", {}).get(f)
            if vs:
                cell += f" ({100 * vs['diff']:+.0f}{'*' if vs['p'] < 0.05 else ''})"
            cells.append(cell)
        lines.append(f"| {p['name']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="classification,summarization,translation,code")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "repair-map")
    args = ap.parse_args()
    tasks = args.tasks.split(",")
    cfg = yaml.safe_load(preset_path("repair-map").read_text())
    unknown = set(tasks) - set(cfg["finetune"]["tasks"])
    if unknown:
        raise SystemExit(f"--tasks: {', '.join(sorted(unknown))} not in the repair-map preset")
    cfg["finetune"]["tasks"] = tasks
    args.out.mkdir(parents=True, exist_ok=True)
    config = args.out.parent / f"{args.out.name}-{'-'.join(tasks)}.yaml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    index = sweep(config, args.out)
    failed = [s["name"] for s in index["stages"] if s["status"] in ("failed", "skipped")]
    if failed:
        raise SystemExit(f"{len(failed)} stages did not finish, first {failed[0]}")

    runs = collect(args.out)
    mapped = repair_map(runs)
    fig = draw(runs)
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PAGE.with_name("repair_map.png"), dpi=100)
    with results_page(PAGE, "Repairing an eroded fine-tune", INTRO):
        print("![the repair map](repair_map.png)\n")
        for table in tables(mapped):
            print(markdown(table))
        for group, points in mapped.items():
            print(by_format(group, points))
        print(f"The best-repair rule ({RULE}) is the report's: `safetygap report` states it too.")


if __name__ == "__main__":
    main()
