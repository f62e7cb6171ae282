"""`safetygap sweep`: the whole study from one config."""

import json
from pathlib import Path

import typer


def sweep_command(
    config: Path = typer.Argument(
        ..., help="A YAML config, or a preset: quick, paper-mini, paper (configs/)."
    ),
    out: Path = typer.Option(..., "--out", help="The sweep folder (stages/, sweep.json)."),
    executor: str = typer.Option(
        "local", "--executor", help="local (one stage after another) or ray."
    ),
    address: str = typer.Option(
        None, "--address", help="ray: a cluster's HOST:PORT, ray://HOST:PORT or auto."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check the config and list the stages; run and write nothing."
    ),
) -> int:
    """Run a whole study (align, fine-tune, repair, eval, helpfulness, guards) from one config.

    Each stage's folder is addressed by the hash of its inputs and settings: stages shared
    between configs run once, a re-run does no model work, and changing one setting recomputes
    only what depends on it. A killed sweep resumes where it stopped; a corrupt cached result
    is detected and recomputed. A stage that fails is reported and what does not depend on it
    goes on; the exit code is then 1. OUT/sweep.json indexes every stage with its labels,
    folder, status and seconds.

    Every config field is described in docs/sweep.md; presets are in configs/ (quick,
    paper-mini, paper).
    """
    from safetygap.sweep.run import sweep

    if dry_run:
        return list_stages(config, out)
    index = sweep(config, out, executor=executor, address=address)
    summary(index, out)
    bad = [s for s in index["stages"] if s["status"] in ("failed", "skipped")]
    for s in bad:
        print(f"safetygap: {s['status']}: {s['name']}: {s.get('error', '')}")
    return 1 if bad else 0


def demo_command(
    out: Path = typer.Option(Path("runs/demo"), "--out", help="The demo's sweep folder."),
) -> int:
    """The story in one command, on the embedded model (offline, CPU): the quick preset, then
    the report.

    SmolLM2-135M-Instruct (which barely refuses out of the box) is safety-aligned, fine-tuned
    on three benign tasks (classification, translation, code) and once more with the
    all-format safety mix (classification), and the classification fine-tune is repaired
    (RESTA); each model answers a harmful bench in five formats and its task's held-out items,
    and a guard is put in front. OUT/report.html shows where the fine-tunes eroded the
    alignment, by format, what the repairs won back at what cost in skill, and a verdict on
    each of the paper's four findings. Re-running resumes; a finished demo is rebuilt in
    seconds.
    """
    from safetygap.errors import UserError
    from safetygap.report.collect import collect
    from safetygap.report.render import render
    from safetygap.sweep.run import sweep

    index = sweep("quick", out)
    summary(index, out)
    bad = [s for s in index["stages"] if s["status"] in ("failed", "skipped")]
    for s in bad:
        print(f"safetygap: {s['status']}: {s['name']}: {s.get('error', '')}")
    try:
        drawn = render(collect(out), out, out / "report.html")
    except UserError as e:  # nothing finished to show
        print(f"safetygap: no report: {e}")
        return 1
    print(f"report: {len(drawn['figures'])} plots; findings:")
    for f in drawn["findings"]:
        print(f"  {f['verdict']:15} {f['paper']}")
    print(f"open {(out / 'report.html').resolve()}")
    return 1 if bad else 0


def list_stages(config: Path, out: Path) -> int:
    from safetygap.sweep.run import RECORD, prepare

    _, out, stages = prepare(config, out)
    for s in stages:
        done = (out / "stages" / s.folder_name / RECORD).is_file()
        print(f"{'cached ' if done else 'to run '} {s.kind:12} {s.name}")
    print(f"{len(stages)} stages")
    return 0


def summary(index: dict, out: Path) -> None:
    """ASR and over-refusal of every eval, and the skill of its model where measured."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="sweep results (95% CI)")
    for col in ("model", "system prompt", "ASR", "over-refusal", "skill"):
        table.add_column(col)
    from safetygap.helpfulness.scorers import SCORERS

    skill: dict[tuple, list[str]] = {}
    for s in index["stages"]:
        path = out / s["folder"] / "helpfulness.json"
        if s["kind"] == "helpfulness" and path.is_file():
            h = json.loads(path.read_text())
            name = SCORERS.get(h["kind"]).MAIN
            m = h["metrics"][name]
            k = 100 if m.get("scale") == "0-1" else 1
            key = (s["name"].split(":", 1)[1].rsplit("/", 2)[0], s["labels"]["system_prompt"])
            skill.setdefault(key, []).append(f"{s['labels']['task']} {name} {k * m['value']:.1f}")
    for s in index["stages"]:
        path = out / s["folder"] / "metrics.json"
        if s["kind"] != "eval" or not path.is_file():
            continue
        m = json.loads(path.read_text())
        mid = s["name"].split(":", 1)[1].rsplit("/", 1)[0]
        sp = s["labels"]["system_prompt"]
        table.add_row(
            mid,
            sp,
            pct(m["asr"]["overall"]),
            pct(m["over_refusal"]["overall"]),
            "; ".join(skill.get((mid, sp), [])),
        )
    Console(width=max(Console().width, 140)).print(table)
    print(f"index: {out / 'sweep.json'}")


def pct(r: dict) -> str:
    return f"{100 * r['value']:.1f} ({100 * r['ci_low']:.0f}-{100 * r['ci_high']:.0f})"
