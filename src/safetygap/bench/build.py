"""Build the bench: seeds -> merged, split -> wrapped in every format.

`build_bench` returns the records and the manifest; `write_with_manifest` writes both
atomically. Same options, same bytes: every choice is sorted or made by `hashing.unit`.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from safetygap.bench import seeds as seedmod
from safetygap.bench.formats import FORMATS, format_of, pick_template, wrap
from safetygap.bench.pool import (
    MERGE_THRESHOLD,
    SPLIT_THRESHOLD,
    TEST_FRACTION,
    EmbedFn,
    SeedPool,
    balanced,
    prepare,
)
from safetygap.bench.seeds import DEFAULT_SOURCES, SOURCES, Seed
from safetygap.errors import Checks, UserError
from safetygap.jsonl import atomic_write, dumps, sha256_file


def benign_sources() -> list[str]:
    return [name for name, s in SOURCES.items() if not s.harmful]


SPLITS = ("test", "train")


@dataclass
class SeedOptions:
    """Where seeds come from. With a seed file or hub dataset and no `sources`, only the benign
    built-in sources are added (so the bench keeps its look-alikes)."""

    sources: list[str] | None = None
    seed_file: Path | None = None
    prompt_column: str = "prompt"
    category_column: str | None = None
    french_column: str | None = None
    hub: str | None = None
    hub_split: str = "train"
    hub_config: str | None = None
    test_fraction: float = TEST_FRACTION

    def source_names(self) -> list[str]:
        if self.sources is not None:
            names = SOURCES.parse(self.sources, extra=["none"])
            return [n for n in names if n != "none"]
        if self.seed_file is not None or self.hub is not None:
            return benign_sources()
        return list(DEFAULT_SOURCES)

    def check(self) -> None:
        """UserError naming every option no seed loading can use (before any seed is read)."""
        from safetygap import inputs

        checks = Checks()
        if not 0.0 < self.test_fraction < 1.0:
            checks.add(f"--test-fraction must be between 0 and 1, got {self.test_fraction}")
        checks(self.source_names)
        if self.seed_file is not None:
            checks(inputs.in_file, self.seed_file, "seed file")
        checks.done()

    def describe(self) -> dict:
        return {
            "sources": self.source_names(),
            "seed_file": Path(self.seed_file).name if self.seed_file else None,
            "prompt_column": self.prompt_column if self.seed_file or self.hub else None,
            "category_column": self.category_column,
            "french_column": self.french_column,
            "hub": self.hub,
            "test_fraction": self.test_fraction,
        }


def load_seeds(opts: SeedOptions) -> list[Seed]:
    """All seeds named by `opts`: user seeds first (so they lead their near-duplicate groups)."""
    opts.check()
    names = opts.source_names()
    loaded: list[Seed] = []
    if opts.seed_file is not None:
        loaded += seedmod.load_file(
            opts.seed_file, opts.prompt_column, opts.category_column, opts.french_column
        )
    if opts.hub is not None:
        loaded += seedmod.load_hub(
            opts.hub, opts.prompt_column, opts.category_column, opts.hub_split, opts.hub_config
        )
    loaded += seedmod.load_sources(names)
    if not any(s.harmful for s in loaded):
        raise UserError("no harmful seeds: name a harmful source, a --seed-file or a --hub set")
    return loaded


def load_pool(opts: SeedOptions, embed_fn: EmbedFn | None = None) -> SeedPool:
    return prepare(load_seeds(opts), embed_fn, opts.test_fraction)


def parse_formats(formats: list[str] | None) -> list[str]:
    return FORMATS.parse(formats) or FORMATS.names()


def package_versions(names: list[str]) -> dict[str, str]:
    versions = {}
    for name in names:
        req = SOURCES.get(name).requirement
        if req:
            try:
                versions[req] = metadata.version(req)
            except metadata.PackageNotFoundError:
                versions[req] = "missing"
    return dict(sorted(versions.items()))


def bench_record(seed: Seed, fmt: str, template: str) -> dict:
    return {
        "id": f"{fmt}/{template}/{seed.seed_id}",
        "seed_id": seed.seed_id,
        "source": seed.source,
        "category": seed.category,
        "source_category": seed.source_category,
        "format": fmt,
        "template": template,
        "harmful": seed.harmful,
        "prompt": wrap(fmt, template, seed),
    }


BENIGN_PER_HARMFUL = 0.2  # default look-alikes per harmful seed when --seeds is given


def default_benign(n_seeds: int) -> int:
    """Benign look-alike seeds that go with `n_seeds` harmful ones by default (1 in 5)."""
    return max(1, round(n_seeds * BENIGN_PER_HARMFUL))


def seed_counts(pool: SeedPool, harmful: list[Seed], benign: list[Seed]) -> dict:
    """The manifest's seed counts: loaded, after merging, per side, and used."""
    return {
        "loaded": pool.n_loaded,
        "after_merge": len(pool.seeds),
        "train": len(pool.side("train")),
        "test": len(pool.side("test")),
        "used_harmful": len(harmful),
        "used_benign": len(benign),
    }


