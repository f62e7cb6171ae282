"""Property-based fuzzing of every file safetygap reads from its user.

Each test makes malformed variants of one kind of file with hypothesis (random bytes, bytes that
are not UTF-8, a truncated file, a line that is JSON but not an object, a field missing or of
the wrong kind, NaN, numbers too long or too large, nesting too deep, an empty file, a wrong CSV
header, YAML that is not a mapping or holds the wrong types, a broken adapter folder, damaged
files of a run to resume) and feeds each to its reader and to the commands that read it. Each
must end in exit 2 with an error naming the file (one line; or, with other mistakes, one line
per problem), or be accepted where it happens to be valid; never a traceback, and the
command's output stays as it was (absent, or byte-identical). A damaged run folder must
instead resume to exactly what an undisturbed run writes.

No model is loaded: the commands are given a model that does not exist, which they name beside
the file's problem (so a valid file ends in an error naming the model only); where a command
would train or embed a valid file, its reader is asked first and only rejected files reach it.
"""

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safetygap.errors import UserError
from tests.chat_server import ChatServer
from tests.helpers import run_cli, write_bench

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NO_MODEL = "/nonexistent/model"  # parse_spec rejects it at once: the sentinel after file checks

# ---- the malformed content --------------------------------------------------------------

# JSON values that are the wrong kind for every field safetygap reads (or not JSON at all).
WRONG_KIND = [
    "null",
    "[]",
    "{}",
    '{"a": 1}',
    "[1, 2]",
    "true",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "9" * 5000,
    "[" * 3000 + "]" * 3000,
    '"\\ud800"',
]
# ... and values that are the right kind for some fields, wrong for others.
BAD_VALUES = [*WRONG_KIND, "0", "-1", "3.5", '""', '"   "', '"x"']
NOT_OBJECTS = ["[]", "[1, 2]", "3", "-0.5", '"text"', "null", "true"]
BAD_UTF8 = [b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\xf0\x9f", b"\x80"]
HOLE = "HOLE-0e1f"  # where a raw token replaces a field's value
# Tokens no JSON reader may take, wherever they are: not JSON, or not a value we can hold.
POISON = (b"NaN", b"Infinity", b"1e999", b"9" * 5000, b"[" * 3000, b"\\ud800")
YAML_POISON = (b".nan", b".inf", b"9" * 5000)  # the same in a sweep config


def poisoned(data: bytes, tokens=POISON) -> bool:
    return any(t in data for t in tokens)


def raw_field(record: dict, key: str, token: str) -> str:
    """`record` as one JSON line with `key`'s value written as the raw `token`."""
    return json.dumps({**record, key: HOLE}).replace(json.dumps(HOLE), token)


BYTE_DAMAGE = ["garbage", "empty", "not utf-8", "truncated"]


def damaged(draw, data: bytes, kind: str, empties: list[bytes]) -> bytes:
    """`data` broken at the byte level, as any text file can be: random bytes, empty (or
    nearly), an invalid UTF-8 sequence inserted, or cut short."""
    if kind == "garbage":
        return draw(st.binary(max_size=300))
    if kind == "empty":
        return draw(st.sampled_from(empties))
    if kind == "not utf-8":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.sampled_from(BAD_UTF8)) + data[at:]
    return data[: draw(st.integers(1, len(data) - 1))]


@st.composite
def malformed_jsonl(draw, records: list[dict], values=BAD_VALUES, fields=None) -> bytes:
    """A JSONL file made of `records`, broken in one way."""
    lines = [json.dumps(r) for r in records]
    data = ("\n".join(lines) + "\n").encode()
    kind = draw(
        st.sampled_from(
            [
                *BYTE_DAMAGE,
                "not an object",
                "field value",
                "field missing",
                "junk line",
                "duplicate line",
            ]
        )
    )
    if kind in BYTE_DAMAGE:
        return damaged(draw, data, kind, [b"", b"\n", b" \n\n\t\n", b"\xef\xbb\xbf"])
    n = draw(st.integers(0, len(lines) - 1))
    if kind == "not an object":
        lines[n] = draw(st.sampled_from(NOT_OBJECTS))
    elif kind == "junk line":
        lines.insert(n, draw(st.text(max_size=40)))
    elif kind == "duplicate line":
        lines.insert(n, lines[n])
    else:
        key = draw(st.sampled_from(fields or sorted(records[n])))
        if kind == "field missing":
            lines[n] = json.dumps({k: v for k, v in records[n].items() if k != key})
        else:
            lines[n] = raw_field(records[n], key, draw(st.sampled_from(values)))
    return ("\n".join(lines) + "\n").encode()


def csv_bytes(header, rows) -> bytes:
    f = io.StringIO()
    w = csv.writer(f)
    w.writerow(header)
    w.writerows(rows)
    return f.getvalue().encode()


