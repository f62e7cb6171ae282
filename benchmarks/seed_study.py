"""Do our findings survive another seed? The paper-table study over training seeds and aligned
bases, set beside its one-seed figures.

Runs (or resumes) the `paper-table-seeds` preset (two aligned bases, three training seeds per
fine-tune: 48 fine-tunes, 50 evals) and, with `--repairs`, the `repair-map` preset restricted to
classification and summarization with training seeds 0-2; then writes docs/results/seeds.md:

- ASR per model and format: the one-seed figure (alignment seed 0, training seed 0, Wilson
  interval) beside the mean over all runs, their SD and the seed-aware interval;
- the seed SD of the fine-tunes' ASR against one run's item-sampling half-width, per format;
- each one-seed claim (erosion per task and format, the 30% all-formats mix's effect per task,
  code eroding least, and with `--repairs` the best repair per task) re-tested with the
  seed-aware test: survives, weakens or falls;
- the wall time of the sweeps.

    .venv/bin/python benchmarks/seed_study.py [--out runs/seed-study] [--repairs]
"""

import argparse
import json
from pathlib import Path

import yaml

from safetygap.report.collect import FORMATS, collect
from safetygap.report.pages import results_page
from safetygap.report.plots import calibrations
from safetygap.report.seeds import compare_models, members, seed_of
from safetygap.sweep.config import preset_path
from safetygap.sweep.run import sweep

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "results" / "seeds.md"
ALPHA = 0.05
INTRO = """\
The `paper-table` study (the embedded model aligned, LoRA-fine-tuned on four benign tasks with
160 examples, plain and with the all-formats safety mix at 30%, the gold bench of 300 harmful and
60 benign items, the shipped classifier judge), run with two aligned bases (alignment seeds 0
and 1) and three training seeds per fine-tune. "One seed" is what a one-run study shows: the
runs of alignment seed 0 and training seed 0, Wilson intervals and exact McNemar tests. "Seeds"
is the mean over all runs, their SD, and the seed-aware interval and test of
[docs/statistics.md](../statistics.md) (the aligned base is the unit of replication where the
runs span both bases).
"""


def first_run(row):
    """The run a one-seed study would have: alignment seed 0 (or none), training seed 0."""
    runs = members(row)
    return min(runs, key=lambda r: tuple(-1 if x is None else x for x in seed_of(r)))


def one_seed(row):
    from safetygap.report.collect import Run

    r = first_run(row)
    return Run(r.kind, r.name, r.labels, r.folder, r.data, r.eval_name, r.items)


def cell(r: dict) -> str:
    text = f"{100 * r['value']:.0f} ({100 * r['ci_low']:.0f}-{100 * r['ci_high']:.0f})"
    return text + (f" ±{100 * r['sd']:.0f}" if r.get("sd") is not None else "")


