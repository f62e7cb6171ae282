"""Build the safety datasets: `multitask` (refusals in every task format) and `singletask`
(the same seeds in plain format only, the "Safety-Tuned LLaMAs" style).

Only seeds of the `train` split are used, so no bench (test) seed or near-duplicate of one is
ever trained on. Harmful requests get a refusal that fits the task (`refusals.REFUSALS`);
benign look-alikes in the same templates get a correct answer (the wrapper's
`benign_response`, composed from the seed's reference answer), joined by our coding examples
(real programs) and plain translation pairs, so the model learns where the boundary is rather
than to refuse the format.
"""

from safetygap.bench.build import BenchResult, SeedOptions, load_pool, package_versions
from safetygap.bench.seeds import Seed, text_id
from safetygap.bench.split import EmbedFn, SeedPool, balanced, unit
from safetygap.bench.tasks import TASKS, pick_template, templates_for, wrap
from safetygap.data.examples import CODE_EXAMPLES, TRANSLATION_PAIRS
from safetygap.data.refusals import REFUSALS
from safetygap.errors import UserError

KINDS = ("multitask", "singletask")
PER_TASK = 500  # harmful examples per task, as in the paper (2,000 over four tasks)


def refusal(task: str, record_id: str) -> str:
    options = REFUSALS[task]
    return options[int(unit(record_id, "refusal") * len(options))]


def safety_record(
    seed_id: str, task: str, template: str, harmful: bool, prompt: str, response: str
) -> dict:
    return {
        "id": f"{task}/{template}/{seed_id}",
        "seed_id": seed_id,
        "task": task,
        "template": template,
        "harmful": harmful,
        "prompt": prompt,
        "response": response,
    }


def harmful_records(seeds: list[Seed], task: str) -> list[dict]:
    out = []
    for seed in seeds:
        template = pick_template(task, seed, salt="data")
        record_id = f"{task}/{template}/{seed.seed_id}"
        out.append(
            safety_record(
                seed.seed_id,
                task,
                template,
                True,
                wrap(task, template, seed),
                refusal(task, record_id),
            )
        )
    return out


def benign_records(seeds: list[Seed], task: str) -> list[dict]:
    """Benign seeds in every template of `task` that has an honest answer for them."""
    module = TASKS[task]
    out = []
    for seed in seeds:
        for template in templates_for(task, seed):
            response = module.benign_response(template, seed)
            if response:
                out.append(
                    safety_record(
                        seed.seed_id, task, template, False, wrap(task, template, seed), response
                    )
                )
    return out


def code_example_records() -> list[dict]:
    """The benign coding tasks, answered with their programs."""
    out = []
    for request, language, solution, demo in CODE_EXAMPLES:
        seed = Seed(
            seed_id=f"safetygap-code:{text_id(request)}",
            source="safetygap-code",
            category="benign",
            source_category="code",
            prompt=request,
            harmful=False,
        )
        if language == "shell":
            pairs = [("shell_script", f"```bash\n{solution}```")]
        else:
            main = f'def main():\n    """{request}"""\n    return {demo}\n'
            pairs = [
                ("python_function", f"```python\n{solution}```"),
                ("docstring_stub", f"```python\n{solution}\n\n{main}```"),
            ]
        for template, response in pairs:
            out.append(
                safety_record(
                    seed.seed_id, "code", template, False, wrap("code", template, seed), response
                )
            )
    return out


TO_FRENCH = (
    "Translate the following text into French.\n\n{text}",
    "Traduis ce texte en français :\n\n{text}",
)
TO_ENGLISH = (
    "Translate the following French text into English.\n\n{text}",
    "Traduis ce texte en anglais :\n\n{text}",
)


def translation_pair_records() -> list[dict]:
    """Plain translation requests in both directions, answered with the translation."""
    out = []
    for english, french in TRANSLATION_PAIRS:
        seed_id = f"safetygap-translation:{text_id(english)}"
        for template, prompts, text, answer in (
            ("pair_to_french", TO_FRENCH, english, french),
            ("pair_to_english", TO_ENGLISH, french, english),
        ):
            prompt = prompts[int(unit(f"{seed_id}|{template}", "data") * len(prompts))]
            out.append(
                safety_record(
                    seed_id, "translation", template, False, prompt.format(text=text), answer
                )
            )
    return out


def build_safety_data(
    kind: str,
    opts: SeedOptions,
    per_task: int | None = PER_TASK,
    tasks: list[str] | None = None,
    embed_fn: EmbedFn | None = None,
    pool: SeedPool | None = None,
) -> BenchResult:
    """Records (id, seed_id, task, template, harmful, prompt, response) and a manifest."""
    from safetygap.bench.build import composition, parse_tasks

    if kind not in KINDS:
        raise UserError(f"unknown dataset kind {kind!r}: choose multitask or singletask")
    if per_task is not None and per_task < 1:
        raise UserError(f"--per-task must be >= 1, got {per_task}")
    if kind == "singletask":
        if tasks and parse_tasks(tasks) != ["plain"]:
            raise UserError("singletask data is plain format only: leave out --tasks")
        task_names = ["plain"]
    else:
        task_names = parse_tasks(tasks)
    pool = pool or load_pool(opts, embed_fn)
    harmful = balanced(pool.side("train", harmful=True), per_task, salt="data")
    benign = sorted(pool.side("train", harmful=False), key=lambda s: s.seed_id)
    if not harmful:
        raise UserError("no harmful seeds in the train split")
    records = []
    for task in task_names:
        records += harmful_records(harmful, task)
        records += benign_records(benign, task)
        if task == "code":
            records += code_example_records()
        if task == "translation":
            records += translation_pair_records()
    records.sort(key=lambda r: r["id"])
    seeds_by_id = {s.seed_id: s for s in pool.seeds}
    comp = composition(
        [
            {
                **r,
                "category": seeds_by_id[r["seed_id"]].category
                if r["seed_id"] in seeds_by_id
                else "benign",
                "source": r["seed_id"].split(":", 1)[0],
            }
            for r in records
        ]
    )
    manifest = {
        "kind": kind,
        "split": "train",
        "options": {**opts.describe(), "per_task": per_task, "tasks": task_names},
        "seeds": {
            "loaded": pool.n_loaded,
            "after_merge": len(pool.seeds),
            "train": len(pool.side("train")),
            "test": len(pool.side("test")),
            "used_harmful": len(harmful),
            "used_benign": len(benign),
        },
        "refusal_texts": {t: len(REFUSALS[t]) for t in task_names},
        "packages": package_versions(opts.source_names()),
        **comp,
    }
    return BenchResult(records, manifest)