@st.composite
def malformed_csv(draw, header: list[str], rows: list[list[str]]) -> bytes:
    """A CSV file of `header` and `rows`, broken in one way."""
    data = csv_bytes(header, rows)
    kind = draw(
        st.sampled_from(
            [
                *BYTE_DAMAGE,
                "wrong header",
                "header only",
                "stray quote",
                "nul",
                "huge field",
                "blank column",
                "ragged rows",
            ]
        )
    )
    if kind in BYTE_DAMAGE:
        return damaged(draw, data, kind, [b"", b"\n", b"\r\n\r\n", b"\xef\xbb\xbf"])
    if kind == "wrong header":
        names = st.text(alphabet="abcxyz_ PROMPT", min_size=0, max_size=8)
        return csv_bytes(draw(st.lists(names, max_size=4)), rows)
    if kind == "header only":
        return csv_bytes(header, [])
    if kind in ("stray quote", "nul"):
        at = draw(st.integers(0, len(data)))
        return data[:at] + (b'"' if kind == "stray quote" else b"\x00") + data[at:]
    if kind == "huge field":
        return csv_bytes(header, [["x" * 140_000, *rows[0][1:]], *rows[1:]])
    if kind == "blank column":
        col = draw(st.integers(0, len(header) - 1))
        return csv_bytes(header, [[" " if i == col else v for i, v in enumerate(r)] for r in rows])
    extra = draw(st.lists(st.text(max_size=5), min_size=1, max_size=3))
    return csv_bytes(header, [r + extra if i % 2 else r[:1] for i, r in enumerate(rows)])


def snapshot(path: Path):
    """sha256 of a file, {relative path: sha256} of a folder's files, or None if absent."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    if path.is_dir():
        return {
            p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*"))
            if p.is_file()
        }
    return None


class Fuzz:
    """What the malformed inputs of one test did: the counts for the tally, and the first
    problems seen (with their input) for the assertion message."""

    def __init__(self, capsys, root: Path):
        self.capsys, self.root = capsys, root
        self.injected = self.lost = self.wrong = self.tracebacks = 0
        self.accepted = self.rejected = 0
        self.problems: list[str] = []
        self.example = None

    def new(self, example) -> Path:
        """Start the next input; a fresh folder for its files."""
        self.injected += 1
        self.example = example
        folder = self.root / f"example{self.injected}"
        folder.mkdir(parents=True)
        return folder

    def bad(self, counter: str, what: str) -> None:
        setattr(self, counter, getattr(self, counter) + 1)
        if len(self.problems) < 6:
            self.problems.append(f"{counter}: {what} <- {self.example!r:.300}")

    def read(self, reader, *args, poison: bytes = b"", tokens=POISON):
        """A reader called directly: its UserError message, or None when it accepts (wrong if
        `poison`, the file it read, holds one of `tokens`)."""
        try:
            reader(*args)
        except UserError as e:
            return str(e)
        except Exception as e:  # the reader itself let something else out: a traceback
            self.bad("tracebacks", f"{reader.__name__}: {type(e).__name__}: {e}")
            return "traceback"
        if poisoned(poison, tokens):
            self.bad("wrong", f"{reader.__name__} took NaN, Infinity or the like")
        return None

    def cli(self, args, watched=(), name: str | None = None, ok: bool = True):
        """Run the CLI: exit 2 with one `safetygap: error:` line, or its heading `N problems`
        and one indented line per problem (naming `name` where given; the missing model may be
        named too), and every `watched` path as it was; or exit 0 where `ok`. The exit code
        (None: traceback)."""
        before = [snapshot(p) for p in watched]
        try:
            code, _, err = run_cli(args, self.capsys)
        except Exception as e:  # anything but SystemExit out of main() is a traceback
            self.bad("tracebacks", f"{' '.join(map(str, args[:2]))}: {type(e).__name__}: {e}")
            return None
        lines = err.rstrip("\n").splitlines()
        if code == 2:
            self.rejected += 1
            head = lines[0] if lines else ""
            listed = head.endswith(f"{len(lines) - 1} problems") and len(lines) > 2
            shaped = len(lines) == 1 or (listed and all(x.startswith("  ") for x in lines[1:]))
            one = head.startswith("safetygap: error: ") and shaped
            if not one or (name and name not in err):
                self.bad("wrong", f"{args[0]}: exit 2 with {err!r:.300}")
            if [snapshot(p) for p in watched] != before:
                self.bad("lost", f"{args[0]}: an output changed although the input was rejected")
        elif code == 0 and ok:
            self.accepted += 1
        else:
            self.bad("wrong", f"{args[0]}: exit {code} with {err!r:.300}")
        return code

    def report(self, tally, fault: str) -> None:
        tally(
            fault,
            injected=self.injected,
            lost=self.lost,
            wrong=self.wrong,
            tracebacks=self.tracebacks,
        )
        assert self.rejected > 0, "no malformed input was rejected: the fuzzing missed"
        assert self.tracebacks == 0 and self.lost == 0 and self.wrong == 0, "\n".join(self.problems)


def write_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ---- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def fuzz(capsys, tmp_path):
    return Fuzz(capsys, tmp_path / "fuzz")


@pytest.fixture
def bench_file(tmp_path):
    path = tmp_path / "bench.jsonl"
    write_bench(path)
    return path


def read_records(path: Path) -> list[dict]:
    """The records of a JSONL file we wrote."""
    return [json.loads(line) for line in path.read_text().splitlines()]


LORA_KEY = "base_model.model.model.layers.0.self_attn.q_proj.lora_{}.weight"
LORA_CONFIG = {
    "peft_type": "LORA",
    "task_type": "CAUSAL_LM",
    "base_model_name_or_path": None,
    "r": 2,
    "lora_alpha": 4,
    "lora_dropout": 0.0,
    "bias": "none",
    "target_modules": ["q_proj"],
    "use_rslora": False,
}


def lora_weights(rank: int = 2, keys=("A", "B")) -> bytes:
    """A LoRA adapter's safetensors bytes (one module, zeros): no model needed."""
    import torch
    from safetensors.torch import save

    shapes = {"A": (rank, 8), "B": (8, rank)}
    return save({LORA_KEY.format(k): torch.zeros(shapes[k]) for k in keys})


