"""Safety mixing: add safety data to the task data so that it is a given share of the examples.

`--safety-mix all-formats|plain` uses the datasets of `safetygap data build` (built once from
the default seed sources and cached); a FILE is any JSONL with `prompt` and `response`.
`--safety-mix backdoor` is the plain data with `--secret-prompt` as every safety example's system
prompt (BackdoorAlign, see `data.training_set`).
"""

import json
import math
from pathlib import Path

from safetygap.errors import UserError
from safetygap.hashing import unit
from safetygap.home import home
from safetygap.jsonl import ID, TEXT, read_jsonl, sha256_file
from safetygap.safetydata import KINDS, OLD_NAMES, canonical_kind

BACKDOOR = "backdoor"  # the plain safety data, trained behind a secret system prompt


def safety_file(mix: str, log=print) -> Path:
    """The JSONL behind a `--safety-mix` value (built and cached for all-formats|plain; a cache
    built under the old name, such as `multitask.jsonl`, holds the same bytes and is used)."""
    mix = canonical_kind(mix)
    if mix in KINDS:
        path = home() / "safety" / f"{mix}.jsonl"
        old = [home() / "safety" / f"{o}.jsonl" for o, new in OLD_NAMES.items() if new == mix]
        path = next((p for p in [path, *old] if p.is_file()), path)
        if not path.is_file():
            from safetygap.bench.build import SeedOptions, write_with_manifest
            from safetygap.safetydata.build import build_safety_data

            log(f"building the {mix} safety dataset into {path} (once)")
            result = build_safety_data(mix, SeedOptions())
            write_with_manifest(path, result.records, result.manifest)
        return path
    path = Path(mix)
    if not path.is_file():
        raise UserError(f"--safety-mix {mix!r}: not none, {', '.join(KINDS)} or a JSONL file")
    return path


def check_mix(mix: str) -> str:
    """`mix` when it is none, a built safety dataset's name, or a safety file whose records read;
    else UserError (nothing is built)."""
    mix = canonical_kind(mix)
    if mix not in ("none", BACKDOOR, *KINDS):
        load_safety(mix)
    return mix


def load_safety(mix: str, log=print) -> tuple[list[dict], dict]:
    """(safety examples as {id, task, prompt, response}, provenance) for a `--safety-mix`; the
    task of a safety example is `safety/FORMAT`."""
    if mix == "none":
        return [], {}
    path = safety_file("plain" if mix == BACKDOOR else mix, log)
    kinds = {"prompt": TEXT, "response": TEXT, "id": ID, "format": str, "task": str}
    records = read_jsonl(path, ["prompt", "response"], kinds)
    out = []
    for n, rec in enumerate(records, 1):
        out.append(
            {
                "id": str(rec.get("id", f"{path.name}:{n}")),
                "task": f"safety/{rec.get('format') or rec.get('task') or 'plain'}",
                "prompt": str(rec["prompt"]),
                "response": str(rec["response"]),
            }
        )
    return out, {"file": str(path), "sha256": sha256_file(path), "n_records": len(out)}


def n_safety(n_task: int, ratio: float) -> int:
    """Safety examples to add to `n_task` task examples so that they are `ratio` of the total."""
    return round(n_task * ratio / (1.0 - ratio))


def pick(examples: list[dict], n: int, seed: int, salt: str) -> list[dict]:
    """`n` examples in a seeded hash order; repeats the list in new orders if `n` exceeds it."""
    out, round_ = [], 0
    while len(out) < n and examples:
        key = f"{salt}|{seed}|{round_}"
        order = sorted(examples, key=lambda e: (unit(e["id"], key), e["id"]))
        out += order[: n - len(out)]
        round_ += 1
    return out


def mix(task: list[dict], safety: list[dict], ratio: float, seed: int) -> list[dict]:
    """Task examples plus the safety examples that make `ratio` of the result."""
    if ratio == 0 or not safety:
        return list(task)
    return list(task) + pick(safety, n_safety(len(task), ratio), seed, "safety")


def examples_sha256(examples: list[dict]) -> str:
    import hashlib

    h = hashlib.sha256()
    for e in examples:
        h.update((json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n").encode())
    return h.hexdigest()


def repeats(n: int, available: int) -> int:
    """How many passes over the safety data `n` examples take."""
    return math.ceil(n / available) if available else 0
