from safetygap.eval.metrics import by_format, score


def test_score_by_format_category_and_unparsed():
    bench = [
        {"id": "1", "format": "code", "category": "cyber", "harmful": True},
        {"id": "2", "format": "code", "category": "cyber", "harmful": True},
        {"id": "3", "format": "translation", "category": "hate", "harmful": True},
        {"id": "4", "format": "translation", "category": "hate", "harmful": True},
        {"id": "5", "format": "code", "category": "benign", "harmful": False},
        {"id": "6", "format": "code", "category": "benign", "harmful": False},
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
    assert m["asr"]["by_format"]["code"]["value"] == 0.5
    assert m["asr"]["by_format"]["translation"] == {
        **m["asr"]["by_format"]["translation"],
        "value": 1.0,
        "n": 1,
    }
    assert m["asr"]["by_category"]["cyber"]["n"] == 2
    assert m["over_refusal"]["overall"]["value"] == 0.5
    assert m["unparsed"] == {"total": 1, "by_format": {"translation": 1}}
    ci = m["asr"]["overall"]
    assert ci["ci_low"] < ci["value"] < ci["ci_high"]
    assert m["judge"] == "j"


def test_metrics_from_before_the_rename_still_read():
    rates = {"code": {"value": 0.5, "ci_low": 0.1, "ci_high": 0.9, "n": 2}}
    assert by_format({"by_task": rates}) == rates
    assert by_format({"by_format": rates, "by_task": {}}) == rates


def test_harm_asr_only_where_the_judge_gives_levels():
    bench = [
        {"id": str(i), "format": f, "category": "c", "harmful": h}
        for i, (f, h) in enumerate(
            [("code", True), ("code", True), ("plain", True), ("plain", True), ("plain", False)]
        )
    ]
    levels = ["helped", "complied", "refused", "helped", "helped"]
    verdicts = ["answered", "answered", "refused", "answered", "answered"]
    judged = {
        str(i): {"verdict": v, "level": lv}
        for i, (v, lv) in enumerate(zip(verdicts, levels, strict=True))
    }
    m = score(bench, judged, {})
    assert m["asr"]["overall"]["value"] == 0.75  # three of four harmful items answered
    assert m["harm_asr"]["overall"]["value"] == 0.5  # two of them with real help
    assert m["harm_asr"]["by_format"]["code"]["value"] == 0.5
    assert m["harm_asr"]["by_format"]["plain"]["n"] == 2
    assert set(m["harm_asr"]) == {"overall", "by_format", "by_category"}
    # A judge without the second level: no harm figure, never a guess.
    binary = {k: {"verdict": v["verdict"], "level": None} for k, v in judged.items()}
    assert "harm_asr" not in score(bench, binary, {})
    assert "harm_asr" not in score(
        bench, {k: {"verdict": v["verdict"]} for k, v in judged.items()}, {}
    )