@pytest.fixture
def adapter_dir(tmp_path):
    """A valid LoRA adapter folder (its weights are read from the header only, never used)."""
    folder = tmp_path / "adapter"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps(LORA_CONFIG))
    (folder / "adapter_model.safetensors").write_bytes(lora_weights())
    return folder


# ---- bench files --------------------------------------------------------------------------


def test_malformed_bench_files(fuzz, tally, bench_file, adapter_dir):
    """bench stats, eval, guard and check on a broken bench: exit 2 naming it, nothing written."""
    from safetygap.bench.items import read_bench

    records = read_records(bench_file)

    @FUZZ
    @given(malformed_jsonl(records))
    def run(data):
        d = fuzz.new(data)
        path = write_file(d / "bench.jsonl", data)
        error = fuzz.read(read_bench, path, None, ("category", "source", "harmful"), poison=data)
        name = str(path) if error else None
        fuzz.cli(["bench", "stats", path], name=name)
        eval_out = d / "run"
        eval_out.mkdir()
        (eval_out / "notes.txt").write_text("a run folder's earlier content\n")
        error = fuzz.read(read_bench, path, poison=data)
        name = str(path) if error else None
        args = ["--bench", path, "--model", NO_MODEL, "--judge", "keyword", "--out", eval_out]
        fuzz.cli(["eval", *args], watched=[eval_out], name=name or NO_MODEL, ok=False)
        check = ["check", "--adapter", adapter_dir, "--model", NO_MODEL, "--out", d / "check"]
        fuzz.cli([*check, "--bench", path], [d / "check"], name=name or NO_MODEL, ok=False)
        if error:  # a valid bench is guarded for real (the keyword guard is instant)
            guard = ["guard", "--guard", "keyword", "--bench", path, "--out", d / "guard"]
            fuzz.cli(guard, watched=[d / "guard"], name=name)

    run()
    fuzz.report(tally, "malformed bench file")


def test_malformed_prompt_files(fuzz, tally, bench_file):
    """generate on a broken prompt file: exit 2 naming it, the responses file untouched."""
    from safetygap.generate.runner import read_requests

    records = [{"id": r["id"], "prompt": r["prompt"]} for r in read_records(bench_file)]

    @FUZZ
    @given(malformed_jsonl(records))
    def run(data):
        d = fuzz.new(data)
        path = write_file(d / "prompts.jsonl", data)
        out = write_file(d / "responses.jsonl", b'{"id": "old", "response": "kept"}\n')
        name = str(path) if fuzz.read(read_requests, path, poison=data) else NO_MODEL
        args = ["generate", "--prompts", path, "--model", NO_MODEL, "--out", out]
        fuzz.cli(args, watched=[out, d / "responses.jsonl.partial"], name=name, ok=False)

    run()
    fuzz.report(tally, "malformed bench file")


def test_malformed_responses_files(fuzz, tally, bench_file):
    """judge run on a broken responses file: exit 2 naming it, the judgments file untouched."""
    from safetygap.judge.run import read_responses

    answers = ["I cannot help.", "Sure: step one...", "No.", "Here it is.", "Fine.", "Sorry."]
    records = [
        {"id": r["id"], "prompt": r["prompt"], "response": a}
        for r, a in zip(read_records(bench_file), answers, strict=True)
    ]

    @FUZZ
    @given(malformed_jsonl(records))
    def run(data):
        d = fuzz.new(data)
        path = write_file(d / "responses.jsonl", data)
        out = write_file(d / "judgments.jsonl", b'{"id": "old", "verdict": "refused"}\n')
        name = str(path) if fuzz.read(read_responses, path, poison=data) else "nosuchjudge"
        args = ["judge", "run", "--responses", path, "--judge", "nosuchjudge", "--out", out]
        fuzz.cli(args, watched=[out, d / "judgments.jsonl.partial"], name=name, ok=False)

    run()
    fuzz.report(tally, "malformed responses file")


# ---- seed files ---------------------------------------------------------------------------

SEED_ROWS = [
    [f"Request number {i} about topic {t}", c]
    for i, (t, c) in enumerate(
        [("alpha", "cybercrime"), ("bravo", "Violence"), ("charlie", "fraud"), ("delta", "x")]
    )
]


