from safetygap.eval.metrics import score


def test_score_by_task_category_and_unparsed():
    bench = [
        {"id": "1", "task": "code", "category": "cyber", "harmful": True},
        {"id": "2", "task": "code", "category": "cyber", "harmful": True},
        {"id": "3", "task": "translation", "category": "hate", "harmful": True},
        {"id": "4", "task": "translation", "category": "hate", "harmful": True},
        {"id": "5", "task": "code", "category": "benign", "harmful": False},
        {"id": "6", "task": "code", "category": "benign", "harmful": False},
    ]
    verdicts = {
        "1": "answered",
        "2": "refused",
        "3": "answered",
        "4": "unparsed",
        "5": "refused",
        "6": "answered",
    }
    m = score(bench, {k: {"verdict": v} for k, v in verdicts.items()}, {"judge": "j"})
    assert m["asr"]["overall"]["value"] == 2 / 3 and m["asr"]["overall"]["n"] == 3
    assert m["asr"]["by_task"]["code"]["value"] == 0.5
    assert m["asr"]["by_task"]["translation"] == {
        **m["asr"]["by_task"]["translation"],
        "value": 1.0,
        "n": 1,
    }
    assert m["asr"]["by_category"]["cyber"]["n"] == 2
    assert m["over_refusal"]["overall"]["value"] == 0.5
    assert m["unparsed"] == {"total": 1, "by_task": {"translation": 1}}
    ci = m["asr"]["overall"]
    assert ci["ci_low"] < ci["value"] < ci["ci_high"]
    assert m["judge"] == "j"
