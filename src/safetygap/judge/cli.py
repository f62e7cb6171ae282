"""`safetygap judge run|train|agree`."""

import json

import typer
from rich.table import Table

from safetygap.judge import JUDGE_HELP
from safetygap.tables import print_table

app = typer.Typer(
    help="Judges: judge responses, train the classifier head, measure agreement.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@app.command("run")
def run_command(
    responses: str = typer.Option(..., "--responses", help="JSONL with id, prompt, response."),
    out: str = typer.Option(..., "--out", help="judgments JSONL to write (resumable)."),
    judge: str = typer.Option("classifier", "--judge", help=JUDGE_HELP),
) -> None:
    """Judge an existing responses file: one verdict (answered/refused/unparsed) per line."""
    from safetygap import inputs
    from safetygap.errors import Checks
    from safetygap.judge import check_judge
    from safetygap.judge.run import judge_file, read_responses

    checks = Checks()
    checks(read_responses, responses)
    checks(inputs.out_file, out)
    checks(check_judge, judge)
    checks.done()
    new, total = judge_file(judge, responses, out)
    print(f"{out}: {total} judgments ({new} new)")


@app.command("train")
def train_command(
    out: str = typer.Option(..., "--out", help="Folder for head.json (and train.jsonl)."),
    data: str = typer.Option(
        None, "--data", help="JSONL with prompt, response, verdict (and level): train on it."
    ),
    recipe: str = typer.Option(
        None,
        "--recipe",
        help="Build the training set by a recipe instead: encoder (the cross-encoder, the "
        "default), ensemble (the mean of the heads of encoder to encoder4; a stopped run keeps "
        "the members it trained), encoder2 to encoder4 (experimental), v2 (the logistic head "
        "before encoder) or v1; needs --responses.",
    ),
    kind: str = typer.Option(
        None,
        "--kind",
        help="With --data: encoder (the cross-encoder, default) or logistic (a logistic head "
        "on frozen embeddings, as v1 and v2). A recipe sets its own.",
    ),
    responses: list[str] = typer.Option(
        None,
        "--responses",
        help="SET=FILE, repeated: the labelled model's responses for each label set of the "
        "recipe (a responses JSONL or a run folder holding one).",
    ),
    labels: str = typer.Option(
        None,
        "--labels",
        help="Folder of the hand labels SET.jsonl (default: benchmarks/judge_labels, the "
        "repository's, from its root).",
    ),
    l2: float = typer.Option(
        None,
        "--l2",
        help="L2 penalty of a logistic head (default: the recipe's; 3.0 with --data).",
    ),
    epochs: int = typer.Option(
        None, "--epochs", help="Training epochs of an encoder head (default: the recipe's; 6)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of an encoder head's training."),
) -> None:
    """Train the classifier judge's head on labelled (prompt, response, verdict) records.

    With --data, on that file. With --recipe, build the set first (`judge/train.py`): the
    hand labels joined with the responses that match them, the all-formats safety data's
    refusals and answers, style data (default only) and hard cases; written to OUT/train.jsonl
    beside OUT/head.json. Given the labelled responses, the recipe rebuilds the shipped head.
    """
    from pathlib import Path

    from safetygap import inputs
    from safetygap.errors import Checks
    from safetygap.jsonl import read_jsonl, sha256_file
    from safetygap.judge.base import LEVELS, VERDICTS
    from safetygap.judge.train import get_recipe

    checks = Checks()
    if (data is None) == (recipe is None):
        checks.add("give --data FILE or --recipe NAME (one of them)")
    if data is not None and recipe is None and (responses or labels):
        checks.add("--responses and --labels go with --recipe, not --data")
    if recipe is not None:
        checks(get_recipe, recipe)
    files = {}
    for spec in responses or []:
        name, eq, path = spec.partition("=")
        if not eq or not name or not path:
            checks.add(f"--responses {spec!r}: expected SET=FILE")
        files[name] = path
    kinds = {
        "prompt": str,
        "response": str,
        "verdict": frozenset(VERDICTS),
        "level": frozenset((*LEVELS, None)),
    }
    if data is not None and recipe is None:
        records = checks(read_jsonl, data, ["prompt", "response", "verdict"], kinds)
    if kind is not None and recipe is not None:
        checks.add("--kind goes with --data; a recipe sets its own kind")
    if kind not in (None, "encoder", "logistic"):
        checks.add(f"unknown --kind {kind!r}: choose from encoder, logistic")
    if l2 is not None and (kind or "encoder") == "encoder" and recipe is None:
        checks.add("--l2 is a logistic head's penalty: give --kind logistic with it")
    checks(inputs.out_folder, out)
    checks(inputs.at_least, "--l2", l2, 0.0)
    checks(inputs.at_least, "--epochs", epochs, 1)
    checks.done()
    if recipe is None:
        provenance = {"data": str(data), "data_sha256": sha256_file(data)}
        penalty = 3.0 if l2 is None else l2
        fit(kind or "encoder", records, penalty, provenance, out, epochs or 6, seed)
    elif get_recipe(recipe).kind == "ensemble":
        from safetygap.judge.encoder import save_ensemble
        from safetygap.judge.train import check_inputs

        for name in get_recipe(recipe).members:  # every member's inputs, before any training
            check_inputs(get_recipe(name), files, labels)
        members = []
        for name in get_recipe(recipe).members:
            done = Path(out) / f"{name}.json"
            if done.is_file():  # a member trained before the run was stopped
                print(f"{done}: trained before; kept")
            else:
                train_recipe(get_recipe(name), files, labels, out, epochs, l2, seed, name)
            members.append(done)
        path = save_ensemble(members, out, {"recipe": f"safetygap judge train --recipe {recipe}"})
        print(f"wrote {path}: the mean of {len(members)} heads")
    else:
        train_recipe(get_recipe(recipe), files, labels, out, epochs, l2, seed)


def train_recipe(chosen, files, labels, out, epochs, l2, seed, stem="head") -> None:
    """Build a recipe's training set (written to OUT/STEM.train.jsonl, or OUT/train.jsonl for the
    head itself) and train its head into OUT/STEM.json."""
    from pathlib import Path

    from safetygap.jsonl import sha256_file, write_jsonl
    from safetygap.judge.train import assemble

    records, prov = assemble(chosen, files, labels)
    data = Path(out) / ("train.jsonl" if stem == "head" else f"{stem}.train.jsonl")
    write_jsonl(data, records)
    provenance = {
        "recipe": prov["recipe"],
        "data": str(data),
        "data_sha256": sha256_file(data),
        **{k: v for k, v in prov.items() if k != "recipe"},
    }
    print(f"training set: {len(records)} examples {prov['counts']}")
    rounds = epochs or chosen.epochs
    penalty = chosen.l2 if l2 is None else l2
    fit(
        chosen.kind,
        records,
        penalty,
        provenance,
        out,
        rounds,
        seed,
        chosen.layers,
        chosen.pool,
        stem,
    )


def fit(
    kind: str,
    records,
    l2: float,
    provenance: dict,
    out: str,
    epochs: int,
    seed: int,
    layers=2,
    how="cls-mean-max",
    stem="head",
) -> None:
    """Train a head of `kind` on `records` (an encoder: its top `layers` adapted, its head reading
    the `how` pooling) and write it to OUT/STEM.json."""
    if kind == "encoder":
        from safetygap.judge.encoder import save, train_encoder

        meta, tensors = train_encoder(records, layers=layers, epochs=epochs, seed=seed, how=how)
        path = save({**meta, "provenance": provenance}, tensors, out, stem)
        print(f"wrote {path}: {meta['n_train']} examples, {epochs} epochs")
        return
    from safetygap.judge.classifier import save_head, train

    head = train(records, l2, provenance=provenance)
    path = save_head(head, out)
    print(f"wrote {path}: {head['n_train']} examples, train accuracy {head['train_accuracy']:.3f}")


@app.command("agree")
def agree_command(
    run: str = typer.Argument(..., help="Eval run folder (or a responses JSONL file)."),
    judges: list[str] = typer.Option(
        ..., "--judges", help="Judge specs, comma-separated or repeated."
    ),
    gold: str = typer.Option(
        None,
        "--gold",
        help="JSONL with id and verdict (answered/refused), and optionally level "
        "(refused/complied/helped) to score three-way judges too.",
    ),
    out: str = typer.Option(None, "--out", help="Also write the report as JSON here."),
) -> None:
    """Cohen's kappa and confusion between judges; accuracy, precision, recall, F1 vs gold."""
    from safetygap import inputs
    from safetygap.errors import Checks
    from safetygap.jsonl import atomic_write
    from safetygap.judge import check_judge
    from safetygap.judge.agree import LABELS, agree, read_gold, responses_of
    from safetygap.registry import split_names

    names = split_names(judges)
    checks = Checks()
    if len(names) < (1 if gold else 2):
        checks.add("give at least two judges (or one judge and --gold)")
    for name in names:
        checks(check_judge, name)
    checks(responses_of, run)
    if gold:
        checks(read_gold, gold)
    if out:
        checks(inputs.out_file, out)
    checks.done()
    report = agree(run, names, gold)
    for p in report["pairs"]:
        t = Table(
            f"{p['a']} \\ {p['b']}",
            *LABELS,
            title=f"kappa={p['kappa']:.3f} agreement={100 * p['agreement']:.1f}% (n={report['n']})",
        )
        for x in LABELS:
            t.add_row(x, *(str(p["confusion"][x][y]) for y in LABELS))
        print_table(t)
    if report["gold"]:
        print_table(score_table("accuracy", "answered", report["gold"]))
    levelled = {j: s["levels"] for j, s in report["gold"].items() if "levels" in s}
    if levelled:
        title = "3-way accuracy"
        print_table(score_table(title, "helped", levelled, "refused / complied / helped; "))
    if out:
        with atomic_write(out) as f:
            json.dump(report, f, indent=1)


def score_table(accuracy: str, positive: str, rows: dict, levels: str = "") -> Table:
    """One row per judge: n, accuracy (95% CI), precision, recall, F1 (and unparsed where
    counted)."""
    unparsed = all("unparsed" in r for r in rows.values())
    name = "against gold levels" if levels else "against gold"
    t = Table(
        "judge",
        "n",
        f"{accuracy} (95% CI)",
        "precision",
        "recall",
        "F1",
        *(["unparsed"] if unparsed else []),
        title=f"{name} ({levels}positive class: {positive})",
    )
    for j, r in rows.items():
        low, high = r["accuracy_ci"]
        cells = [f"{r['accuracy']:.3f} ({low:.3f}-{high:.3f})"]
        cells += [f"{r[k]:.3f}" for k in ("precision", "recall", "f1")]
        t.add_row(j, str(r["n"]), *cells, *([str(r["unparsed"])] if unparsed else []))
    return t