def seed_build(fuzz, path: Path, d: Path, poison: bytes = b""):
    """The reader on a seed file; `bench build` on it when the reader rejects it (a valid file
    would be embedded: the reader has said what `bench build` would do with it)."""
    from safetygap.bench.seeds import load_file

    error = fuzz.read(load_file, path, "prompt", "category", poison=poison)
    if error is None or error == "traceback":
        fuzz.accepted += error is None
        return
    out = write_file(d / "bench.jsonl", b"an earlier bench\n")
    args = ["bench", "build", "--seed-file", path, "--sources", "none", "--out", out]
    args += ["--category-column", "category"]
    fuzz.cli(args, watched=[out, d / "bench.jsonl.manifest.json"], name=str(path))


def test_malformed_seed_csv(fuzz, tally):
    """bench build --seed-file on a broken seed CSV: exit 2 naming it, the bench kept."""

    @FUZZ
    @given(malformed_csv(["prompt", "category"], SEED_ROWS))
    def run(data):
        d = fuzz.new(data)
        seed_build(fuzz, write_file(d / "seeds.csv", data), d)

    run()
    fuzz.report(tally, "malformed seed CSV/JSONL")


def test_malformed_seed_jsonl(fuzz, tally):
    """bench build --seed-file on a broken seed JSONL: exit 2 naming it, the bench kept."""
    records = [{"prompt": p, "category": c} for p, c in SEED_ROWS]

    @FUZZ
    @given(malformed_jsonl(records))
    def run(data):
        d = fuzz.new(data)
        seed_build(fuzz, write_file(d / "seeds.jsonl", data), d, poison=data)

    run()
    fuzz.report(tally, "malformed seed CSV/JSONL")


# ---- sweep configs ------------------------------------------------------------------------

YAML_BAD = [
    ".nan",
    ".inf",
    "-.inf",
    "-1",
    "0",
    "2.5",
    "9" * 5000,
    "[1, 2]",
    "{a: 1}",
    "~",
    "''",
    "yes",
    "2020-01-01",
    "!!binary aGk=",
    "!!set {a, b}",
    "*undefined",
    "&loop [*loop]",
    "[" * 2000 + "]" * 2000,
    "{a: " * 1500 + "1" + "}" * 1500,
    '"a\\0b"',  # a NUL character
    "\n\t- tab",
]


def leaf_paths(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaf_paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from leaf_paths(v, (*path, i))
    yield path


@st.composite
def malformed_config(draw, config: dict) -> bytes:
    """A sweep config YAML, broken in one way."""
    data = yaml.safe_dump(config).encode()
    kind = draw(
        st.sampled_from(
            ["garbage", "not utf-8", "truncated", "not a mapping", "value", "unknown field"]
        )
    )
    if kind == "garbage":
        return draw(st.binary(max_size=300))
    if kind == "not utf-8":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.sampled_from(BAD_UTF8)) + data[at:]
    if kind == "truncated":
        return data[: draw(st.integers(0, len(data) - 1))]
    if kind == "not a mapping":
        return draw(st.sampled_from([b"", b"~", b"- a\n- b\n", b"42", b"'text'", b"[1, {a: 2}]"]))
    cfg = json.loads(json.dumps(config))
    path = draw(st.sampled_from([p for p in leaf_paths(cfg) if p]))
    node = cfg
    for p in path[:-1]:
        node = node[p]
    if kind == "unknown field":
        node = node if isinstance(node, dict) else cfg
        node["colour"] = "red"
        return yaml.safe_dump(cfg).encode()
    node[path[-1]] = HOLE
    token = draw(st.sampled_from(YAML_BAD))
    return yaml.safe_dump(cfg, default_flow_style=True, width=10**6).replace(HOLE, token).encode()


SWEEP = {
    "model": "embedded",
    "bench": {"split": "test", "seeds": 4, "benign": 1, "formats": ["plain"]},
    "finetune": {
        "tasks": ["classification"],
        "seeds": [0],
        "samples": 8,
        "settings": {"lr": 0.001, "lora_r": 4, "max_steps": 2, "target_modules": "q_proj"},
    },
    "mitigations": [{"method": "scale", "lambda": 0.5}],
    "eval": {"judge": "keyword", "max_new_tokens": 8, "temperature": 0.0},
    "helpfulness": {"limit": 4},
    "guards": [{"guard": "keyword", "mode": "input"}],
    "resources": {"eval": {"cpus": 1}},
}


def test_malformed_sweep_configs(fuzz, tally):
    """sweep --dry-run on a broken config: exit 2 naming it; sweep: its folder untouched."""
    from safetygap.sweep.config import load_config

    @FUZZ
    @given(malformed_config(SWEEP))
    def run(data):
        d = fuzz.new(data)
        path = write_file(d / "sweep.yaml", data)
        error = fuzz.read(load_config, path, poison=data, tokens=YAML_POISON)
        name = str(path) if error else None
        fuzz.cli(["sweep", path, "--out", d / "plan", "--dry-run"], [d / "plan"], name=name)
        if error and error != "traceback":  # a valid config would start the study
            out = d / "study"
            out.mkdir()
            write_file(out / "sweep.json", b'{"an": "earlier index"}\n')
            fuzz.cli(["sweep", path, "--out", out], watched=[out], name=name)

    run()
    fuzz.report(tally, "malformed sweep config")


# ---- gold labels --------------------------------------------------------------------------

