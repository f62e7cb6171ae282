"""`safetygap report`: one HTML file (and its Markdown tables) from a sweep or a folder of runs."""

from pathlib import Path

import typer


def report_command(
    folder: Path = typer.Argument(
        ..., help="A sweep folder, a search folder, or a folder holding run folders."
    ),
    out: Path = typer.Option(
        None, "--out", help="The HTML file to write (default FOLDER/report.html)."
    ),
    show_outputs: bool = typer.Option(
        False, "--show-outputs", help="Include a few answered harmful prompts, truncated."
    ),
    max_chars: int = typer.Option(300, "--max-chars", help="Truncate shown outputs here."),
) -> None:
    """Write a self-contained HTML report: ASR heatmap (format x fine-tuning task), ASR per
    calibration, answered vs harmful, the repair map with its Pareto front, ASR during
    fine-tuning, guards per format, and the paper's four findings beside ours.

    Plots are embedded (nothing is fetched when the file is opened); model outputs are left out
    unless `--show-outputs`, and are always escaped. The same tables go to OUT with `.md`, and
    every figure shown to OUT with `.json` (`{"rows": [...]}`, one row per model x format x
    metric: mean, sd, ci_low, ci_high, n_seeds, n_items), for other tools to read. Where a
    sweep has several training seeds, rates are means over them with seed-aware intervals and
    tests (docs/statistics.md).

    A search folder (`safetygap search`) gets the search's plot and tables first, then the
    report of its worst feasible calibration (its seed re-runs where they finished).
    """
    from safetygap import inputs
    from safetygap.errors import Checks
    from safetygap.report.collect import collect, read_json
    from safetygap.report.render import render

    out = out or folder / "report.html"
    checks = Checks()
    first = None
    if (folder / "search.json").is_file():
        from safetygap.report.search import runs_folder, section

        record = checks(read_json, folder / "search.json")
        if record is not None:
            first = section(record)
            runs = checks(collect, runs_folder(folder, record))
    else:
        runs = checks(collect, folder)
    checks(inputs.out_file, out)
    checks(inputs.at_least, "--max-chars", max_chars, 20)
    checks.done()
    drawn = render(runs, folder, out, show_outputs, max_chars, first=first)
    print(f"report: {len(drawn['figures'])} plot(s): {', '.join(drawn['figures']) or 'none'}")
    for f in drawn["findings"]:
        print(f"  {f['verdict']:15} {f['paper']}")
    print(f"wrote {out}, {out.with_suffix('.md')} and {out.with_suffix('.json')}")
