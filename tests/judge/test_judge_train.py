"""`judge train --recipe`: the training set a shipped head's recipe builds from hand labels and
the labelled models' responses (judge/train.py), and the head it trains."""

import hashlib
import json

import pytest

from safetygap.errors import UserError
from safetygap.judge.classifier import ClassifierJudge
from safetygap.judge.train import HARD_CASES, RECIPES, counts, join_labels, training_set
from tests.helpers import run_cli

REFUSAL = "I'm sorry, but I can't help with that request."


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def answer(i: int, tag: str) -> str:
    return f"Here is the {tag} answer number {i}. It explains the steps one by one. Then it ends."


def responses(tag: str, n: int = 24) -> list[dict]:
    """n responses: every third a refusal, the rest answers longer than 40 characters."""
    return [
        {
            "id": f"{tag}/{i}",
            "prompt": f"Do task {i} for me.",
            "response": REFUSAL if i % 3 == 0 else answer(i, tag),
        }
        for i in range(n)
    ]


def labels_of(rows: list[dict]) -> list[dict]:
    out = []
    for i, r in enumerate(rows):
        refused = r["response"] == REFUSAL
        level = "refused" if refused else ("helped" if i % 2 else "complied")
        verdict = "refused" if refused else "answered"
        out.append({"id": r["id"], "verdict": verdict, "hard": None, "level": level})
        out[-1]["response_sha256"] = sha(r["response"])
    return out


def safety(n_harmful: int, n_benign: int) -> list[dict]:
    """Safety-data records in two formats (written refusals and benign answers)."""
    out = []
    for fmt in ("plain", "code"):
        for i in range(n_harmful):
            out.append(
                {
                    "id": f"{fmt}/h{i}",
                    "seed_id": f"s:h{i}",
                    "format": fmt,
                    "harmful": True,
                    "prompt": f"[{fmt}] harmful request {i}",
                    "response": "I can't help with that.",
                }
            )
        for i in range(n_benign):
            out.append(
                {
                    "id": f"{fmt}/b{i}",
                    "seed_id": f"s:b{i}",
                    "format": fmt,
                    "harmful": False,
                    "prompt": f"[{fmt}] benign request {i}",
                    "response": f"A helpful answer {i}.",
                }
            )
    return out


def test_join_labels_keeps_only_the_labelled_text():
    rows = responses("train", 6)
    labels = labels_of(rows)[1:]  # the first response has no label
    labels[0]["response_sha256"] = sha("another text")  # the model now answers otherwise
    got, stale = join_labels(labels, rows)
    assert stale == 1
    assert [r["id"] for r in got] == ["train/2", "train/3", "train/4", "train/5"]
    assert got[1]["verdict"] == "refused" and [r["level"] for r in got] == [
        "complied",
        "refused",
        "complied",
        "helped",
    ]


def test_v2_recipe_assembles_its_parts_in_order():
    labelled, _ = join_labels(labels_of(responses("t", 30)), responses("t", 30))
    data = safety(50, 25)
    seed_text = {f"s:h{i}": f"harmful request {i}" for i in range(50)}
    recs = training_set(RECIPES["v2"], labelled, data, seed_text)
    answered = [r for r in labelled if r["verdict"] == "answered"]  # 20, all > 40 characters
    assert counts(recs) == {
        "labelled": 30,
        "safety-data": 2 * 40 + 2 * 20,  # 40 refusals and 20 answers per format
        "style-refusal": 100,  # every harmful prompt (fewer than 400)
        "style-answer": 0 + 50,  # answers beyond the first 120 by hash (none) + benign ones
        **{kind: 5 for kind in HARD_CASES},  # 20 answers, one kind in turn
    }
    origins = [r["origin"] for r in recs]
    assert origins[:30] == ["labelled"] * 30 and origins[30] == "safety-data"
    assert (
        origins.index("style-refusal")
        < origins.index("style-answer")
        < origins.index("refusal_after_answer")
    )
    for r in recs:
        assert list(r) == ["prompt", "response", "verdict", "level", "origin"]
        assert (r["verdict"] == "refused") == (r["level"] == "refused")
    styled = [r for r in recs if r["origin"] == "style-refusal"]
    assert any("harmful request" in r["response"] for r in styled)  # restates the request
    hard = [r for r in recs if r["origin"] in HARD_CASES]
    assert all(r["verdict"] == "answered" for r in hard)
    assert {r["level"] for r in hard if r["origin"] == "repetitive"} == {"complied"}
    assert sum(r["response"].endswith("as it could cause harm.") for r in hard) == 5
    bodies = {r["response"] for r in answered}
    assert all(r["response"] not in bodies for r in hard)  # each one changed


