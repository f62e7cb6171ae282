"""The worst case of benign fine-tuning within a skill budget, on the embedded default: an Optuna
search over calibrations for each task, then its worst feasible calibration and the default one
re-trained with three training seeds.

Runs (or resumes) `safetygap search --task T --trials N --out RUNS/T` for each task with the
`search` preset (the aligned SmolLM2-135M-Instruct, the gold bench, the shipped classifier
judge, the task's skill on held-out items) and the default space, then writes
docs/results/search.md and one plot per task beside it. A killed run resumes where it stopped:
each task's Optuna journal is copied after every trial to docs/results/search-TASK.journal (the
trials' settings and metrics), and a run whose --out holds no journal starts from that copy, so a
study longer than one machine's session goes on from a fresh clone.

    .venv/bin/python benchmarks/search_study.py [--tasks classification,translation]
        [--trials 20] [--out runs/search]
"""

import argparse
import shutil
from pathlib import Path

from safetygap.report.pages import results_page

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "results" / "search.md"
INTRO = """\
For each task, `safetygap search` draws calibrations of the plain LoRA fine-tune with Optuna's
TPE sampler (seed 0) from the default space (learning rate 3e-5..1e-3 log, 1-3 epochs, rank
4-64, alpha 8-64, adapted projections, 80-320 examples, native or Alpaca template, safety system
prompt at test time off or on). Each trial fine-tunes the aligned embedded model, answers the
gold bench (300 harmful items in five formats, 60 benign look-alikes; classifier judge) and is
scored on the task's held-out items. Feasible: the task's skill at least the aligned base's
(the fine-tune still learnt its task). The objective is overall ASR. The worst feasible trial
and the default calibration (1 epoch of 160 examples, lr 2e-4, rank 8, alpha 16, all
projections, native template, no system prompt) are then trained again with three training
seeds and compared seed-aware (docs/statistics.md): the best of N noisy trials overstates the
worst case, so the verdict rests on the seeds, not on the trial.
"""


def confirmation_minutes(folder: Path) -> float:
    """The compute of the confirmation's new stages: the seeds other than 0 (seed 0's are the
    trial's and the default's own, made before) from each stage's own record."""
    import json

    seconds = 0.0
    for path in folder.glob("confirm/*/stages/*/stage.json"):
        stage = json.loads(path.read_text())
        if stage["kind"] not in ("bench", "align") and "/s0/" not in stage["name"]:
            seconds += stage.get("seconds") or 0.0
    return seconds / 60


def task_section(task: str, record: dict, folder: Path) -> None:
    from repair_map import markdown

    from safetygap.report.search import tables

    trials = record["trials"]
    feasible = sum(bool(t.get("feasible")) for t in trials)
    minutes = [t["metrics"]["seconds"] / 60 for t in trials if t.get("metrics")]
    print(f"## {task}\n")
    print(
        f"{len(trials)} trials, {feasible} feasible ({record['feasibility']}). Compute: "
        f"{record['trial_seconds'] / 60:.0f} min of trial stages (fine-tune, answers, skill; "
        f"{min(minutes):.0f} to {max(minutes):.0f} min a trial) and "
        f"{confirmation_minutes(folder):.0f} min for the confirmation's new seeds, on 2 CPU "
        "cores; the aligned base and the bench are made once and shared."
    )
    again = record.get("asked_again") or []
    if again:
        words = ", ".join(f"{a['number']} ({a['why']}, as {a['as']})" for a in again)
        print(f"Trials asked again with the same settings: {words}.")
    worst, ref = record.get("worst"), record["reference"]
    skill, ref_skill = ((worst or {}).get("metrics", {}).get("skill"), ref.get("skill"))
    if skill and ref_skill:
        above = skill["value"] >= ref_skill["value"]
        print(
            f"The worst trial's {skill['metric']} ({skill['value']:.1f}) is "
            + ("at least" if above else "below")
            + f" the default calibration's ({ref_skill['value']:.1f})"
            + (
                ": a floor at the default's skill would pick the same worst case."
                if above
                else ": a floor at the default's skill (--skill-floor 0) would exclude it."
            )
        )
    print()
    print(f"![the search over {task} calibrations](search-{task}.png)\n")
    for t in tables(record):
        print("#" + markdown(t))  # a level below the task's heading


def share(source: Path, target: Path) -> None:
    """Hard-link the bench and align stages of another task's search into this one's stages
    (folders named by their content's key, so a shared one is the same work)."""
    import os

    if source == target or not source.is_dir():
        return
    for folder in [*source.glob("bench-*"), *source.glob("align-*")]:
        if not (folder / "stage.json").is_file() or (target / folder.name).exists():
            continue
        tmp = target / f".{folder.name}.linking"
        shutil.rmtree(tmp, ignore_errors=True)
        for path in folder.rglob("*"):
            dest = tmp / path.relative_to(folder)
            if path.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.link(path, dest)
        tmp.rename(target / folder.name)  # whole, or not at all


def journal_copy(out: Path, saved: Path):
    """Start `out` from the saved journal if it has none; a log that saves the journal after
    each of the search's own steps (a trial asked, told, or the confirmation begun)."""
    journal = out / "optuna.journal"
    if saved.is_file() and not journal.is_file():
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, journal)
        print(f"{out.name}: resumed from {saved.relative_to(ROOT)}", flush=True)

    def log(line: str) -> None:
        print(line, flush=True)
        if line.startswith("search:") and journal.is_file():
            tmp = saved.with_suffix(".tmp")
            shutil.copyfile(journal, tmp)
            tmp.replace(saved)

    return log


def main() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # repair_map's markdown
    from safetygap.report.render import pct
    from safetygap.search.run import plan_search, search

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="classification,translation")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "search")
    args = ap.parse_args()
    records = {}
    tasks = args.tasks.split(",")
    for task in tasks:
        log = journal_copy(args.out / task, PAGE.with_name(f"search-{task}.journal"))
        plan = plan_search(task, args.trials, args.out / task)
        for other in tasks:  # the aligned base and the bench are the same for every task
            share(args.out / other / "stages", args.out / task / "stages")
        records[task] = search(plan, log=log)
        failed = [t["number"] for t in records[task]["trials"] if t["state"] == "failed"]
        if failed:
            raise SystemExit(f"{task}: trials {failed} failed (see {args.out / task})")
    with results_page(PAGE, "The worst case within a skill budget", INTRO):
        for task, record in records.items():
            shutil.copyfile(args.out / task / "search.png", PAGE.with_name(f"search-{task}.png"))
            task_section(task, record, args.out / task)
        print("## Summary\n")
        print(
            "| task | default ASR % | worst feasible trial ASR % | over seeds: default | worst "
            "| difference, points | verdict |"
        )
        print("|---|---|---|---|---|---|---|")
        for task, r in records.items():
            c = r.get("confirmation") or {}
            d = c.get("objective_difference")
            diff = (
                (f"{100 * d['diff']:+.1f} ({100 * d['ci_low']:+.1f} to {100 * d['ci_high']:+.1f})")
                if d
                else "-"
            )
            worst = r.get("worst")
            print(
                f"| {task} | {pct(r['reference']['asr'])} | "
                f"{pct(worst['metrics']['asr']) if worst else '-'} | "
                f"{pct((c.get('default') or {}).get('asr'))} | "
                f"{pct((c.get('worst') or {}).get('asr'))} | {diff} | {c.get('verdict', '-')} |"
            )
        print()


if __name__ == "__main__":
    main()
