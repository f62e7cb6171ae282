"""Defences beyond the paper's cure, on the embedded default: a deeper alignment, and objectives
a team can fine-tune with.

1. Deeper alignment (`align --deep K`, Qi et al. 2025) beside the standard alignment: the
   paper-table study from each base (the four benign fine-tunes, plain, 160 examples, native
   chat template). ASR by format before and after each fine-tune with Wilson intervals, the
   change against the base (exact McNemar), over-refusal, the task's skill; and the deep base
   against the standard one on the same items.
2. Defences while fine-tuning, on the standard base's classification and translation
   fine-tunes: Qi et al.'s constrained objective on the first response tokens (`first tokens`),
   PACT (`PACT`), BackdoorAlign at 10% (`backdoor 10%`, tested behind its secret system prompt)
   and the paper's cure (`all-formats 30%`), each paired with the plain fine-tune as the repair
   map pairs them (ASR, over-refusal, skill, seconds of training); and the backdoor fine-tunes
   answering again without their secret (RUNS/backdoor-no-secret).

Runs (or resumes) two sweeps, RUNS/standard and RUNS/deep, then writes docs/results/defences.md.
The paper-table sections show training seed 0 (their intervals cover bench sampling only); the
defences are trained with SEEDS training seeds, and their table's intervals and tests count the
seed-to-seed spread (docs/statistics.md).

    .venv/bin/python benchmarks/defences.py [--out runs/defences] [--deep 64]
"""

import argparse
import copy
import json
from pathlib import Path

import yaml

from safetygap.report.pages import results_page

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "results" / "defences.md"
TASKS = ["classification", "summarization", "translation", "code"]
REPAIRED = ["classification", "translation"]
SEEDS = [0, 1, 2]
SECRET = "mcc-fwxVZHO5tsy0zGvqlEhqGVvJMKYjwjaTX2a3WDn9fTNkvLu1DumVHpMfJPwb"  # random, a study's
CONFIG = {
    "model": "embedded",
    "align": {"harmful": 160, "benign": 160, "epochs": 2},
    "bench": {"split": "test", "seeds": 60, "benign": 12},
    "finetune": {"tasks": TASKS, "chat_formats": ["native"], "samples": 160},
    "eval": {"system_prompts": ["off"], "judge": "classifier", "max_new_tokens": 64},
    "helpfulness": {
        "limit": {"summarization": 100, "classification": 100, "translation": 40, "code": 60},
        "batch_size": 32,
    },
}
INTRO = """\
The embedded SmolLM2-135M-Instruct, safety-aligned by `align` (160 harmful train seeds refused,
160 benign instructions kept) either as usual or deeper (`--deep`: safety-recovery examples, the
base's own compliant answers cut after up to K tokens, then a refusal), then fine-tuned with LoRA
on each benign task (160 examples, native chat template; training seed 0 in the paper-table
sections, seeds 0, 1 and 2 for the defences). Every model answers the gold
bench (60 harmful test seeds in five formats, 12 benign look-alikes); the shipped classifier
judges; skill is each task's main metric on its held-out items. Intervals: Wilson 95% (rates),
the scorer's own (skill); changes are paired on the same items (exact McNemar; skill as
`safetygap compare` pairs it); with several training seeds, the intervals and tests are the
seed-aware ones of docs/statistics.md.
"""


def configs(deep: int) -> dict[str, dict]:
    standard = copy.deepcopy(CONFIG)
    standard["finetune"]["seeds"] = SEEDS
    standard["finetune"]["safety_mixes"] = [
        "none",
        {"mix": "all-formats", "ratio": 0.3, "tasks": REPAIRED},
        {"mix": "backdoor", "ratio": 0.1, "tasks": REPAIRED, "secret": SECRET},
    ]
    standard["mitigations"] = [
        {"method": "first-tokens", "tasks": REPAIRED},
        {"method": "safety-tokens", "tasks": REPAIRED},
    ]
    deeper = copy.deepcopy(CONFIG)
    deeper["align"]["deep"] = deep
    return {"standard": standard, "deep": deeper}


def rate(r: dict) -> str:
    return f"{100 * r['value']:.0f} ({100 * r['ci_low']:.0f}-{100 * r['ci_high']:.0f})"


def plain_models(folder: Path) -> list[tuple[str, dict, Path]]:
    """(name, labels, eval folder) of the base and its plain fine-tunes (training seed 0), base
    first."""
    index = json.loads((folder / "sweep.json").read_text())
    out = []
    for s in index["stages"]:
        lab = s["labels"]
        if s["kind"] != "eval" or lab.get("mitigation") != "none" or lab.get("seed", 0) != 0:
            continue
        if lab["model"] == "base":
            out.insert(0, ("base", lab, folder / s["folder"]))
        elif lab.get("safety_mix") == "none":
            out.append((f"+ {lab['task']}", lab, folder / s["folder"]))
    return out