def test_v1_recipe_has_no_styles_and_no_levels():
    labelled, _ = join_labels(labels_of(responses("t", 30)), responses("t", 30))
    recs = training_set(RECIPES["v1"], labelled, safety(50, 25), {})
    assert set(counts(recs)) == {"labelled", "safety-data", *HARD_CASES}
    assert all("level" not in r for r in recs)
    assert RECIPES["v1"].l2 == 1.0 and RECIPES["v2"].l2 == 3.0


@pytest.fixture
def labelled_files(tmp_path):
    """A labels folder and, for the v1 recipe's two label sets, a responses file (train) and a
    run folder holding responses.jsonl (train_aligned)."""
    labels = tmp_path / "labels"
    labels.mkdir()
    (tmp_path / "aligned_run").mkdir()
    files = {
        "train": tmp_path / "train_responses.jsonl",
        "train_aligned": tmp_path / "aligned_run" / "responses.jsonl",
    }
    for name in ("train", "train_aligned"):
        rows = responses(name)
        files[name].write_text("".join(json.dumps(r) + "\n" for r in rows))
        (labels / f"{name}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in labels_of(rows))
        )
    return files, labels


def test_cli_trains_a_head_by_the_v1_recipe(labelled_files, tmp_path, capsys):
    files, labels = labelled_files
    out = tmp_path / "head"
    args = ["judge", "train", "--recipe", "v1", "--labels", labels, "--out", out]
    args += [f"--responses=train={files['train']}"]
    args += ["--responses", f"train_aligned={files['train_aligned'].parent}"]  # a run folder
    code, stdout, err = run_cli(args, capsys)
    assert code == 0, err
    head = json.loads((out / "head.json").read_text())
    train = [json.loads(x) for x in (out / "train.jsonl").read_text().splitlines()]
    prov = head["provenance"]
    assert prov["recipe"] == "safetygap judge train --recipe v1"
    assert prov["counts"] == counts(train) and prov["counts"]["labelled"] == 48
    assert prov["counts"]["safety-data"] == 300  # the real multitask safety data: 5 formats
    assert prov["responses"]["train"]["joined"] == 24 and prov["responses"]["train"]["stale"] == 0
    assert prov["responses"]["train_aligned"]["file"] == str(files["train_aligned"])
    assert head["l2"] == 1.0 and "help" not in head and head["n_train"] == len(train)
    assert "training set:" in stdout
    judge = ClassifierJudge(str(out))
    items = [
        {"id": "r", "prompt": "Do task 99 for me.", "response": REFUSAL},
        {"id": "a", "prompt": "Do task 99 for me.", "response": answer(99, "fresh")},
    ]
    got = dict(judge.judge(items))
    assert got["r"].verdict == "refused" and got["a"].verdict == "answered"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--recipe", "v9"], "unknown recipe 'v9': choose from encoder, encoder2, encoder3, e"),
        (["--recipe", "v1", "--responses", "train=x.jsonl"], "needs --responses train_aligned="),
        (["--recipe", "v1", "--responses", "gold=x.jsonl"], "has no label set 'gold'"),
        (["--recipe", "v1", "--responses", "train"], "expected SET=FILE"),
        (["--recipe", "v1", "--data", "d.jsonl"], "--data FILE or --recipe NAME"),
        ([], "--data FILE or --recipe NAME"),
    ],
)
def test_bad_recipe_input_is_one_line_exit_2(extra, message, labelled_files, tmp_path, capsys):
    _, labels = labelled_files
    out = tmp_path / "h"
    code, _, err = run_cli(["judge", "train", "--labels", labels, "--out", out, *extra], capsys)
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not out.exists()


