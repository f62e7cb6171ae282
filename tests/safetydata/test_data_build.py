import csv
import json

import numpy as np
import pytest

from safetygap.bench.build import manifest_path, write_with_manifest
from safetygap.bench.formats import FORMATS
from safetygap.bench.pool import SPLIT_THRESHOLD
from safetygap.cli import main
from safetygap.errors import UserError
from safetygap.safetydata.build import build_safety_data

DATA_FIELDS = ["id", "seed_id", "format", "template", "harmful", "prompt", "response"]


def test_all_formats_uses_train_seeds_only_with_fitting_refusals(seed_opts, seed_pool):
    records = build_safety_data("all-formats", seed_opts, pool=seed_pool).records
    assert all(list(r) == DATA_FIELDS for r in records)
    assert len({r["id"] for r in records}) == len(records)
    test_ids = {s.seed_id for s in seed_pool.side("test")}
    assert not {r["seed_id"] for r in records} & test_ids
    for fmt, module in FORMATS.items():
        harmful = [r for r in records if r["format"] == fmt and r["harmful"]]
        benign = [r for r in records if r["format"] == fmt and not r["harmful"]]
        assert len(harmful) == len(seed_pool.side("train", harmful=True))
        assert benign, fmt  # every format has benign examples answered normally
        assert all(r["response"] in module.REFUSALS for r in harmful)
        assert not any(r["response"] in module.REFUSALS for r in benign)
        assert len({r["response"] for r in harmful}) > 1  # varied refusals
        extras = {(x["seed_id"], x["template"]) for x in module.benign_extras()}
        assert extras <= {(r["seed_id"], r["template"]) for r in benign}
    code = [r for r in records if r["format"] == "code" and not r["harmful"]]
    assert all(r["response"].startswith("```") for r in code)


def test_plain_is_plain_only(seed_opts, seed_pool):
    single = build_safety_data("plain", seed_opts, pool=seed_pool).records
    multi = build_safety_data("all-formats", seed_opts, pool=seed_pool).records
    assert {r["format"] for r in single} == {"plain"}
    assert single == [r for r in multi if r["format"] == "plain"]
    with pytest.raises(UserError, match="plain format only"):
        build_safety_data("plain", seed_opts, formats=["code"], pool=seed_pool)
    with pytest.raises(
        UserError, match="unknown dataset kind 'bigtask': choose all-formats or plain"
    ):
        build_safety_data("bigtask", seed_opts, pool=seed_pool)


@pytest.mark.parametrize("old, new", [("multitask", "all-formats"), ("singletask", "plain")])
def test_old_names_build_the_same_data(tmp_path, seed_opts, seed_pool, old, new):
    """The names before the rename give the same bytes, manifest and all, under the new name."""
    files = []
    for kind in (old, new):
        result = build_safety_data(kind, seed_opts, pool=seed_pool)
        assert result.manifest["kind"] == new
        files.append(tmp_path / kind / "data.jsonl")
        write_with_manifest(files[-1], result.records, result.manifest)
    assert files[0].read_bytes() == files[1].read_bytes()
    assert manifest_path(files[0]).read_bytes() == manifest_path(files[1]).read_bytes()


def test_per_format_caps_harmful_examples(seed_opts, seed_pool):
    records = build_safety_data(
        "all-formats", seed_opts, per_format=2, formats=["plain"], pool=seed_pool
    ).records
    assert sum(r["harmful"] for r in records) == 2


def test_cli_real_data_is_deterministic_and_disjoint_from_the_bench(tmp_path, real_pool, capsys):
    """Built twice, with today's options and with their old spellings (`--kind multitask
    --per-task`, printing nothing more): the same bytes, manifest included."""
    outs = [tmp_path / "a" / "data.jsonl", tmp_path / "b" / "data.jsonl"]
    argvs = [
        ["--kind", "all-formats", "--per-format", "200"],
        ["--kind", "multitask", "--per-task", "200", "--tasks", ",".join(FORMATS)],
    ]
    printed = []
    for out, argv in zip(outs, argvs, strict=True):
        code, stdout, err = run_cli(["data", "build", *argv, "--out", str(out)], capsys)
        assert code == 0 and not err
        printed.append(stdout.replace(str(out.parent), "OUT"))
    assert printed[0] == printed[1]
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert manifest_path(outs[0]).read_bytes() == manifest_path(outs[1]).read_bytes()
    records = [json.loads(x) for x in outs[0].read_text(encoding="utf-8").splitlines()]
    manifest = json.loads(manifest_path(outs[0]).read_text())
    assert manifest["n_harmful"] == 200 * len(FORMATS) and manifest["kind"] == "all-formats"
    # No trained seed is a test seed, nor a near-duplicate of one.
    index = {s.seed_id: i for i, s in enumerate(real_pool.seeds)}
    trained = sorted({index[r["seed_id"]] for r in records if r["seed_id"] in index})
    assert all(real_pool.split[real_pool.seeds[i].seed_id] == "train" for i in trained)
    test = [i for i, s in enumerate(real_pool.seeds) if real_pool.split[s.seed_id] == "test"]
    v = real_pool.vectors
    assert float(np.max(v[trained] @ v[test].T)) < SPLIT_THRESHOLD


def run_cli(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    captured = capsys.readouterr()
    return e.value.code, captured.out, captured.err


def test_data_build_bad_kind_exits_2(tmp_path, capsys):
    out = tmp_path / "d.jsonl"
    code, _, err = run_cli(["data", "build", "--kind", "huge", "--out", str(out)], capsys)
    assert code == 2 and "unknown dataset kind 'huge': choose all-formats or plain" in err
    assert "multitask" not in err and not out.exists()


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_import_paper_format(tmp_path, capsys):
    src = write_csv(
        tmp_path / "paper.csv",
        ["Query", "Response"],
        [
            ["first query", "first refusal"],
            ["second query", "second refusal"],
            ["first query", "duplicate"],
            ["", "no query"],
        ],
    )
    out = tmp_path / "imported.jsonl"
    code, _, _ = run_cli(["data", "import", str(src), "--out", str(out)], capsys)
    assert code == 0
    records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["prompt"] for r in records] == ["first query", "second query"]
    assert all(r["format"] == "imported" and r["harmful"] is True for r in records)
    assert list(records[0]) == ["id", "seed_id", "format", "harmful", "prompt", "response"]
    benign = tmp_path / "benign.jsonl"
    for flag in (["--label", "benign"], ["--benign"]):  # --benign: the old spelling
        code, _, _ = run_cli(["data", "import", str(src), "--out", str(benign), *flag], capsys)
        assert code == 0
        assert all(json.loads(x)["harmful"] is False for x in benign.read_text().splitlines())
    code, _, err = run_cli(
        ["data", "import", str(src), "--out", str(benign), "--label", "x"], capsys
    )
    assert code == 2 and "--label must be harmful or benign" in err


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty file"),
        (b"Question,Answer\nq,a\n", "no column 'Query', 'Response'"),
        (b"Query,Response\n\xff\xfeq,a\n", "not UTF-8"),
        (b"Query,Response\n,\n", "no row has both"),
    ],
)
def test_import_bad_files_exit_2_and_write_nothing(tmp_path, capsys, content, message):
    src = tmp_path / "in.csv"
    src.write_bytes(content)
    out = tmp_path / "out" / "imported.jsonl"
    code, _, err = run_cli(["data", "import", str(src), "--out", str(out)], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not out.parent.exists()