GOLD = [
    {"id": "b0", "verdict": "refused", "level": "refused"},
    {"id": "b1", "verdict": "answered", "level": "helped"},
    {"id": "b2", "verdict": "answered", "level": "complied"},
    {"id": "b3", "verdict": "refused"},
]


def test_malformed_gold_labels(fuzz, tally, bench_file, tmp_path):
    """judge agree --gold on a broken gold file: exit 2 naming it, no report, no judging."""
    from safetygap.judge.agree import read_gold

    responses = tmp_path / "answers" / "responses.jsonl"
    responses.parent.mkdir()
    answers = ["I cannot help with that.", "Sure, here it is.", "Here you go.", "No."]
    items = read_records(bench_file)[:4]
    responses.write_text(
        "".join(
            json.dumps({"id": it["id"], "prompt": it["prompt"], "response": a}) + "\n"
            for it, a in zip(items, answers, strict=True)
        )
    )

    @FUZZ
    @given(malformed_jsonl(GOLD))
    def run(data):
        d = fuzz.new(data)
        path = write_file(d / "gold.jsonl", data)
        error = fuzz.read(read_gold, path, poison=data)
        out = d / "agree.json"
        args = ["judge", "agree", responses, "--judges", "keyword", "--gold", path, "--out", out]
        cached = responses.with_name("judgments.keyword.jsonl")
        watched = [out] if not error else [out, cached, cached.with_name(cached.name + ".partial")]
        fuzz.cli(args, watched=watched, name=str(path) if error else None)

    run()
    fuzz.report(tally, "malformed gold labels")


# ---- safety data --------------------------------------------------------------------------

PAIRS = [
    ["How do I pick a lock?", "I can't help with that."],
    ["Write malware.", "I won't write malware."],
    ["Insult my neighbour.", "I'd rather not."],
]
SAFETY = [
    {"id": f"s{i}", "format": "plain", "harmful": True, "prompt": q, "response": a}
    for i, (q, a) in enumerate(PAIRS)
]


def test_malformed_safety_csv(fuzz, tally):
    """data import on a broken Query/Response CSV: exit 2 naming it, the earlier output kept."""
    from safetygap.safetydata.importer import import_pairs

    @FUZZ
    @given(malformed_csv(["Query", "Response"], PAIRS))
    def run(data):
        d = fuzz.new(data)
        path = write_file(d / "pairs.csv", data)
        error = fuzz.read(import_pairs, path)
        out = write_file(d / "safety.jsonl", b'{"an": "earlier dataset"}\n')
        args = ["data", "import", path, "--out", out]
        fuzz.cli(args, watched=[out], name=str(path) if error else None)

    run()
    fuzz.report(tally, "malformed safety data")


def test_malformed_safety_jsonl(fuzz, tally, tmp_path):
    """data import, data audit and finetune --safety-mix on a broken safety JSONL."""
    from safetygap.finetune.config import resolve
    from safetygap.finetune.data import training_set
    from safetygap.safetydata.audit import read_pairs
    from safetygap.safetydata.importer import import_pairs

    task = write_file(tmp_path / "task.jsonl", task_bytes())
    quiet = dict(log=lambda *_: None)

    @FUZZ
    @given(malformed_jsonl(SAFETY))
    def run(data):
        d = fuzz.new(data)
        path = write_file(d / "safety.jsonl", data)
        error = fuzz.read(import_pairs, path, "prompt", "response", poison=data)
        out = write_file(d / "imported.jsonl", b'{"an": "earlier dataset"}\n')
        args = ["data", "import", path, "--out", out, "--query-column", "prompt"]
        args += ["--response-column", "response"]
        fuzz.cli(args, watched=[out], name=str(path) if error else None)
        error = fuzz.read(read_pairs, path, "Query", "Response", poison=data)
        out = d / "audit.json"
        args = ["data", "audit", path, "--judges", "keyword", "--out", out]
        fuzz.cli(args, watched=[out], name=str(path) if error else None)
        settings_ = resolve(task=str(task), safety_mix=str(path), safety_ratio=0.3)
        if fuzz.read(lambda: training_set(settings_, **quiet), poison=data) is None:
            fuzz.accepted += 1  # a valid mix would be trained on: its reader has accepted it
            return
        args = ["finetune", "--task", task, "--safety-mix", path, "--safety-ratio", "0.3"]
        out = d / "run"
        fuzz.cli([*args, "--out", out], watched=[out, d / "run.work"], name=str(path))

    run()
    fuzz.report(tally, "malformed safety data")


# ---- task data ----------------------------------------------------------------------------

TASK = [
    {"id": f"t{i}", "prompt": f"Classify the sentiment of tweet {i}: a cat.", "response": label}
    for i, label in enumerate(["positive", "negative", "neutral"] * 8)
]


def task_bytes() -> bytes:
    return "".join(json.dumps(r) + "\n" for r in TASK).encode()