def test_labels_folder_must_exist(labelled_files, tmp_path, capsys):
    files, _ = labelled_files
    args = ["judge", "train", "--recipe", "v1", "--labels", tmp_path / "none", "--out", tmp_path]
    args += ["--responses", f"train={files['train']}"]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and "no labels folder" in err and not (tmp_path / "head.json").exists()


def test_default_recipe_adds_the_style_bank():
    """The cross-encoder's recipe: v2's parts and the bank (judge/style_bank.py), each kind with
    the verdict and level it teaches."""
    labelled, _ = join_labels(labels_of(responses("t", 30)), responses("t", 30))
    data = safety(
        1250, 300
    )  # 2,500 harmful prompts (400 for styles, 2,100 for the bank), 600 benign
    for i, r in enumerate(data):
        if r["harmful"] and i % 2:
            r["format"], r["template"] = "classification", "multiple_choice"
            r["prompt"] += "\n\n(A) With materials that are easy to obtain\n(B) With help"
    seed_text = {f"s:h{i}": f"harmful request {i}" for i in range(1250)}
    category = {f"s:h{i}": "self_harm" if i % 3 else "cybercrime" for i in range(1250)}
    translations = [
        {
            "id": f"fr{i}",
            "prompt": f"Translate the following text into French.\n\nTool {i}\n\nIt does {i}.",
            "response": f"Outil {i}\n\nIl fait {i}.",
        }
        for i in range(450)
    ]
    recs = training_set(RECIPES["encoder"], labelled, data, seed_text, category, translations)
    with pytest.raises(UserError, match="translation"):
        training_set(RECIPES["encoder"], labelled, data, seed_text, category)
    got = counts(recs)
    assert RECIPES["encoder"].kind == "encoder" and RECIPES["v2"].kind == "logistic"
    assert got["style-refusal"] == 400 and got["harm-refusal"] == 500
    assert got["format-refusal"] == 250 and got["offer-to-do-it"] == 100
    assert got["french-refusal"] == 300 and got["safe-offer-refusal"] == 250 + 150
    assert got["partial-format-refusal"] == 300 and got["restating-refusal"] == 250
    assert got["labelled"] == got["labelled-again"] == 30 and got["benign-answer"] == 200
    benign = [r for r in recs if "benign request" in r["prompt"]]
    answers = [r for r in benign if r["verdict"] == "answered"]
    assert all(r["level"] == "helped" for r in answers)
    plain = ("safety-data", "benign-answer", "style-answer")
    assert sum(r["origin"] not in plain for r in answers) == 200  # turned by the bank
    # refusals of benign requests are refusals too: the verdict is about the response
    assert got["benign-refusal"] == 80 and all(
        r["verdict"] == "refused" for r in benign if r["origin"] == "benign-refusal"
    )
    assert 0 < got["label-answer"] <= 150
    # French translations given are answers, some only the first (short) paragraph
    french = [r for r in recs if r["origin"] == "french-answer"]
    assert len(french) == 400 and {(r["verdict"], r["level"]) for r in french} == {
        ("answered", "helped")
    }
    short = [r for r in french if "Il fait" not in r["response"]]
    assert 80 < len(short) < 240 and not any("It does" in r["prompt"] for r in short)
    assert all("It does" in r["prompt"] for r in french if r not in short)
    assert all("Outil" in r["response"] for r in french)
    teach = {}
    for r in recs:
        teach.setdefault(r["origin"], set()).add((r["verdict"], r["level"]))
    for kind in ("harm", "format", "french", "safe-offer", "partial-format", "restating"):
        assert teach[f"{kind}-refusal"] == {("refused", "refused")}, kind
    assert teach["label-answer"] == teach["offer-to-do-it"] == {("answered", "complied")}
    assert {v for v, _ in teach.get("disclaimer-answer", set())} <= {"answered"}
    turned = [r for r in recs if r["origin"].endswith("-answer") and "style" not in r["origin"]]
    turned = [r for r in turned if "benign request" not in r["prompt"]]
    bodies = {r["response"] for r in labelled if r["verdict"] == "answered"}
    turned = [r for r in turned if r["origin"] not in ("label-answer", "french-answer")]
    assert turned and all(any(b in r["response"] for b in bodies) for r in turned)
    harm = [r["response"] for r in recs if r["origin"] == "harm-refusal"]
    assert len(set(harm)) == len(harm)


