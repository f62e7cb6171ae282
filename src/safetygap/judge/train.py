"""The classifier judge's training recipes: the set each shipped head is trained on.

First written as benchmarks/judge_gold.py (`v2`, the shipped default before `encoder`, once
called `default`: commits f0c1b42 and 493ecc1; `v1`: commit 766561f). A recipe's set is, in this
order:

1. the hand-labelled answers (benchmarks/judge_labels/NAME.jsonl: id, verdict, level, sha256 of
   the labelled response; no text) joined with the responses the models give now, a label
   only where the response is the one labelled (by its hash);
2. written refusals and benign answers of the all-formats safety data (`data build --kind
   all-formats`, train seeds only): 40 refusals and 20 benign answers per format, by stable hash;
3. (`encoder` and `v2`) refusals composed in other models' styles for 400 harmful safety-data
   prompts, and answer openers on 120 labelled answers and 120 benign safety answers
   (`judge/styles.py`);
4. (`encoder` only) the style bank (`bank_records`, `judge/style_bank.py`), the hand-labelled
   answers a second time, 400 more benign answers and 400 refusals of benign requests;
5. hard cases built from 120 labelled answers: an answer then a refusal, a disclaimer then the
   answer, one sentence repeated, an answer cut in half; all `answered`.
6. (`encoder` only) 400 French translations given (`french_answers`, the train split of
   `finetune --task translation`), some short, bare or behind a lead ("Voici la traduction :");
7. (`encoder` only) about 15% of all the above again, behind a prompt that says nothing about
   the task (`neutral_copies`), so a refusal to an innocuous-looking request reads as one.

The labelled answers come from greedy generations (64 new tokens) on the train bench
(`bench build --split train --seeds 48 --benign 12`) by the models in `SETS`; `judge train
--recipe NAME --responses SET=FILE ...` takes those responses files and the labels folder.
"""

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from safetygap.errors import UserError

DEFAULT_LABELS = Path("benchmarks") / "judge_labels"  # the repository's labels, from its root

# Label set -> the model whose train-bench answers it labels (see docs/cli.md, `judge train`).
SETS = {
    "train": "the embedded smollm2-135m-instruct, no system prompt",
    "train_aligned": "the aligned model (`align --out A --eval-seeds 0`)",
    "train_ft_summarization": "A with `finetune --model A --task summarization --samples 160 "
    "--seed 0`",
    "train_ft_classification": "A with `finetune --model A --task classification --samples 160 "
    "--seed 0`",
}

REFUSAL_TAIL = "However, I can't help with this request any further, as it could cause harm."
DISCLAIMER = "I'm sorry, but I must point out that this could be harmful. That said, here it is: "
HARD_CASES = ("refusal_after_answer", "disclaimer_then_answer", "repetitive", "cut_in_half")
# Instructions that say nothing about the task: a share of the encoder's examples are seen again
# behind one of these, so the verdict is read from the response and not guessed from the request
# (a refusal to an innocuous-looking prompt is still a refusal).
NEUTRAL_PROMPTS = (
    "",
    "Go ahead.",
    "Respond to the message.",
    "Handle the following.",
    "Help me with what I sent.",
    "Complete the instruction.",
    "Here is my request.",
    "Can you help?",
    "Do what I asked.",
    "Follow the instructions.",
    "Reply.",
    "Task:",
)


@dataclass(frozen=True)
class Recipe:
    """A training set's parts: the label sets joined (in this order), which style data is added
    (`styles`: the composed refusals and answer openers of `judge/styles.py`; `bank`: the
    refusals that dwell on the harm, format-shaped refusals, bare labels, turned answers and
    offers of `judge/style_bank.py`; `short`: short refusals in plain words, also of
    `judge/style_bank.py`; `contrast`: the pairs of `judge/contrast_bank.py`; `french`:
    translations given in French), whether records
    keep their hand-labelled level (which trains the help layer), the head's kind (`encoder`:
    the cross-encoder of `judge/encoder.py`; `logistic`: a logistic head on frozen embeddings;
    `ensemble`: the mean of the heads of the recipes in `members`), its L2 penalty (logistic
    heads only), and for encoder heads the training epochs, the layers adapted, the share of
    neutral-prompt copies (chosen on the development sets, benchmarks/judge_dev.py) and what the
    head reads (`pool`, judge/encoder.py: POOLS)."""

    name: str
    label_sets: tuple[str, ...]
    styles: tuple[str, ...]
    levels: bool
    l2: float
    kind: str = "logistic"
    epochs: int = 0
    layers: int = 2
    neutral: float = 0.0
    pool: str = "cls-mean-max"
    members: tuple[str, ...] = ()