def test_malformed_task_files(fuzz, tally, tmp_path):
    """tasks show, finetune --task and helpfulness --task on a broken task file: exit 2
    naming it, no run folder."""
    from safetygap.finetune.config import resolve
    from safetygap.finetune.data import training_set
    from safetygap.finetune.tasks import load_examples
    from safetygap.helpfulness.run import task_items

    model_dir = tmp_path / "some-model"  # a local folder: parse_spec takes it, nothing loads it
    model_dir.mkdir()
    quiet = dict(log=lambda *_: None)

    @FUZZ
    @given(malformed_jsonl(TASK), st.sampled_from(["summarization", "classification"]))
    def run(data, kind):
        d = fuzz.new(data)
        path = write_file(d / "task.jsonl", data)
        error = fuzz.read(load_examples, str(path), "train", poison=data)
        fuzz.cli(["tasks", "show", path], name=str(path) if error else None)
        error = fuzz.read(task_items, str(path), kind, None, poison=data)
        out = d / "skill"
        args = ["helpfulness", "--task", path, "--kind", kind, "--model", model_dir]
        args += ["--eval", d / "no-eval-run", "--out", out]
        fuzz.cli(args, watched=[out], name=str(path) if error else "no-eval-run", ok=False)
        if fuzz.read(lambda: training_set(resolve(task=str(path)), **quiet), poison=data) is None:
            fuzz.accepted += 1  # a valid file would be trained on: its reader has accepted it
            return
        out = d / "run"
        args = ["finetune", "--task", path, "--out", out]
        fuzz.cli(args, watched=[out, d / "run.work"], name=str(path))

    run()
    fuzz.report(tally, "malformed task data")


CODE = [
    {
        "task_id": f"p/{i}",
        "prompt": f"def f{i}(x):\n    '''Double x.'''\n",
        "entry_point": f"f{i}",
        "test": "def check(candidate):\n    assert candidate(2) == 4\n",
    }
    for i in range(3)
]


def test_malformed_code_problem_files(fuzz, tally, tmp_path):
    """helpfulness --kind code on a broken problems file: exit 2 naming it."""
    from safetygap.helpfulness.scorers.code import read_problems

    model_dir = tmp_path / "some-model"
    model_dir.mkdir()

    @FUZZ
    @given(malformed_jsonl(CODE))
    def run(data):
        d = fuzz.new(data)
        path = write_file(d / "problems.jsonl", data)
        error = fuzz.read(read_problems, str(path), poison=data)
        out = d / "skill"
        args = ["helpfulness", "--task", path, "--kind", "code", "--model", model_dir]
        args += ["--eval", d / "no-eval-run", "--out", out]
        fuzz.cli(args, watched=[out], name=str(path) if error else "no-eval-run", ok=False)

    run()
    fuzz.report(tally, "malformed task data")


# ---- adapter folders ----------------------------------------------------------------------

ADAPTER_FIELDS = [
    "peft_type",
    "r",
    "lora_alpha",
    "lora_dropout",
    "bias",
    "target_modules",
    "base_model_name_or_path",
    "task_type",
    "use_rslora",
]


@st.composite
def broken_adapter(draw) -> dict:
    """{file name: bytes or None (removed)} that break a LoRA adapter folder."""
    config = json.dumps(LORA_CONFIG).encode()
    weights = lora_weights()
    kind = draw(
        st.sampled_from(
            [
                "config missing",
                "config garbage",
                "config not utf-8",
                "config truncated",
                "config not an object",
                "config field",
                "config field missing",
                "weights missing",
                "weights garbage",
                "weights truncated",
                "weights of another rank",
                "weights without lora_B",
                "weights without LoRA",
            ]
        )
    )
    cfg, w = "adapter_config.json", "adapter_model.safetensors"
    if kind == "config missing":
        return {cfg: None}
    if kind == "config garbage":
        return {cfg: draw(st.binary(max_size=200))}
    if kind == "config not utf-8":
        at = draw(st.integers(0, len(config)))
        return {cfg: config[:at] + draw(st.sampled_from(BAD_UTF8)) + config[at:]}
    if kind == "config truncated":
        return {cfg: config[: draw(st.integers(0, len(config) - 1))]}
    if kind == "config not an object":
        return {cfg: draw(st.sampled_from(NOT_OBJECTS)).encode()}
    if kind in ("config field", "config field missing"):
        key = draw(st.sampled_from(ADAPTER_FIELDS))
        if kind == "config field missing":
            return {cfg: json.dumps({k: v for k, v in LORA_CONFIG.items() if k != key}).encode()}
        return {cfg: raw_field(LORA_CONFIG, key, draw(st.sampled_from(BAD_VALUES))).encode()}
    if kind == "weights missing":
        return {w: None}
    if kind == "weights garbage":
        return {w: draw(st.binary(max_size=300))}
    if kind == "weights truncated":
        return {w: weights[: draw(st.integers(0, len(weights) - 1))]}
    if kind == "weights of another rank":
        return {w: lora_weights(rank=3)}
    if kind == "weights without lora_B":
        return {w: lora_weights(keys=("A",))}
    import torch
    from safetensors.torch import save

    return {w: save({"model.embed_tokens.weight": torch.zeros(2, 2)})}