def test_neutral_copies_keep_the_verdict_and_hide_the_request():
    """A share of the encoder's examples seen again behind a task-free prompt (the verdict is
    the response's, whatever the request looked like)."""
    from safetygap.judge.train import NEUTRAL_PROMPTS, neutral_copies

    recs = [
        {"prompt": f"Translate text {i}.", "response": f"Answer {i}", "verdict": v, "origin": "x"}
        for i in range(2000)
        for v in (("answered", "refused")[i % 2],)
    ]
    got = neutral_copies(recs, 0.2)
    assert 300 < len(got) < 500
    assert all(r["prompt"] in NEUTRAL_PROMPTS and r["origin"] == "neutral-prompt" for r in got)
    original = {r["response"]: r["verdict"] for r in recs}
    assert all(original[r["response"]] == r["verdict"] for r in got)
    assert len({r["prompt"] for r in got}) == len(NEUTRAL_PROMPTS)
    assert neutral_copies(recs, 0.0) == [] and neutral_copies(recs, 0.2) == got


def test_contrast_style_teaches_the_deciding_sentence():
    """encoder2's `contrast` part (judge/contrast_bank.py): long refusals that end in an offer to
    do it are answers, capability excuses alone are refusals and followed by an offer answers,
    non-committal replies answers, and labelled or benign answers behind a long caution keep
    their body and level."""
    from safetygap.judge.contrast_bank import CAPABILITY_EXCUSES, NON_ANSWERS, OFFERS_TO_DO_IT

    labelled, _ = join_labels(labels_of(responses("t", 30)), responses("t", 30))
    data = safety(1250, 600)
    seed_text = {f"s:h{i}": f"harmful request {i}" for i in range(1250)}
    category = {f"s:h{i}": ("self_harm", "cybercrime", "privacy")[i % 3] for i in range(1250)}
    translations = [
        {"id": f"fr{i}", "prompt": f"Translate: tool {i}", "response": f"Outil {i}"}
        for i in range(400)
    ]
    recs = training_set(RECIPES["encoder2"], labelled, data, seed_text, category, translations)
    old = training_set(RECIPES["encoder"], labelled, data, seed_text, category, translations)
    got = counts(recs)
    assert got["long-offer"] == 100 and got["excuse"] == 200 and got["excuse-then-offer"] == 100
    assert got["non-answer"] == 120
    # labelled answers (20 of 30 answer) and 50 benign answers behind a caution
    assert got["long-disclaimer"] == 20 + 50
    assert "long-offer" not in counts(old)  # the shipped recipe is unchanged
    teach = {}
    for r in recs:
        teach.setdefault(r["origin"], set()).add((r["verdict"], r["level"]))
    assert teach["long-offer"] == teach["excuse-then-offer"] == {("answered", "complied")}
    assert teach["non-answer"] == {("answered", "complied")}
    assert teach["excuse"] == {("refused", "refused")}
    offers = [o.split("{")[0][:25] for o in OFFERS_TO_DO_IT]
    for r in recs:
        if r["origin"] == "long-offer":
            assert any(o.lower() in r["response"].lower() for o in offers), r["response"]
            assert len(r["response"].split()) > 15
        elif r["origin"] == "excuse":
            assert r["response"] in CAPABILITY_EXCUSES
        elif r["origin"] == "excuse-then-offer":
            assert r["response"].startswith(CAPABILITY_EXCUSES)
        elif r["origin"] == "non-answer":
            assert r["response"] in NON_ANSWERS
    # each long offer's prompt also has a long refusal of the style bank (a refusing twin)
    refused = {r["prompt"] for r in recs if r["origin"] == "harm-refusal"}
    assert all(r["prompt"] in refused for r in recs if r["origin"] == "long-offer")
    bodies = {r["response"]: r["level"] for r in labelled if r["verdict"] == "answered"}
    benign = {r["response"] for r in data if not r["harmful"]}
    for r in (r for r in recs if r["origin"] == "long-disclaimer"):
        body = next((b for b in [*bodies, *benign] if r["response"].endswith(b)), None)
        assert body is not None and len(r["response"]) > len(body) + 30, r["response"]
        assert r["level"] == bodies.get(body, "helped")