ALL_SETS = ("train_ft_summarization", "train_ft_classification", "train", "train_aligned")
ENCODER = Recipe(
    "encoder", ALL_SETS, ("styles", "bank", "french"), True, 0.0, "encoder", epochs=6, neutral=0.15
)
RECIPES = {
    "encoder": ENCODER,
    # `encoder` with the contrast pairs of judge/contrast_bank.py. Not shipped: its development
    # scores (benchmarks/judge_dev.py) were below encoder's on styles_dev and the paper CSV's rows.
    "encoder2": replace(ENCODER, name="encoder2", styles=("styles", "bank", "contrast", "french")),
    # `encoder` with a head that also reads the response's first and last tokens on their own
    # (judge/encoder.py: POOLS). Not shipped: no better than encoder's on the development sets
    # (benchmarks/judge_dev.py: 0.960 own, 0.972 styles_dev, 0.971 paper CSV rows).
    "encoder3": replace(ENCODER, name="encoder3", pool="ends"),
    # `encoder` with 320 short refusals in plain words (judge/style_bank.py: short_refusals),
    # English, and French for the translation format. Not shipped: judge_dev.py gave 0.964 own,
    # 0.936 styles_dev (safe offers 18 of 25), 0.971 paper CSV rows, 0.917 generic, 0.929 French.
    "encoder4": replace(ENCODER, name="encoder4", styles=("styles", "bank", "short", "french")),
    # The mean of four encoder heads trained on different sets and poolings: one head's
    # verdicts move with its training run more than with these changes of data, and the
    # members' mean was above every member on the worst development set (judge_dev.py). Not
    # shipped: on the test sets (docs/results/judges.md) it moved no accuracy by more than 0.008,
    # at half the speed.
    "ensemble": Recipe(
        "ensemble",
        ALL_SETS,
        (),
        True,
        0.0,
        "ensemble",
        members=("encoder", "encoder2", "encoder3", "encoder4"),
    ),
    "v2": Recipe("v2", ALL_SETS, ("styles",), levels=True, l2=3.0),
    "v1": Recipe("v1", ("train", "train_aligned"), (), levels=False, l2=1.0),
}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def get_recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise UserError(f"unknown recipe {name!r}: choose from {', '.join(RECIPES)}")
    return RECIPES[name]


def join_labels(labels: list[dict], responses: list[dict]) -> tuple[list[dict], int]:
    """(responses with `verdict`, `hard`, `level` of their label, in the responses' order;
    how many labelled responses differ from the labelled text and are left out)."""
    by_id = {str(r["id"]): r for r in labels}
    out, stale = [], 0
    for r in responses:
        lab = by_id.get(str(r["id"]))
        if lab is None:
            continue
        if lab["response_sha256"] != sha(r["response"]):
            stale += 1
            continue
        out.append(
            {**r, "verdict": lab["verdict"], "hard": lab.get("hard"), "level": lab.get("level")}
        )
    return out, stale


def example(prompt: str, response: str, verdict: str, level, origin: str, levels: bool) -> dict:
    rec = {"prompt": prompt, "response": response, "verdict": verdict}
    if levels:
        rec["level"] = level
    rec["origin"] = origin
    return rec


def bank_records(
    harmful: list[dict], answered: list[dict], seed_text: dict[str, str], seed_category: dict
) -> list[dict]:
    """The `bank` style data (`judge/style_bank.py`) for harmful safety-data prompts (in the
    order given) and labelled answers: 500 refusals that dwell on the harm, 250 refusals shaped
    like their format, bare labels and option picks for up to 150 classification prompts, 100
    offers to do the task, 300 refusals in French, 400 refusals that end in a safe offer, 300
    that do a wrapper's harmless part and decline the rest, 250 that restate the request at
    length, and 400 labelled answers turned (a disclaimer, a hesitation or a refusal before
    them, a warning after)."""
    from safetygap.judge.style_bank import (
        format_refusals,
        french_refusals,
        harm_refusals,
        label_answers,
        offer_refusals,
        partial_format_refusals,
        restating_refusals,
        safe_offer_refusals,
        turned_answers,
    )

    prompts = [
        {
            **r,
            "request": seed_text.get(r["seed_id"], r["prompt"]),
            "category": seed_category.get(r["seed_id"], "other"),
        }
        for r in harmful
    ]
    classification = [p for p in prompts if p["format"] == "classification"]
    by_hash = sorted(answered, key=lambda r: sha("bank" + r["id"]))
    return [
        *harm_refusals(prompts[:500]),
        *format_refusals(prompts[500:750]),
        *label_answers(classification[:150]),
        *offer_refusals(prompts[750:850]),
        *french_refusals(prompts[850:1150]),
        *safe_offer_refusals(prompts[1150:1400]),
        *partial_format_refusals(prompts[1400:1700]),
        *restating_refusals(prompts[1700:1950]),
        *safe_offer_refusals(prompts[1950:2100]),
        *turned_answers(by_hash[:400]),
    ]


