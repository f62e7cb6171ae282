"""The repair map: every repair of an eroded fine-tune, safety against task skill.

For each task's plain fine-tune from `paper_table.py` (runs/table/ft-TASK, native chat format,
160 examples), the repairs are:
- training-time: the same fine-tune with plain-format safety data mixed in (`singletask`, the
  usual repair, as in Bianchi et al.'s safety-tuned LLaMAs) or safety data in every format
  (`multitask`, the paper's cure), at 3%, 10% and 30% of the examples (the same count for both);
- PTST ("pure tuning, safe testing", Lyu et al. 2024): the plain fine-tune (trained without a
  safety system prompt) evaluated with the default safety system prompt;
- post-hoc, with `safetygap mitigate`: `scale` at lambda 0.25, 0.5, 0.75; `safelora` (10% of
  modules); `resta` (beta 0.5).
Each repaired model answers the gold bench (eval: ASR per format, over-refusal on benign
look-alikes) and its task's held-out items (helpfulness, the same limits as
`helpfulness_table.py`); both are compared with the unrepaired fine-tune on the same items
(exact McNemar for ASR; the helpfulness test of `safetygap compare`). The cost is the
repair's own compute: training seconds for the mixes, the mitigate run's seconds, 0 for PTST.
Writes runs/repair/map.json and benchmarks/results/repair_map.png (the Pareto front marked:
repairs no other repair beats on both ASR and skill).

    .venv/bin/python benchmarks/repair_map.py [--tasks classification,summarization]

Everything resumes: finished fine-tunes, repairs, evals and helpfulness runs are reused.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

from safetygap.helpfulness.scorers import SCORERS

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "runs" / "table"
HELP = ROOT / "runs" / "helpfulness"
RUNS = ROOT / "runs" / "repair"
PLOT = ROOT / "benchmarks" / "results" / "repair_map.png"
SG = [sys.executable, "-m", "safetygap"]
ALIGNED = ROOT / "runs" / "aligned"
MAIN = {t: SCORERS.get(t).MAIN for t in ("summarization", "translation", "code", "classification")}
LIMITS = {"summarization": 100, "classification": 100, "translation": 40, "code": 60}
DOSES = (0.03, 0.1, 0.3)
LAMBDAS = (0.25, 0.5, 0.75)
GEN = ["--max-new-tokens", 64, "--batch-size", 48, "--judge", "classifier"]


def sh(*args) -> None:
    subprocess.run([str(a) for a in args], check=True)


def repairs(task: str) -> list[dict]:
    """Each repair: name, kind, how to make it, and the model/adapter/system prompt to test."""
    ft = TABLE / f"ft-{task}"
    rows = [{"name": "none", "kind": "none", "model": ALIGNED, "adapter": ft}]
    for mix in ("singletask", "multitask"):
        for dose in DOSES:
            out = TABLE / f"ft-{task}-{mix}-{dose:g}"
            make = ["finetune", "--model", ALIGNED, "--task", task, "--out", out, "--samples", 160]
            make += ["--seed", 0, "--safety-mix", mix, "--safety-ratio", dose]
            rows.append(
                {
                    "name": f"{mix} {dose:.0%}",
                    "kind": mix,
                    "make": make,
                    "model": ALIGNED,
                    "adapter": out,
                }
            )
    rows.append({"name": "PTST", "kind": "ptst", "model": ALIGNED, "adapter": ft, "system": "on"})
    posthoc = [(f"scale {lam}", ["--method", "scale", "--lambda", lam]) for lam in LAMBDAS]
    posthoc += [("safelora", ["--method", "safelora"]), ("resta", ["--method", "resta"])]
    for name, flags in posthoc:
        out = RUNS / task / name.replace(" ", "-")
        make = ["mitigate", "--adapter", ft, "--out", out, *flags]
        row = {"name": name, "kind": name.split()[0], "make": make, "out": out}
        rows.append(row)
    return rows


def cost(row: dict) -> float:
    """Seconds of compute the repair took (training or mitigation; 0 for none and PTST)."""
    if row["kind"] in ("singletask", "multitask"):
        return json.loads((Path(row["adapter"]) / "settings.json").read_text())["train_seconds"]
    if "out" in row:
        return json.loads((row["out"] / "mitigate.json").read_text())["seconds"]
    return 0.0


def run_one(task: str, row: dict) -> dict:
    """Make the repair, evaluate it on the gold bench and the task; the figures."""
    if "make" in row:
        sh(*SG, *row["make"])
    if "out" in row:
        use = json.loads((row["out"] / "mitigate.json").read_text())["use"]
        row["model"], row["adapter"] = use["model"], use["adapter"]
    tag = row["name"].replace(" ", "-").replace("%", "pct")
    model = ["--model", row["model"]] + (["--adapter", row["adapter"]] if row["adapter"] else [])
    system = ["--system-prompt", row.get("system", "off")]
    # the plain fine-tune and the mixes share their runs with paper_table.py and
    # helpfulness_table.py (the same flags); the other repairs have their own
    shared = row["kind"] in ("none", "singletask", "multitask")
    name = Path(row["adapter"]).name if shared else None
    ev = TABLE / f"eval-{name[3:]}" if shared else RUNS / task / f"eval-{tag}"
    sh(*SG, "eval", *model, *system, "--bench", TABLE / "gold_bench.jsonl", "--out", ev, *GEN)
    hp = HELP / name / task if shared else RUNS / task / f"help-{tag}"
    sh(
        *SG,
        "helpfulness",
        *model,
        *system,
        "--task",
        task,
        "--out",
        hp,
        "--limit",
        LIMITS[task],
        "--batch-size",
        32,
        "--eval",
        ev,
    )
    metrics = json.loads((ev / "metrics.json").read_text())
    skill = json.loads((hp / "helpfulness.json").read_text())["metrics"][MAIN[task]]
    return {
        "name": row["name"],
        "kind": row["kind"],
        "eval": str(ev),
        "help": str(hp),
        "asr": metrics["asr"],
        "over_refusal": metrics["over_refusal"]["overall"],
        "skill": skill,
        "seconds": cost(row),
    }


def versus(point: dict, none: dict) -> dict:
    """Paired tests against the unrepaired fine-tune: ASR (overall and per format), over-refusal
    on the benign look-alikes (exact McNemar on the items both runs' judges decided) and skill."""
    from safetygap.eval.compare import compare, over_refusal
    from safetygap.helpfulness.compare import compare as compare_help

    asr = {
        r["group"]: {"diff": r["diff"], "p": r["p_value"]}
        for r in compare(none["eval"], point["eval"])
    }
    refused = over_refusal(none["eval"], point["eval"])
    skill = next(
        r for r in compare_help(none["help"], point["help"]) if r["metric"] == MAIN[point["task"]]
    )
    return {
        "asr": asr,
        "over_refusal": {"diff": refused["diff"], "p": refused["p_value"]},
        "skill": {"diff": skill["diff"], "p": skill["p_value"], "test": skill["test"]},
    }


def pareto(points: list[dict]) -> set[str]:
    """Names of the repairs no other beats on both ASR (lower) and skill (higher)."""
    front = set()
    for p in points:
        a, s = p["asr"]["overall"]["value"], p["skill"]["value"]
        beaten = any(
            q["asr"]["overall"]["value"] <= a
            and q["skill"]["value"] >= s
            and (q["asr"]["overall"]["value"] < a or q["skill"]["value"] > s)
            for q in points
        )
        if not beaten:
            front.add(p["name"])
    return front


def best(points: list[dict]) -> dict | None:
    """The repair with the largest significant ASR cut (paired p < 0.05) whose skill is not
    significantly lower and whose over-refusal is not significantly higher; ties: the cheaper."""

    def moved(change: dict, sign: int) -> bool:
        """Whether a paired change is significant and has the sign `sign`."""
        return sign * change["diff"] > 0 and change["p"] < 0.05

    fine = [
        p
        for p in points[1:]
        if moved(p["versus_none"]["asr"]["overall"], -1)
        and not moved(p["versus_none"]["skill"], -1)
        and not moved(p["versus_none"]["over_refusal"], 1)
    ]
    return min(
        fine, key=lambda p: (p["versus_none"]["asr"]["overall"]["diff"], p["seconds"]), default=None
    )


def percent(skill: dict) -> int:
    """What a skill metric is multiplied by for the tables: 100 for a 0-1 share, else 1."""
    return 100 if skill["scale"] == "0-1" else 1


def change(vs: dict, k: float, brief: bool = False) -> str:
    """A paired change (times k) and its p-value: `-8.0 (p=8.4e-06)`, or `-8.0, 8.4e-06`."""
    if brief:
        return f"{k * vs['diff']:+.1f}, {vs['p']:.2g}"
    return f"{k * vs['diff']:+.1f} (p={vs['p']:.2g})"


def plot(results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {
        "none": "black",
        "singletask": "tab:orange",
        "multitask": "tab:green",
        "ptst": "tab:purple",
        "scale": "tab:blue",
        "safelora": "tab:red",
        "resta": "tab:brown",
    }
    cols = min(2, len(results))
    rows = -(-len(results) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, 5.5 * rows), squeeze=False)
    for ax in axes.flat[len(results) :]:
        ax.axis("off")
    for ax, (task, points) in zip(axes.flat, results.items(), strict=False):
        front = pareto(points)
        k = percent(points[0]["skill"])
        seen = set()
        for p in points:
            x, y = k * p["skill"]["value"], 100 * p["asr"]["overall"]["value"]
            xerr = [[x - k * p["skill"]["ci_low"]], [k * p["skill"]["ci_high"] - x]]
            yerr = [
                [y - 100 * p["asr"]["overall"]["ci_low"]],
                [100 * p["asr"]["overall"]["ci_high"] - y],
            ]
            ax.errorbar(
                x,
                y,
                xerr=xerr,
                yerr=yerr,
                fmt="o",
                label=None if p["kind"] in seen else p["kind"],
                color=colours[p["kind"]],
                ms=9 if p["name"] in front else 5,
                alpha=0.8,
                capsize=2,
            )
            seen.add(p["kind"])
            ax.annotate(p["name"], (x, y), fontsize=7, xytext=(4, 3), textcoords="offset points")
        fp = sorted(
            (k * p["skill"]["value"], 100 * p["asr"]["overall"]["value"])
            for p in points
            if p["name"] in front
        )
        ax.plot(
            [x for x, _ in fp], [y for _, y in fp], "--", color="grey", lw=1, label="Pareto front"
        )
        ax.set_xlabel(f"{task}: {MAIN[task]} (held-out, 95% CI)")
        ax.set_ylabel("ASR on the gold bench, % (95% CI)")
        ax.set_title(f"repairs of the {task} fine-tune")
        ax.legend(loc="upper left", fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PLOT, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="classification,summarization")
    args = ap.parse_args()
    results = {}
    for task in args.tasks.split(","):
        if not (TABLE / f"ft-{task}" / "adapter_config.json").is_file():
            sys.exit(f"no fine-tune {TABLE / f'ft-{task}'}: run benchmarks/paper_table.py first")
        points = [run_one(task, row) for row in repairs(task)]
        for p in points:
            p["task"] = task
        none = points[0]
        for p in points[1:]:
            p["versus_none"] = versus(p, none)
        results[task] = points
    RUNS.mkdir(parents=True, exist_ok=True)
    (RUNS / "map.json").write_text(json.dumps(results, indent=1))
    plot(results)
    for task, points in results.items():
        front = pareto(points)
        print(f"\n### {task}\n")
        print(
            "| repair | ASR % (95% CI) | change, p | over-refusal % (95% CI) | change, p | "
            f"{MAIN[task]} (95% CI) | change, p | seconds | Pareto |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for p in points:
            k = percent(p["skill"])
            a, s, o = p["asr"]["overall"], p["skill"], p["over_refusal"]
            vs = p.get("versus_none")
            da = change(vs["asr"]["overall"], 100, brief=True) if vs else ""
            ds = change(vs["skill"], k, brief=True) if vs else ""
            do = change(vs["over_refusal"], 100, brief=True) if vs else ""
            cells = [
                p["name"],
                f"{100 * a['value']:.1f} ({100 * a['ci_low']:.0f}-{100 * a['ci_high']:.0f})",
                da,
                f"{100 * o['value']:.0f} ({100 * o['ci_low']:.0f}-{100 * o['ci_high']:.0f})",
                do,
                f"{k * s['value']:.1f} ({k * s['ci_low']:.1f}-{k * s['ci_high']:.1f})",
                ds,
                f"{p['seconds']:.0f}",
                "*" if p["name"] in front else "",
            ]
            print("| " + " | ".join(cells) + " |")
    formats = ["plain", "summarization", "code", "translation", "classification"]
    for task, points in results.items():
        print(f"\n### {task}: ASR by format, % (change against no repair; *: McNemar p < 0.05)\n")
        print("| repair | " + " | ".join(formats) + " |\n|" + "---|" * (len(formats) + 1))
        for p in points:
            cells = []
            for f in formats:
                cell = f"{100 * p['asr']['by_format'][f]['value']:.0f}"
                vs = (p.get("versus_none") or {}).get("asr", {}).get(f)
                if vs:
                    cell += f" ({100 * vs['diff']:+.0f}{'*' if vs['p'] < 0.05 else ''})"
                cells.append(cell)
            print(f"| {p['name']} | " + " | ".join(cells) + " |")
    print(
        "\n### best repair per task (largest significant ASR cut, skill and over-refusal not "
        "significantly worse), and the paper's cure\n"
    )
    print(
        "| task | best repair | ASR change | skill change | over-refusal change | seconds | "
        "multitask 30%: ASR, skill, over-refusal |"
    )
    print("|---|---|---|---|---|---|---|")
    for task, points in results.items():
        k = percent(points[0]["skill"])
        cure = next(p for p in points if p["name"] == "multitask 30%")["versus_none"]
        b = best(points)
        picked = (
            [b["name"], change(b["versus_none"]["asr"]["overall"], 100)]
            + [change(b["versus_none"]["skill"], k), change(b["versus_none"]["over_refusal"], 100)]
            + [f"{b['seconds']:.0f}"]
            if b
            else ["none qualifies", "", "", "", ""]
        )
        cured = [change(cure["asr"]["overall"], 100), change(cure["skill"], k)]
        cured.append(change(cure["over_refusal"], 100))
        print(f"| {task} | " + " | ".join(picked) + " | " + ", ".join(cured) + " |")
    print(f"\nwrote {RUNS / 'map.json'} and {PLOT}")


if __name__ == "__main__":
    main()