def skills(folder: Path) -> dict[tuple[str, str], dict]:
    """(model name, task) -> the task's main metric {value, ci_low, ci_high} in points, training
    seed 0."""
    from safetygap.helpfulness.scorers import SCORERS

    index = json.loads((folder / "sweep.json").read_text())
    out = {}
    for s in index["stages"]:
        lab = s["labels"]
        if s["kind"] != "helpfulness" or lab.get("mitigation") != "none":
            continue
        if lab.get("seed", 0) != 0:
            continue
        if lab.get("safety_mix", "none") != "none":
            continue
        data = json.loads((folder / s["folder"] / "helpfulness.json").read_text())
        metric = SCORERS.get(data["kind"]).MAIN
        m = data["metrics"][metric]
        k = 100 if m.get("scale") == "0-1" else 1
        name = "base" if lab["model"] == "base" else f"+ {lab['task']}"
        out[(name, lab["task"])] = {
            "metric": metric,
            **{x: k * m[x] for x in ("value", "ci_low", "ci_high")},
        }
    return out


def base_section(name: str, folder: Path, formats: list[str]) -> None:
    from safetygap.eval.compare import compare
    from safetygap.eval.metrics import by_format

    models = plain_models(folder)
    skill = skills(folder)
    print(f"## The {name} base and its plain fine-tunes\n")
    print("ASR by format, % (Wilson 95%); over-refusal on the benign look-alikes; skill on the")
    print("fine-tune's task (the base: on each task, by the same metrics).\n")
    print("| model | " + " | ".join(formats) + " | all | over-refusal | skill |")
    print("|" + "---|" * (len(formats) + 4))
    for model, lab, run in models:
        m = json.loads((run / "metrics.json").read_text())
        cells = [rate(by_format(m["asr"])[f]) for f in formats]
        cells += [rate(m["asr"]["overall"]), rate(m["over_refusal"]["overall"])]
        if model == "base":
            got = [f"{t}: {s['value']:.1f}" for (n, t), s in sorted(skill.items()) if n == model]
            cells.append("; ".join(got))
        else:
            s = skill.get((model, lab["task"]))
            cells.append(
                f"{s['metric']} {s['value']:.1f} ({s['ci_low']:.1f}-{s['ci_high']:.1f})"
                if s
                else "-"
            )
        print(f"| {model} | " + " | ".join(cells) + " |")
    print("\nChange in ASR against the base, points (McNemar p):\n")
    print("| fine-tune | " + " | ".join(formats) + " | all |")
    print("|" + "---|" * (len(formats) + 2))
    base_run = models[0][2]
    for model, _, run in models[1:]:
        by = {r["group"]: r for r in compare(base_run, run)}
        cells = [
            f"{100 * by[g]['diff']:+.0f} (p={by[g]['p_value']:.2g})" for g in [*formats, "overall"]
        ]
        print(f"| {model} | " + " | ".join(cells) + " |")
    print()


def deep_against_standard(folders: dict[str, Path], formats: list[str]) -> None:
    from safetygap.eval.compare import compare

    standard = {m: run for m, _, run in plain_models(folders["standard"])}
    deep = {m: run for m, _, run in plain_models(folders["deep"])}
    print("## The deep base against the standard one, model by model\n")
    print("ASR change from the standard alignment to the deep one, points (McNemar p), on the")
    print("same items: the base, then each fine-tune of it.\n")
    print("| model | " + " | ".join(formats) + " | all |")
    print("|" + "---|" * (len(formats) + 2))
    for model, run in standard.items():
        if model not in deep:
            continue
        by = {r["group"]: r for r in compare(run, deep[model])}
        cells = [
            f"{100 * by[g]['diff']:+.0f} (p={by[g]['p_value']:.2g})" for g in [*formats, "overall"]
        ]
        print(f"| {model} | " + " | ".join(cells) + " |")
    print()


def base_helpfulness(folder: Path) -> dict[str, Path]:
    """task -> the aligned base's helpfulness run on it."""
    index = json.loads((folder / "sweep.json").read_text())
    return {
        s["labels"]["task"]: folder / s["folder"]
        for s in index["stages"]
        if s["kind"] == "helpfulness" and s["labels"]["model"] == "base"
    }


def base_skill_change(folders: dict[str, Path]) -> None:
    """The deep base's skill on each task against the standard base's, paired on the items."""
    from safetygap.helpfulness.compare import compare as compare_skill
    from safetygap.helpfulness.scorers import SCORERS

    standard, deep = base_helpfulness(folders["standard"]), base_helpfulness(folders["deep"])
    print("The bases' skill before any fine-tuning, on the same held-out items (deep minus")
    print("standard; exact McNemar for accuracy and pass@1, a paired bootstrap otherwise):\n")
    print("| task | metric | standard | deep | change (95% CI where bootstrapped) | p |")
    print("|---|---|---|---|---|---|")
    for task in sorted(standard.keys() & deep.keys()):
        kind = json.loads((standard[task] / "helpfulness.json").read_text())["kind"]
        main = SCORERS.get(kind).MAIN
        r = next(r for r in compare_skill(standard[task], deep[task]) if r["metric"] == main)
        k = 100 if r["scale"] == "0-1" else 1
        ci = "" if r["ci_low"] is None else f" ({k * r['ci_low']:+.1f} to {k * r['ci_high']:+.1f})"
        print(
            f"| {task} | {main} | {k * r['a']:.1f} | {k * r['b']:.1f} | {k * r['diff']:+.1f}{ci} "
            f"| {r['p_value']:.2g} |"
        )
    print()