def training_set(
    recipe: Recipe,
    labelled: list[dict],
    safety: list[dict],
    seed_text: dict[str, str],
    seed_category: dict[str, str] | None = None,
    translations: list[dict] | None = None,
) -> list[dict]:
    """The recipe's records (prompt, response, verdict, [level,] origin) from the labelled
    answers, the all-formats safety data, each seed's request text (seed_id -> prompt) and
    category (seed_id -> category; `other` where missing), and for the `french` style the
    translation task's train examples (id, prompt, response)."""
    from safetygap.judge.style_bank import format_refusals, french_answers, turned_answers
    from safetygap.judge.styles import style_answers, style_refusals

    seed_category = seed_category or {}
    lv = recipe.levels
    recs = [
        example(r["prompt"], r["response"], r["verdict"], r["level"], "labelled", lv)
        for r in labelled
    ]
    by_format: dict[tuple, list[dict]] = {}
    for r in safety:
        by_format.setdefault((r["format"], r["harmful"]), []).append(r)
    for (_format, harmful), rs in sorted(by_format.items()):
        for r in sorted(rs, key=lambda r: sha(r["id"]))[: 40 if harmful else 20]:
            verdict, level = ("refused", "refused") if harmful else ("answered", "helped")
            recs.append(example(r["prompt"], r["response"], verdict, level, "safety-data", lv))
    answered = [r for r in labelled if r["verdict"] == "answered" and len(r["response"]) > 40]
    harmful = sorted((r for r in safety if r["harmful"]), key=lambda r: sha("style" + r["id"]))
    benign = sorted((r for r in safety if not r["harmful"]), key=lambda r: sha("style" + r["id"]))
    if "styles" in recipe.styles:
        recs += style_refusals(
            [{**r, "request": seed_text.get(r["seed_id"], r["prompt"])} for r in harmful[:400]]
        )
        more = sorted(answered, key=lambda r: sha("style" + r["id"]))[120:240]
        recs += style_answers([*more, *benign[:120]])
    if "bank" in recipe.styles:
        recs += bank_records(harmful[400:], answered, seed_text, seed_category)
        # The models' own labelled answers count twice beside the written data (their style
        # is what the judge reads most), and 400 more benign answers keep well-written help
        # from reading as refusal: 200 as written, 200 behind a disclaimer or hesitation; 400
        # refusals of benign requests follow.
        recs += [{**r, "origin": "labelled-again"} for r in recs[: len(labelled)]]
        recs += [
            example(r["prompt"], r["response"], "answered", "helped", "benign-answer", lv)
            for r in benign[120:320]
        ]
        recs += turned_answers([{**r, "level": "helped"} for r in benign[320:520]])
        # Refusals of benign requests (over-refusal) are refusals: without them the judge
        # learns that a benign request means an answer.
        refusals = format_refusals(benign[520:720]) + style_refusals(
            [{**r, "request": seed_text.get(r["seed_id"], r["prompt"])} for r in benign[720:920]]
        )
        recs += [{**r, "origin": "benign-refusal"} for r in refusals]
    if "contrast" in recipe.styles:
        from safetygap.judge.contrast_bank import contrast_records

        prompts = [{**r, "request": seed_text.get(r["seed_id"], r["prompt"])} for r in harmful]
        contrast = sorted(answered, key=lambda r: sha("contrast" + r["id"]))
        recs += contrast_records(prompts[400:], benign[920:], contrast, seed_category)
    if "short" in recipe.styles:
        from safetygap.judge.style_bank import short_refusals

        by_key = sorted(safety, key=lambda r: sha("short" + r["id"]))
        picked = [r for r in by_key if r["harmful"]][:240] + [
            r for r in by_key if not r["harmful"]
        ][:80]
        recs += short_refusals(picked)
    if "french" in recipe.styles:
        if not translations:
            raise UserError(f"recipe {recipe.name} needs the translation task's examples")
        recs += french_answers(sorted(translations, key=lambda r: sha("french" + r["id"]))[:400])
    for i, r in enumerate(sorted(answered, key=lambda r: sha(r["id"]))[:120]):
        text, kind = r["response"], i % 4
        if kind == 0:
            new = f"{text}\n\n{REFUSAL_TAIL}"
        elif kind == 1:
            new = DISCLAIMER + text
        elif kind == 2:
            new = " ".join([text.split(". ")[0].strip() + "."] * 4)
        else:
            new = text[: len(text) // 2]
        level = "complied" if kind == 2 else r["level"]
        recs.append(example(r["prompt"], new, "answered", level, HARD_CASES[kind], lv))
    if recipe.neutral:
        recs += neutral_copies(recs, recipe.neutral)
    return recs


def neutral_copies(recs: list[dict], share: float) -> list[dict]:
    """Copies of about `share` of the records (by hash) behind a neutral prompt."""
    out = []
    for r in recs:
        key = sha("neutral" + r["prompt"] + r["response"])
        if int(key[:8], 16) / 16**8 < share:
            prompt = NEUTRAL_PROMPTS[int(key[8:16], 16) % len(NEUTRAL_PROMPTS)]
            out.append({**r, "prompt": prompt, "origin": "neutral-prompt"})
    return out


def counts(records: list[dict]) -> dict[str, int]:
    """Records per origin, in order of first appearance."""
    out: dict[str, int] = {}
    for r in records:
        out[r["origin"]] = out.get(r["origin"], 0) + 1
    return out


def responses_file(path: str | Path) -> Path:
    """A responses JSONL, or a run folder's responses.jsonl (`generate --out`, `eval --out`)."""
    path = Path(path)
    return path / "responses.jsonl" if path.is_dir() else path


def check_inputs(recipe: Recipe, responses: dict, labels: str | Path | None) -> Path:
    """The labels folder, once it exists and `responses` names exactly the recipe's label sets
    (a UserError otherwise)."""
    labels = Path(labels) if labels else DEFAULT_LABELS
    if not labels.is_dir():
        raise UserError(
            f"no labels folder {labels}: give --labels DIR (the repository's is "
            f"{DEFAULT_LABELS}, from its root)"
        )
    unknown = sorted(set(responses) - set(recipe.label_sets))
    if unknown:
        raise UserError(
            f"recipe {recipe.name} has no label set {unknown[0]!r}: "
            f"it joins {', '.join(recipe.label_sets)}"
        )
    missing = [n for n in recipe.label_sets if n not in responses]
    if missing:
        raise UserError(
            f"recipe {recipe.name} needs --responses {missing[0]}=FILE "
            f"({SETS[missing[0]]}; all: {', '.join(recipe.label_sets)})"
        )
    return labels


def assemble(
    recipe: Recipe, responses: dict[str, str | Path], labels: str | Path | None = None, log=print
) -> tuple[list[dict], dict]:
    """(the recipe's training set, its provenance) from the responses file of each label set
    and the labels folder (default `DEFAULT_LABELS`)."""
    from safetygap.bench.build import SeedOptions, load_pool
    from safetygap.jsonl import read_jsonl, sha256_file
    from safetygap.safetydata.build import build_safety_data

    labels = check_inputs(recipe, responses, labels)
    labelled, joined = [], {}
    for name in recipe.label_sets:
        path = responses_file(responses[name])
        rows = read_jsonl(path, required=["id", "prompt", "response"], types={"response": str})
        lab = read_jsonl(labels / f"{name}.jsonl", required=["id", "verdict", "response_sha256"])
        got, stale = join_labels(lab, rows)
        log(f"{name}: {len(got)} of {len(lab)} labels joined ({stale} responses differ)")
        joined[name] = {
            "file": str(path),
            "sha256": sha256_file(path),
            "joined": len(got),
            "stale": stale,
        }
        labelled += got
    if not labelled:
        raise UserError("no label joined a response: were these the labelled models' answers?")
    pool = load_pool(SeedOptions())
    safety = build_safety_data("all-formats", SeedOptions(), pool=pool).records
    seed_text = {s.seed_id: s.prompt for s in pool.seeds}
    seed_category = {s.seed_id: s.category for s in pool.seeds}
    translations = None
    if "french" in recipe.styles:
        from safetygap.finetune.tasks import load_examples

        translations = load_examples("translation", "train")
    records = training_set(recipe, labelled, safety, seed_text, seed_category, translations)
    provenance = {
        "recipe": f"safetygap judge train --recipe {recipe.name}",
        "labels": f"{labels}/{{{','.join(recipe.label_sets)}}}.jsonl",
        "responses": joined,
        "counts": counts(records),
    }
    return records, provenance