def test_short_style_adds_plain_word_refusals_in_the_formats_language():
    """encoder4's `short` part (judge/style_bank.py: short_refusals): 240 harmful and 80 benign
    prompts refused in one short sentence without the usual refusal phrases, in French for the
    translation format."""
    from safetygap.judge.keyword import KeywordJudge
    from safetygap.judge.style_bank import FR_SHORT_DECLINES, SHORT_DECLINES

    labelled, _ = join_labels(labels_of(responses("t", 30)), responses("t", 30))
    data = safety(1250, 300)
    for r in data[::3]:
        r["format"] = "translation"
    seed_text = {f"s:h{i}": f"harmful request {i}" for i in range(1250)}
    category = {f"s:h{i}": "cybercrime" for i in range(1250)}
    translations = [
        {"id": f"fr{i}", "prompt": f"Translate: tool {i}", "response": f"Outil {i}"}
        for i in range(400)
    ]
    recs = training_set(RECIPES["encoder4"], labelled, data, seed_text, category, translations)
    short = [r for r in recs if r["origin"] == "short-refusal"]
    assert len(short) == 320 and {(r["verdict"], r["level"]) for r in short} == {
        ("refused", "refused")
    }
    assert sum("benign request" in r["prompt"] for r in short) == 80
    fmt = {r["prompt"]: r["format"] for r in data}
    for r in short:
        words = FR_SHORT_DECLINES if fmt[r["prompt"]] == "translation" else SHORT_DECLINES
        assert any(d.lower() in r["response"].lower() for d in words), r["response"]
        assert len(r["response"].split()) <= 16
    assert len({r["response"] for r in short}) > 250
    # these are the refusals the keyword list does not know
    said = dict(KeywordJudge().judge([{"id": str(k), **r} for k, r in enumerate(short)]))
    assert sum(v.verdict == "answered" for v in said.values()) > 160
    assert "short-refusal" not in counts(
        training_set(RECIPES["encoder"], labelled, data, seed_text, category, translations)
    )


def test_the_ensemble_recipe_checks_every_members_inputs_then_keeps_trained_members(
    labelled_files, tmp_path, capsys
):
    """`--recipe ensemble` asks for every member's label sets before training any, and a run
    stopped after some members keeps them: here all four are there, so none is trained and the
    ensemble of them is written and judges."""
    from safetygap.judge import load_judge
    from safetygap.judge.encoder import save, train_encoder

    files, labels = labelled_files
    out = tmp_path / "ens"
    given = [f"--responses=train={files['train']}", f"--responses=train_aligned={files['train']}"]
    args = ["judge", "train", "--recipe", "ensemble", "--labels", labels, "--out", out, *given]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and "needs --responses train_ft_summarization=" in err and not out.exists()
    for name in ("train_ft_summarization", "train_ft_classification"):
        given.append(f"--responses={name}={files['train']}")
    recs = [
        {"prompt": f"Do {i}.", "response": REFUSAL if i % 2 else answer(i, "x"), "level": None}
        for i in range(16)
    ]
    for r in recs:
        r["verdict"] = "refused" if r["response"] == REFUSAL else "answered"
    meta, tensors = train_encoder(recs, epochs=2, log=lambda *_: None)
    for name in RECIPES["ensemble"].members:
        save(meta, tensors, out, name)
    code, stdout, err = run_cli(args[:-2] + given, capsys)
    assert code == 0, err
    assert stdout.count("trained before; kept") == 4 and "training set" not in stdout
    head = json.loads((out / "head.json").read_text())
    names = [f"{n}.json" for n in RECIPES["ensemble"].members]
    assert [m["head"] for m in head["members"]] == names
    judge = load_judge(f"classifier:{out}")
    assert len(judge.members) == 4
    assert len(dict(judge.judge([{"id": "a", "prompt": "Do 1.", "response": REFUSAL}]))) == 1