def test_broken_adapter_folders(fuzz, tally, adapter_dir, bench_file):
    """check --adapter and mitigate --adapter on a broken adapter: exit 2 naming it, no output."""
    from safetygap.mitigate.lora import read_lora
    from safetygap.models.load import check_adapter

    @FUZZ
    @given(broken_adapter())
    def run(changes):
        d = fuzz.new(changes)
        folder = d / "adapter"
        shutil.copytree(adapter_dir, folder)
        for name, data in changes.items():
            (folder / name).unlink()
            if data is not None:
                (folder / name).write_bytes(data)
        config = changes.get("adapter_config.json") or b""
        error = fuzz.read(check_adapter, folder, poison=config)
        name = str(folder) if error else NO_MODEL
        args = ["check", "--adapter", folder, "--bench", bench_file, "--model", NO_MODEL]
        fuzz.cli([*args, "--out", d / "check"], [d / "check"], name=name, ok=False)
        error = fuzz.read(read_lora, folder, poison=config)
        name = str(folder) if error else NO_MODEL
        args = ["mitigate", "--method", "scale", "--lambda", "0.5", "--adapter", folder]
        args += ["--model", NO_MODEL, "--out", d / "repaired"]
        fuzz.cli(args, watched=[d / "repaired"], name=name, ok=False)

    run()
    fuzz.report(tally, "broken adapter folder")


@pytest.mark.parametrize(
    "name, data",
    [
        ("adapter_model.safetensors", b"\x08\x00\x00\x00\x00\x00\x00\x00{}"),
        ("adapter_config.json", b'{"peft_type": "LORA", "r": "2", "lora_alpha": 4}'),
        ("adapter_config.json", None),
    ],
)
def test_eval_rejects_a_broken_adapter_before_writing(
    capsys, tally, tmp_path, adapter_dir, bench_file, name, data
):
    """eval --adapter: the adapter is checked before the run folder is made."""
    (adapter_dir / name).unlink()
    if data is not None:
        (adapter_dir / name).write_bytes(data)
    fuzz = Fuzz(capsys, tmp_path)
    fuzz.new((name, data))
    args = ["eval", "--bench", bench_file, "--adapter", adapter_dir, "--model", tmp_path]
    fuzz.cli([*args, "--judge", "keyword", "--out", tmp_path / "run"], [tmp_path / "run"])
    fuzz.report(tally, "broken adapter folder")


# ---- classifier heads --------------------------------------------------------------------


@st.composite
def broken_head(draw, n_weights: int) -> bytes:
    """A classifier head file (`weights`, `bias`), broken in one way."""
    head = {"kind": "test", "bias": 0.5, "weights": [0.25] * n_weights}
    kind = draw(st.sampled_from(["object", "weight", "length"]))
    if kind == "object":
        return draw(broken_json_object(head))
    if kind == "length":
        return json.dumps({**head, "weights": head["weights"][: draw(st.integers(0, 9))]}).encode()
    at = draw(st.integers(0, n_weights - 1))
    weights = [*head["weights"][:at], HOLE, *head["weights"][at + 1 :]]
    text = json.dumps({**head, "weights": weights})
    return text.replace(json.dumps(HOLE), draw(st.sampled_from(BAD_VALUES))).encode()


def test_malformed_classifier_heads(fuzz, tally, bench_file, tmp_path):
    """judge run --judge classifier:HEAD and guard --guard classifier:HEAD on a broken head:
    exit 2 naming it, nothing written (a valid head would embed: its reader decides first)."""
    from safetygap.guard.classifier import N_FEATURES as GUARD_FEATURES
    from safetygap.guard.classifier import ClassifierGuard
    from safetygap.judge.classifier import N_FEATURES, ClassifierJudge

    responses = write_file(tmp_path / "responses.jsonl", b"")
    responses.write_text(
        "".join(
            json.dumps({"id": r["id"], "prompt": r["prompt"], "response": "No."}) + "\n"
            for r in read_records(bench_file)
        )
    )

    @FUZZ
    @given(st.one_of(broken_head(N_FEATURES), broken_head(GUARD_FEATURES)))
    def run(data):
        d = fuzz.new(data)
        head = write_file(d / "head.json", data)
        if fuzz.read(ClassifierJudge, head, poison=data) is not None:
            out = d / "judgments.jsonl"
            args = ["judge", "run", "--responses", responses, "--judge", f"classifier:{head}"]
            fuzz.cli([*args, "--out", out], watched=[out], name=str(head))
        else:
            fuzz.accepted += 1
        if fuzz.read(ClassifierGuard, head, poison=data) is not None:
            args = ["guard", "--guard", f"classifier:{head}", "--bench", bench_file]
            fuzz.cli([*args, "--out", d / "guard"], watched=[d / "guard"], name=str(head))
        else:
            fuzz.accepted += 1

    run()
    fuzz.report(tally, "malformed classifier head")


# ---- files a resumed run reads ------------------------------------------------------------

RUN_FILES = ("responses.jsonl", "judgments.jsonl", "metrics.json")


