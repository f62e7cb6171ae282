"""The task metrics: each scorer's per-item statistics give back what the metric library
computes on the whole corpus, and the intervals and paired tests behave."""

import numpy as np
import pytest

from safetygap.errors import UserError
from safetygap.helpfulness.run import summarize
from safetygap.helpfulness.scorers import SCORERS, classification, code, summarization, translation
from safetygap.stats import bootstrap_corpus, paired_bootstrap

LABELS = ["negative", "neutral", "positive"]


@pytest.mark.parametrize(
    "answer, label",
    [
        ("positive", "positive"),
        ("Sentiment: Positive.", "positive"),
        ("NEGATIVE", "negative"),
        ("It is positive, not negative.", "positive"),
        ("neutral or positive", "neutral"),
        ("positively", None),  # whole words only
        ("I can't tell.", None),
        ("", None),
    ],
)
def test_parse_label(answer, label):
    assert classification.parse_label(answer, LABELS) == label


def test_macro_f1_and_accuracy_equal_sklearn():
    from sklearn.metrics import accuracy_score, f1_score

    rng = np.random.default_rng(0)
    gold = [LABELS[i] for i in rng.integers(0, 3, 60)]
    # answers: mostly a label in a sentence, some naming none
    answers = [
        f"I think it is {LABELS[i]}." if i < 3 else "no idea" for i in rng.integers(0, 4, 60)
    ]
    examples = [{"id": f"t{n}", "prompt": "p", "response": g} for n, g in enumerate(gold)]
    items = classification.items(examples)
    scores = [classification.score(it, a) for it, a in zip(items, answers, strict=True)]
    report = summarize(scores, classification.METRICS)
    pred = [s["predicted"] or "none" for s in scores]
    assert report["macro_f1"]["value"] == pytest.approx(
        f1_score(gold, pred, labels=LABELS, average="macro", zero_division=0)
    )
    assert report["accuracy"]["value"] == pytest.approx(accuracy_score(gold, pred))
    assert report["no_label"]["value"] == pytest.approx(answers.count("no idea") / 60)
    assert report["accuracy"]["interval"] == "wilson"
    lo, hi = report["macro_f1"]["ci_low"], report["macro_f1"]["ci_high"]
    assert lo < report["macro_f1"]["value"] < hi


def test_classification_needs_a_label_set():
    one = [{"id": "a", "prompt": "p", "response": "yes"}]
    with pytest.raises(UserError, match="distinct reference labels"):
        classification.items(one)


def test_translation_corpus_scores_equal_sacrebleu():
    from sacrebleu.metrics import BLEU, CHRF

    examples = [
        {
            "id": "a",
            "prompt": "Translate the following text into French.\n\nthe cat sleeps",
            "response": "le chat dort",
        },
        {
            "id": "b",
            "prompt": "Translate the following text into French.\n\na big red house",
            "response": "une grande maison rouge",
        },
        {
            "id": "c",
            "prompt": "Translate the following text into French.\n\ngood morning",
            "response": "bonjour",
        },
    ]
    items = translation.items(examples)
    assert [it["id"] for it in items] == [
        "a|en-fr",
        "a|fr-en",
        "b|en-fr",
        "b|fr-en",
        "c|en-fr",
        "c|fr-en",
    ]
    assert items[1]["prompt"].endswith("into English.\n\nle chat dort")
    assert items[1]["reference"] == "the cat sleeps"
    answers = [
        "le chat dort",
        "the cat is sleeping",
        "une maison rouge",
        "a big house",
        "bonjour à tous",
        "good day",
    ]
    scores = [translation.score(it, a) for it, a in zip(items, answers, strict=True)]
    report = summarize(scores, translation.METRICS)
    for d in ("en-fr", "fr-en"):
        hyps = [a for it, a in zip(items, answers, strict=True) if it["direction"] == d]
        refs = [[it["reference"] for it in items if it["direction"] == d]]
        assert report[f"chrf++:{d}"]["value"] == pytest.approx(
            CHRF(word_order=2).corpus_score(hyps, refs).score
        )
        assert report[f"bleu:{d}"]["value"] == pytest.approx(BLEU().corpus_score(hyps, refs).score)
        assert report[f"bleu:{d}"]["n"] == 3