def table(header: list[str], rows: list[list]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")
    print()


def fate(one: dict, many: dict) -> str:
    """A one-seed claim (a significant change) under the seed-aware test: survives (same sign,
    still significant), falls (the seeds' estimate has the other sign, or their interval
    excludes the one-seed estimate), weakens (otherwise)."""
    if many["p_value"] < ALPHA and (many["diff"] > 0) == (one["diff"] > 0):
        return "survives"
    if (many["diff"] > 0) != (one["diff"] > 0) or not (
        many["ci_low"] <= one["diff"] <= many["ci_high"]
    ):
        return "falls"
    return "weakens"


def change(c: dict) -> str:
    return f"{100 * c['diff']:+.1f} (p={c['p_value']:.2g})"


def run_sweeps(out: Path, repairs: bool) -> list[Path]:
    folders = [out / "paper-table-seeds"]
    index = sweep("paper-table-seeds", folders[0])
    failed = [s["name"] for s in index["stages"] if s["status"] in ("failed", "skipped")]
    if repairs:
        cfg = yaml.safe_load(preset_path("repair-map").read_text())
        tasks = cfg["finetune"]["tasks"] = ["classification", "summarization"]
        limit = cfg["helpfulness"]["limit"]
        if isinstance(limit, dict):  # the limits of these tasks only (the others are unknown)
            cfg["helpfulness"]["limit"] = {t: n for t, n in limit.items() if t in tasks}
        cfg["finetune"]["seeds"] = [0, 1, 2]
        config = out / "repair-map-seeds.yaml"
        config.write_text(yaml.safe_dump(cfg, sort_keys=False))
        folders.append(out / "repair-map-seeds")
        index = sweep(config, folders[1])
        failed += [s["name"] for s in index["stages"] if s["status"] in ("failed", "skipped")]
    if failed:
        raise SystemExit(f"{len(failed)} stages did not finish, first {failed[0]}")
    return folders


def paper_table(folder: Path) -> None:
    runs = collect(folder)
    (key, rows), *_ = calibrations(runs).items()
    base = next(r for r in rows.values() if r.labels.get("model") == "base")
    print("## ASR by format: one seed against the seeds\n")
    print("%, 95% interval; seeds: mean over the runs (±SD of the runs).\n")
    body = []
    for name, row in rows.items():
        one = first_run(row).data["asr"]
        many = row.data["asr"]
        for f in ["overall", *FORMATS]:
            a = one["overall"] if f == "overall" else one["by_format"][f]
            b = many["overall"] if f == "overall" else many["by_format"][f]
            body.append([name, f, len(members(row)), cell(a), cell(b)])
    table(["model", "format", "runs", "one seed", "seeds"], body)

    print("## The seed spread against the item sampling\n")
    print(
        "Per format, over the fine-tunes: the mean SD of a model's runs (points) and the mean "
        "half-width of one run's Wilson interval (points).\n"
    )
    fts = [r for r in rows.values() if r.labels.get("model") == "finetune"]
    body = []
    for f in ["overall", *FORMATS]:
        sds, halves = [], []
        for row in fts:
            r = row.data["asr"]["overall" if f == "overall" else "by_format"]
            r = r if f == "overall" else r[f]
            one = first_run(row).data["asr"]
            o = one["overall"] if f == "overall" else one["by_format"][f]
            sds.append(100 * r["sd"])
            halves.append(50 * (o["ci_high"] - o["ci_low"]))
        sd, half = sum(sds) / len(sds), sum(halves) / len(halves)
        body.append([f, f"{sd:.1f}", f"{half:.1f}", "seeds" if sd > half else "items"])
    table(["format", "seed SD", "one run's half-width", "larger"], body)

    print("## The one-seed claims, tested again over the seeds\n")
    body = []
    plain = {r.labels["task"]: r for r in fts if r.labels.get("safety_mix") == "none"}
    mixed = {r.labels["task"]: r for r in fts if r.labels.get("safety_mix") != "none"}
    for task, row in plain.items():
        many = {c["group"]: c for c in compare_models(base, row)}
        one = {c["group"]: c for c in compare_models(one_seed(base), one_seed(row))}
        for g, c in one.items():
            if c["p_value"] < ALPHA:
                body.append([f"{task} erodes ({g})", change(c), change(many[g]), fate(c, many[g])])
    for task, row in mixed.items():
        many = compare_models(plain[task], row)[0]
        one = compare_models(one_seed(plain[task]), one_seed(row))[0]
        claim = f"the 30% all-formats mix changes {task}'s ASR"
        body.append(
            [claim, change(one), change(many), fate(one, many) if one["p_value"] < ALPHA else "-"]
        )
    if "code" in plain:
        for task, row in plain.items():
            if task == "code":
                continue
            many = compare_models(plain["code"], row)[0]
            one = compare_models(one_seed(plain["code"]), one_seed(row))[0]
            claim = f"code erodes less than {task}"
            verdict = fate(one, many) if one["p_value"] < ALPHA else "-"
            body.append([claim, change(one), change(many), verdict])
    table(["claim (one seed: significant at 0.05)", "one seed", "seeds", "over the seeds"], body)
    print(
        "`-`: not significant with one seed either (not a claim of the one-seed study). "
        f"Calibration: {key[0]} template, system prompt {key[1]}.\n"
    )


def best_repairs(folder: Path) -> None:
    from dataclasses import replace

    from safetygap.report.repairs import best_repair, change, repair_map

    print("## The best repair per task, one seed against the seeds\n")
    print(
        "The report's best-repair rule, applied to the runs of training seed 0 alone and to "
        "all three seeds (changes against the unrepaired fine-tune, ASR points).\n"
    )
    runs = collect(folder)
    first = replace(
        runs,
        evals=[r for r in runs.evals if r.labels.get("seed") in (0, None)],
        helpfulness=[r for r in runs.helpfulness if r.labels.get("seed") in (0, None)],
    )
    one, many = repair_map(first), repair_map(runs)
    body = []
    for group, pts in many.items():
        b1, bn = best_repair(one.get(group, [])), best_repair(pts)
        body.append(
            [
                group,
                f"{b1['name']} {change(b1['versus']['asr']['overall'])}" if b1 else "none",
                f"{bn['name']} {change(bn['versus']['asr']['overall'])}" if bn else "none",
                "same" if (b1 or {}).get("name") == (bn or {}).get("name") else "differs",
            ]
        )
    table(["fine-tune", "best repair, seed 0", "best repair, 3 seeds", ""], body)
    print(
        "Each repair against its unrepaired fine-tune, seed 0 and 3 seeds (ASR and over-refusal "
        "in points, skill in its metric's units): the rule takes the "
        "largest significant ASR cut whose skill loss and over-refusal rise are not "
        "significant.\n"
    )
    rows = []
    for group, pts in many.items():
        for p in pts:
            if "versus" not in p:
                continue
            p1 = next((q for q in one.get(group, []) if q["name"] == p["name"]), {})
            for label, q in (("seed 0", p1), ("3 seeds", p)):
                v = q.get("versus") or {}
                rows.append(
                    [
                        group,
                        p["name"],
                        label,
                        change(v.get("asr", {}).get("overall")),
                        change(v.get("skill"), 1),  # in the skill metric's own units
                        change(v.get("over_refusal")),
                        "yes" if q and best_repair([q]) else "no",
                    ]
                )
    table(["fine-tune", "repair", "runs", "ASR", "skill", "over-refusal", "qualifies"], rows)


def wall_time(folders: list[Path]) -> None:
    print("## Wall time\n")
    print(
        "Minutes each kind of stage took when it ran (from its `stage.json`; a stage both "
        "sweeps share is counted once, under the first).\n"
    )
    body, seen = [], set()
    for folder in folders:
        index = json.loads((folder / "sweep.json").read_text())
        by_kind: dict[str, float] = {}
        for s in index["stages"]:
            record = folder / s["folder"] / "stage.json"
            if s["key"] in seen or not record.is_file():
                continue
            seen.add(s["key"])
            seconds = json.loads(record.read_text()).get("seconds") or 0.0
            by_kind[s["kind"]] = by_kind.get(s["kind"], 0.0) + seconds
        parts = ", ".join(f"{k} {v / 60:.0f}" for k, v in by_kind.items() if v)
        total = sum(by_kind.values()) / 3600
        body.append([folder.name, len(index["stages"]), parts, f"{total:.1f} h"])
    table(["sweep", "stages", "minutes by stage kind (stages new to this sweep)", "total"], body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "seed-study")
    ap.add_argument("--repairs", action="store_true", help="Also the repair map over seeds.")
    args = ap.parse_args()
    folders = run_sweeps(args.out, args.repairs)
    with results_page(PAGE, "Do the findings survive another seed?", INTRO):
        paper_table(folders[0])
        if args.repairs:
            best_repairs(folders[1])
        wall_time(folders)


if __name__ == "__main__":
    main()