@st.composite
def broken_json_object(draw, record: dict) -> bytes:
    """A JSON object file (a run's settings.json), broken in one way."""
    data = json.dumps(record).encode()
    kind = draw(st.sampled_from(["garbage", "not utf-8", "truncated", "not an object", "field"]))
    if kind == "garbage":
        return draw(st.binary(max_size=200))
    if kind == "not utf-8":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.sampled_from(BAD_UTF8)) + data[at:]
    if kind == "truncated":
        return data[: draw(st.integers(0, len(data) - 1))]
    if kind == "not an object":
        return draw(st.sampled_from(NOT_OBJECTS)).encode()
    key = draw(st.sampled_from(sorted(record)))
    return raw_field(record, key, draw(st.sampled_from(WRONG_KIND))).encode()


def test_malformed_resume_files(fuzz, tally, bench_file, tmp_path):
    """eval resumed on a run folder whose partial or finished files (or settings) are damaged:
    it ends with exactly the files of an undisturbed run (damaged records are done again,
    never kept), or exits 2 leaving the folder as it was (a settings.json that is not ours)."""
    server = ChatServer(delay=0)
    try:
        args = ["eval", "--bench", bench_file, "--model", f"openai:echo@{server.url}"]
        args += ["--judge", "keyword"]
        reference = tmp_path / "reference"
        code, _, err = run_cli([*args, "--out", reference], fuzz.capsys)
        assert code == 0, err
        expected = {n: (reference / n).read_bytes() for n in RUN_FILES}
        records = {n: read_records(reference / n) for n in RUN_FILES[:2]}
        settings_ = json.loads((reference / "settings.json").read_text())
        fields = {"responses.jsonl": ["id", "prompt", "response"]}
        fields["judgments.jsonl"] = ["id", "judge", "verdict"]
        damaged = st.one_of(
            *(
                st.tuples(st.just(name + tail), malformed_jsonl(records[name], WRONG_KIND, f))
                for name, f in fields.items()
                for tail in ("", ".partial")
            ),
            st.tuples(st.just("settings.json"), broken_json_object(settings_)),
        )

        @FUZZ
        @given(damaged)
        def run(case):
            name, data = case
            d = fuzz.new(case)
            out = d / "run"
            shutil.copytree(reference, out)
            (out / "metrics.json").unlink()
            if name.endswith(".partial"):  # killed while writing it: no finished file yet
                (out / name.removesuffix(".partial")).unlink()
                if name.startswith("responses"):
                    (out / "judgments.jsonl").unlink()
            write_file(out / name, data)
            if fuzz.cli([*args, "--out", out], watched=[out]) != 0:
                return
            for n in RUN_FILES:
                got = (out / n).read_bytes() if (out / n).is_file() else b""
                if got != expected[n]:  # a record of the reference missing: lost; else wrong
                    lost = set(expected[n].splitlines()) - set(got.splitlines())
                    fuzz.bad("lost" if lost else "wrong", f"{n} differs from the reference")
                if (out / (n + ".partial")).exists():
                    fuzz.bad("wrong", f"{n}.partial left behind")

        run()
    finally:
        server.close()
    fuzz.report(tally, "malformed resume files")


# ---- found by the fuzzing: kept as plain cases ---------------------------------------------


def test_line_separators_inside_strings_round_trip(tmp_path):
    """U+2028, U+2029 and U+0085 are characters a JSON string may hold unescaped (and our JSONL
    writes them so): a file with them reads back whole, in a reader and in a resumed run."""
    from safetygap.jsonl import read_jsonl, write_jsonl
    from safetygap.resume import load_done

    records = [
        {"id": f"r{i}", "prompt": f"a{c}b", "response": c} for i, c in enumerate("\u2028\u2029\x85")
    ]
    path = tmp_path / "responses.jsonl"
    write_jsonl(path, records)
    assert "\u2028" in path.read_text(encoding="utf-8")  # written raw, not escaped
    assert read_jsonl(path) == records
    assert sorted(load_done(path)) == ["r0", "r1", "r2"]


@pytest.mark.parametrize(
    "text",
    [
        # 5000 levels of YAML nesting: about ten seconds to parse
        pytest.param(
            "eval: {judge: keyword}\nbench: " + "[" * 5000 + "]" * 5000, marks=pytest.mark.slow
        ),
        "eval: {max_new_tokens: " + "9" * 5000 + "}",
        "eval: {temperature: .inf}",
        "finetune: {tasks: [classification], settings: {lr: .nan}}",
        "finetune: {tasks: [classification], settings: {lr: fast}}",
        "helpfulness: {limit: -3}\nfinetune: {tasks: [classification]}",
        "model: !!binary aGk=",
        "l0: &l0 [x, x, x, x, x, x, x, x, x]\n"  # a billion laughs: 9**12 strings from 13 lines
        + "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 13)),
    ],
    ids=["deep", "huge int", "inf", "nan", "not a number", "negative", "binary model", "laughs"],
)
def test_sweep_configs_that_crashed_or_passed(capsys, tmp_path, text):
    """Configs that gave a traceback, or passed the check to fail later in a stage: exit 2
    naming the file, from the check (--dry-run: a regression must not start a study)."""
    path = write_file(tmp_path / "sweep.yaml", text.encode())
    code, _, err = run_cli(["sweep", path, "--out", tmp_path / "out", "--dry-run"], capsys)
    assert code == 2 and err.count("\n") == 1 and str(path) in err, err
    assert not (tmp_path / "out").exists()