def test_rouge_is_the_mean_of_rouge_score():
    from rouge_score import rouge_scorer

    refs = ["Tool to convert images", "Library for parsing JSON files", "A fast text editor"]
    hyps = ["converts images", "JSON parsing library", "an editor of text, fast"]
    items = summarization.items(
        [{"id": str(i), "prompt": "p", "response": r} for i, r in enumerate(refs)]
    )
    report = summarize(
        [summarization.score(it, h) for it, h in zip(items, hyps, strict=True)],
        summarization.METRICS,
    )
    direct = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    want = np.mean([direct.score(r, h)["rougeL"].fmeasure for r, h in zip(refs, hyps, strict=True)])
    assert report["rougeL"]["value"] == pytest.approx(want)
    assert set(report) == {"rouge1", "rouge2", "rougeL"}


def test_bootstrap_interval_and_paired_test():
    rng = np.random.default_rng(1)
    a = [[x, 1.0] for x in rng.uniform(0.2, 0.4, 80)]
    b = [[x + 0.1, 1.0] for x, _ in a]
    mean = SCORERS.get("summarization").METRICS[0].aggregate
    value, lo, hi = bootstrap_corpus(a, mean)
    assert lo < value < hi and hi - lo < 0.05
    better = paired_bootstrap(a, b, mean)
    assert better["diff"] == pytest.approx(0.1)
    assert better["ci_low"] == pytest.approx(0.1) and better["p_value"] < 0.01
    same = paired_bootstrap(a, a, mean)
    assert same["diff"] == 0 and same["p_value"] == 1.0
    noisy = paired_bootstrap(a, [[x + rng.normal(0, 0.2), 1.0] for x, _ in a], mean)
    assert noisy["ci_low"] < 0 < noisy["ci_high"] and noisy["p_value"] > 0.05


def test_humaneval_program_assembly():
    item = {
        "problem": 'import math\n\n\ndef root(x):\n    """Square root."""\n',
        "entry_point": "root",
        "test": "def check(candidate):\n    assert candidate(9) == 3\n",
    }
    body = code.program(item, "    return math.sqrt(x)\n")
    assert body.startswith(item["problem"] + "    return math.sqrt(x)")
    whole = code.program(item, "Here:\n```python\ndef root(x):\n    return x ** 0.5\n```\nDone.")
    assert whole.startswith("import math\n\n\n\ndef root(x):\n    return x ** 0.5\n")
    assert "Done." not in whole and whole.rstrip().endswith("check(root)")
    namespace = {}
    exec(compile(whole, "program", "exec"), namespace)  # noqa: S102 - our own test program


def test_humaneval_canonical_solutions_pass_and_wrong_ones_fail():
    problems = code.humaneval()
    assert len(problems) == 164
    items = code.items(None, limit=4)
    for item, p in zip(items, problems, strict=False):
        assert code.score(item, p["canonical_solution"])["stats"]["pass@1"] == [1.0, 1.0]
        wrong = code.score(item, "    return None\n")
        assert wrong["stats"]["pass@1"] == [0.0, 1.0] and wrong["status"] != "ok"


def test_problem_files_are_checked(tmp_path):
    import json

    good = {
        "task_id": "t/0",
        "prompt": "def f():\n",
        "entry_point": "f",
        "test": "def check(c):\n    assert c() == 1\n",
    }
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(good) + "\n")
    assert code.items(None, path=str(path))[0]["entry_point"] == "f"
    for broken, message in [
        ({**good, "test": "assert True"}, "has no tests"),
        ({**good, "prompt": "def g():\n"}, "does not define f"),
        ({k: v for k, v in good.items() if k != "test"}, "missing field"),
    ]:
        path.write_text(json.dumps(broken) + "\n")
        with pytest.raises(UserError, match=message):
            code.items(None, path=str(path))