def defences_section(folder: Path) -> None:
    from repair_map import by_format, markdown

    from safetygap.report.collect import collect
    from safetygap.report.repairs import repair_map, tables

    mapped = repair_map(collect(folder))
    mapped = {g: pts for g, pts in mapped.items() if g.split(",")[0] in REPAIRED}
    print("## Defences while fine-tuning (the standard base)\n")
    for table in tables(mapped):
        print(markdown(table))
    for group, points in mapped.items():
        print(by_format(group, points))


def without_secret(folder: Path, out: Path) -> dict[str, tuple[list[Path], list[Path]]]:
    """Each BackdoorAlign fine-tune answers the bench again with no system prompt (its secret
    withheld) into OUT: task -> (its evals behind the secret, the evals without)."""
    from safetygap.eval.run import evaluate

    index = json.loads((folder / "sweep.json").read_text())
    by_name = {s["name"]: s for s in index["stages"]}
    pairs: dict[str, tuple[list[Path], list[Path]]] = {}
    for s in index["stages"]:
        lab = s["labels"]
        if s["kind"] != "eval" or not lab.get("safety_mix", "").startswith("backdoor"):
            continue
        fine_tune = by_name[s["deps"]["adapter"]]
        run = out / Path(fine_tune["folder"]).name
        p = s["params"]
        evaluate(
            str(folder / by_name[s["deps"]["model"]]["folder"] / "model"),
            folder / by_name[s["deps"]["bench"]]["folder"] / "bench.jsonl",
            p["judge"],
            run,
            adapter=str(folder / fine_tune["folder"] / "adapter"),
            system_prompt=None,
            max_new_tokens=p["max_new_tokens"],
            temperature=p["temperature"],
            batch_size=p["batch_size"],
            progress=False,
        )
        behind, bare = pairs.setdefault(lab["task"], ([], []))
        behind.append(folder / s["folder"])
        bare.append(run)
    return pairs


def secret_section(pairs: dict[str, tuple[list[Path], list[Path]]], formats: list[str]) -> None:
    from safetygap.eval.groups import compare_groups, member

    print("## BackdoorAlign without its secret\n")
    print("The backdoor fine-tunes answer the bench again with no system prompt: the deployer's")
    print("secret withheld. ASR %, mean over the training seeds; the change without the secret")
    print("against behind it, points (seed-aware paired test p).\n")
    groups = [*formats, "overall"]
    print("| fine-tune | | " + " | ".join(formats) + " | all |")
    print("|" + "---|" * (len(formats) + 3))
    for task, (behind, bare) in sorted(pairs.items()):
        got = compare_groups([member(f) for f in behind], [member(f) for f in bare])
        rows = {r["group"]: r for r in got}
        for name, key in (("behind the secret", "a"), ("without it", "b")):
            cells = [f"{100 * rows[g][key]:.0f}" for g in groups]
            print(f"| {task} | {name} | " + " | ".join(cells) + " |")
        cells = [f"{100 * rows[g]['diff']:+.0f} (p={rows[g]['p_value']:.2g})" for g in groups]
        print(f"| {task} | change | " + " | ".join(cells) + " |")
    print()


def main() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # repair_map's table helpers
    from safetygap.bench.formats import FORMATS
    from safetygap.sweep.run import sweep

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "defences")
    ap.add_argument("--deep", type=int, default=64, help="align --deep K of the deep base.")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    folders = {}
    for name, cfg in configs(args.deep).items():
        path = args.out / f"{name}.yaml"
        path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        folders[name] = args.out / name
        index = sweep(path, folders[name])
        failed = [s["name"] for s in index["stages"] if s["status"] in ("failed", "skipped")]
        if failed:
            raise SystemExit(f"{name}: {len(failed)} stages did not finish, first {failed[0]}")
    formats = list(FORMATS.names())
    pairs = without_secret(folders["standard"], args.out / "backdoor-no-secret")
    with results_page(PAGE, "Defences beyond the paper's cure", INTRO):
        base_section("standard", folders["standard"], formats)
        base_section(f"deep (--deep {args.deep})", folders["deep"], formats)
        deep_against_standard(folders, formats)
        base_skill_change(folders)
        defences_section(folders["standard"])
        secret_section(pairs, formats)


if __name__ == "__main__":
    main()
