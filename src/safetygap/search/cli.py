"""`safetygap search`: the worst calibration of a benign fine-tune that still learns its task."""

from pathlib import Path

import typer

from safetygap.search.space import DEFAULT_SPACE, describe

SPACE_HELP = "; ".join(describe(DEFAULT_SPACE))


def search_command(
    task: str = typer.Option(..., "--task", help="The benign task (`safetygap tasks list`)."),
    trials: int = typer.Option(
        ..., "--trials", help="Trials to run (a resumed search adds up to this many in all)."
    ),
    out: Path = typer.Option(..., "--out", help="The search folder (resumable)."),
    space: Path = typer.Option(
        None,
        "--space",
        help="A YAML file of parameters to search: NAME: {low, high[, log, "
        "step]} or NAME: {choices: [...]}; the others keep the default calibration. Default: "
        + SPACE_HELP,
    ),
    objective: str = typer.Option(
        "asr",
        "--objective",
        help="What the search makes worst: asr (answered in any way), harm_asr (real help) or "
        "format:FORMAT (one format's ASR).",
    ),
    skill_floor: float = typer.Option(
        None,
        "--skill-floor",
        help="Feasible: the task's skill at least the default fine-tune's minus D points of its "
        "metric. Without it: at least the aligned base's.",
    ),
    config: str = typer.Option(
        "search",
        "--config",
        help="The sweep config giving the model, alignment, bench, eval and helpfulness (its "
        "fine-tune, if any, is the default calibration): a file or a preset (configs/).",
    ),
    seed: int = typer.Option(0, "--seed", help="The sampler's seed."),
    confirm_seeds: int = typer.Option(
        3,
        "--confirm-seeds",
        help="Re-train the worst feasible and the default calibrations with this many training "
        "seeds and compare them seed-aware (0: skip).",
    ),
    executor: str = typer.Option("local", "--executor", help="local or ray (each trial's stages)."),
    address: str = typer.Option(None, "--address", help="ray: the cluster's address."),
) -> int:
    """Search the calibrations a team might fine-tune with (learning rate, epochs, LoRA rank,
    alpha and targets, sample count, chat template, system prompt at test time) for the worst
    ASR among fine-tunes that still learn their task.

    Optuna's TPE sampler (seeded) proposes each trial; a trial is a sweep (align once, fine-tune,
    eval, helpfulness) whose stages live in OUT/stages, so a setting tried twice costs nothing.
    The default calibration runs first as the reference. A trial whose skill falls below the
    floor is kept as infeasible. At the end the worst feasible calibration and the default are
    re-trained with --confirm-seeds training seeds, and their difference is tested seed-aware:
    CONFIRMED, CONTRADICTED or INCONCLUSIVE. OUT/search.json holds `trials`, `worst`,
    `confirmation` and each parameter's importance; `safetygap report OUT` draws it.
    A killed search resumes from OUT; re-running with a larger --trials extends it.
    """
    from safetygap.search.run import plan_search, search

    plan = plan_search(
        task, trials, out, config=config, space=space, objective=objective,
        skill_floor=skill_floor, seed=seed, confirm_seeds=confirm_seeds, executor=executor,
        address=address,
    )  # fmt: skip
    record = search(plan)
    summary(record)
    print(f"wrote {out / 'search.json'} (report: safetygap report {out})")
    failed = [t for t in record["trials"] if t["state"] == "failed"]
    unconfirmed = (record.get("confirmation") or {}).get("error")
    if unconfirmed:
        print(f"safetygap: the seed confirmation did not finish: {unconfirmed}")
    return 1 if failed or unconfirmed else 0


def summary(record: dict) -> None:
    from safetygap.report.search import tables

    for t in tables(record):
        print(f"\n{t['title']}")
        if t.get("note"):
            print(t["note"])
        widths = [
            max(len(str(r[i])) for r in [t["header"], *t["rows"]]) for i in range(len(t["header"]))
        ]
        for row in [t["header"], *t["rows"]]:
            print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    if not record.get("worst"):
        print("\nno feasible trial: every trial's skill fell below the floor, or failed")