@dataclass
class BenchResult:
    records: list[dict]
    manifest: dict = field(default_factory=dict)


def _counts(records: list[dict], key: str) -> dict:
    return dict(sorted(Counter(r[key] for r in records).items()))


def composition(records: list[dict]) -> dict:
    """Counts by format (harmful/benign), category, source and template."""
    by_format = {}
    for fmt in sorted({format_of(r) for r in records}):
        rs = [r for r in records if format_of(r) == fmt]
        by_format[fmt] = {
            "harmful": sum(r["harmful"] for r in rs),
            "benign": sum(not r["harmful"] for r in rs),
        }
    return {
        "n_items": len(records),
        "n_harmful": sum(r["harmful"] for r in records),
        "n_benign": sum(not r["harmful"] for r in records),
        "by_format": by_format,
        "by_category": _counts(records, "category"),
        "by_source": _counts(records, "source"),
        "by_template": _counts(records, "template"),
    }


def check_bench(opts: SeedOptions | None, split, n_seeds, n_benign, formats) -> None:
    """UserError naming every option of `bench build` no bench can be built with (`opts` None:
    seed options not checked), before any seed is read or embedded."""
    from safetygap import inputs

    checks = Checks()
    if split not in SPLITS:
        checks.add(f"unknown split {split!r}: choose test or train")
    checks(inputs.at_least, "--seeds", n_seeds, 1)
    checks(inputs.at_least, "--benign", n_benign, 0)
    checks(parse_formats, formats)
    if opts is not None:
        checks(opts.check)
    checks.done()


def build_bench(
    opts: SeedOptions,
    split: str = "test",
    n_seeds: int | None = None,
    n_benign: int | None = None,
    formats: list[str] | None = None,
    embed_fn: EmbedFn | None = None,
    pool: SeedPool | None = None,
) -> BenchResult:
    """Bench items for the seeds of one split, each seed once in every format.

    `n_benign` None: every benign seed of the split when `n_seeds` is None too, else
    `default_benign(n_seeds)`, so a small bench stays small."""
    check_bench(opts if pool is None else None, split, n_seeds, n_benign, formats)
    format_names = parse_formats(formats)
    if n_benign is None and n_seeds is not None:
        n_benign = default_benign(n_seeds)
    pool = pool or load_pool(opts, embed_fn)
    harmful = balanced(pool.side(split, harmful=True), n_seeds)
    benign = balanced(pool.side(split, harmful=False), n_benign)
    if not harmful:
        raise UserError(f"no harmful seeds in the {split} split")
    records = [
        bench_record(seed, fmt, pick_template(fmt, seed))
        for seed in harmful + benign
        for fmt in format_names
    ]
    records.sort(key=lambda r: r["id"])
    manifest = {
        "kind": "bench",
        "split": split,
        "options": {
            **opts.describe(),
            "seeds": n_seeds,
            "benign": n_benign,
            "formats": format_names,
        },
        "seeds": seed_counts(pool, harmful, benign),
        "thresholds": {"merge_cosine": MERGE_THRESHOLD, "split_cosine": SPLIT_THRESHOLD},
        "packages": package_versions(opts.source_names()),
        **composition(records),
    }
    return BenchResult(records, manifest)


def build_to_file(
    out: str | Path,
    opts: SeedOptions,
    split: str = "test",
    n_seeds: int | None = None,
    n_benign: int | None = None,
    formats: list[str] | None = None,
) -> tuple[BenchResult, Path]:
    """`bench build`: check every option (and `out`) at once, build the bench, write it and
    its manifest; (the bench, the manifest's path)."""
    from safetygap import inputs

    checks = Checks()
    checks(inputs.out_file, out)
    checks(check_bench, opts, split, n_seeds, n_benign, formats)
    checks.done()
    result = build_bench(opts, split=split, n_seeds=n_seeds, n_benign=n_benign, formats=formats)
    return result, write_with_manifest(out, result.records, result.manifest)


def manifest_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".manifest.json")


def write_with_manifest(out: str | Path, records: list[dict], manifest: dict) -> Path:
    """Write the records, then the manifest (file name and sha256 of the records) beside them."""
    out = Path(out)
    with atomic_write(out) as f:
        for rec in records:
            f.write(dumps(rec) + "\n")
    manifest = {"file": out.name, "sha256": sha256_file(out), **manifest}
    with atomic_write(manifest_path(out)) as f:
        f.write(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return manifest_path(out)
