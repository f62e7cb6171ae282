"""Build the safety datasets: `all-formats` (refusals in every format) and `plain` (the same
seeds in plain format only, the "Safety-Tuned LLaMAs" style).

Only seeds of the `train` split are used, so no bench (test) seed or near-duplicate of one is
ever trained on. Harmful requests get a refusal written for their format (the format module's
`REFUSALS`); benign look-alikes in the same templates get a correct answer (the format's
`benign_response`, composed from the seed's reference answer), joined by the format's own
benign extras (real programs for code, plain translation pairs), so the model learns where the
boundary is rather than to refuse the format.
"""

from safetygap.bench.build import (
    BenchResult,
    SeedOptions,
    load_pool,
    package_versions,
    seed_counts,
)
from safetygap.bench.formats import FORMATS, pick_template, refusal, templates_for, wrap
from safetygap.bench.pool import EmbedFn, SeedPool, balanced
from safetygap.bench.seeds import Seed
from safetygap.errors import Checks, UserError
from safetygap.safetydata import KINDS, canonical_kind

PER_FORMAT = 500  # harmful examples per format, as in the paper (2,000 over four tasks)


def safety_record(
    seed_id: str, fmt: str, template: str, harmful: bool, prompt: str, response: str
) -> dict:
    return {
        "id": f"{fmt}/{template}/{seed_id}",
        "seed_id": seed_id,
        "format": fmt,
        "template": template,
        "harmful": harmful,
        "prompt": prompt,
        "response": response,
    }


def harmful_records(seeds: list[Seed], fmt: str) -> list[dict]:
    out = []
    for seed in seeds:
        template = pick_template(fmt, seed, salt="data")
        record_id = f"{fmt}/{template}/{seed.seed_id}"
        prompt = wrap(fmt, template, seed)
        out.append(
            safety_record(seed.seed_id, fmt, template, True, prompt, refusal(fmt, record_id))
        )
    return out


def benign_records(seeds: list[Seed], fmt: str) -> list[dict]:
    """Benign seeds in every template of `fmt` that has an honest answer for them, then the
    format's own benign extras."""
    module = FORMATS.get(fmt)
    out = []
    for seed in seeds:
        for template in templates_for(fmt, seed):
            response = module.benign_response(template, seed)
            if response:
                prompt = wrap(fmt, template, seed)
                out.append(safety_record(seed.seed_id, fmt, template, False, prompt, response))
    for x in module.benign_extras():
        out.append(
            safety_record(x["seed_id"], fmt, x["template"], False, x["prompt"], x["response"])
        )
    return out


def check_safety_data(kind: str, opts, per_format, formats) -> None:
    """UserError naming every option of `data build` no dataset can be built with (`opts`
    None: seed options not checked), before any seed is read or embedded."""
    from safetygap import inputs
    from safetygap.bench.build import parse_formats

    checks = Checks()
    kind = canonical_kind(kind)
    if kind not in KINDS:
        checks.add(f"unknown dataset kind {kind!r}: choose {' or '.join(KINDS)}")
    checks(inputs.at_least, "--per-format", per_format, 1)
    chosen = checks(parse_formats, formats)
    if kind == "plain" and formats and chosen is not None and chosen != ["plain"]:
        checks.add("the plain safety dataset is plain format only: leave out --formats")
    if opts is not None:
        checks(opts.check)
    checks.done()


def build_safety_data(
    kind: str,
    opts: SeedOptions,
    per_format: int | None = PER_FORMAT,
    formats: list[str] | None = None,
    embed_fn: EmbedFn | None = None,
    pool: SeedPool | None = None,
) -> BenchResult:
    """Records (id, seed_id, format, template, harmful, prompt, response) and a manifest.
    `kind` is `all-formats` or `plain` (or its old name, `multitask` or `singletask`)."""
    from safetygap.bench.build import composition, parse_formats

    kind = canonical_kind(kind)
    check_safety_data(kind, opts if pool is None else None, per_format, formats)
    format_names = ["plain"] if kind == "plain" else parse_formats(formats)
    pool = pool or load_pool(opts, embed_fn)
    harmful = balanced(pool.side("train", harmful=True), per_format, salt="data")
    benign = sorted(pool.side("train", harmful=False), key=lambda s: s.seed_id)
    if not harmful:
        raise UserError("no harmful seeds in the train split")
    records = []
    for fmt in format_names:
        records += harmful_records(harmful, fmt)
        records += benign_records(benign, fmt)
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
        "options": {**opts.describe(), "per_format": per_format, "formats": format_names},
        "seeds": seed_counts(pool, harmful, benign),
        "refusal_texts": {f: len(FORMATS.get(f).REFUSALS) for f in format_names},
        "packages": package_versions(opts.source_names()),
        **comp,
    }
    return BenchResult(records, manifest)
