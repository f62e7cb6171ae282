"""The repair map's rules on points made by hand: names and kinds, the Pareto front, the
best-repair rule (significant cut, skill and over-refusal not significantly worse, cheaper on a
tie) and its table with the paper's cure beside it."""

import pytest

from safetygap.report.repairs import CURE, best_repair, kind_and_name, pareto, tables


def point(name, kind, asr, skill, cut=None, skill_change=None, refusal_change=None, seconds=1.0):
    """A point; `cut`, `skill_change`, `refusal_change`: (diff, p) against none."""
    p = {
        "name": name,
        "kind": kind,
        "asr": {"value": asr, "ci_low": asr - 0.05, "ci_high": asr + 0.05},
        "over_refusal": {"value": 0.1, "ci_low": 0.05, "ci_high": 0.2},
        "skill": {"value": skill, "ci_low": skill - 5, "ci_high": skill + 5},
        "metric": "accuracy",
        "seconds": seconds,
    }
    if cut is not None:
        p["versus"] = {
            "asr": {"overall": {"diff": cut[0], "p": cut[1]}},
            "skill": {"diff": skill_change[0], "p": skill_change[1]},
            "over_refusal": {"diff": refusal_change[0], "p": refusal_change[1]},
        }
    return p


@pytest.mark.parametrize(
    "labels, sp, expected",
    [
        ({"mitigation": "none", "safety_mix": "none"}, "off", ("none", "none")),
        ({"mitigation": "none", "safety_mix": "none"}, "on", ("ptst", "PTST")),
        ({"mitigation": "ptst", "safety_mix": "none"}, "on", ("ptst", "PTST")),
        ({"mitigation": "scale-0.25", "safety_mix": "none"}, "off", ("scale", "scale 0.25")),
        ({"mitigation": "resta", "safety_mix": "none"}, "off", ("resta", "resta")),
        (
            {"mitigation": "first-tokens", "safety_mix": "none"},
            "off",
            ("first-tokens", "first tokens"),
        ),
        ({"mitigation": "safety-tokens", "safety_mix": "none"}, "off", ("safety-tokens", "PACT")),
        (
            {"mitigation": "none", "safety_mix": "backdoor-0.1"},
            "secret",
            ("backdoor", "backdoor 10%"),
        ),
        ({"mitigation": "none", "safety_mix": "all-formats-0.3"}, "off", ("all-formats", CURE)),
        ({"mitigation": "none", "safety_mix": "multitask-0.3"}, "off", ("all-formats", CURE)),
        ({"mitigation": "none", "safety_mix": "singletask-0.03"}, "off", ("plain", "plain 3%")),
        ({"mitigation": "none", "safety_mix": "mine-0.1"}, "off", ("mine", "mine 10%")),
    ],
)
def test_each_variant_has_a_kind_and_a_name(labels, sp, expected):
    assert kind_and_name(labels, sp) == expected


def test_the_pareto_front_keeps_only_the_unbeaten():
    pts = [
        point("none", "none", 0.8, 50),
        point("a", "scale", 0.7, 50),  # beats none: safer, same skill
        point("b", "resta", 0.6, 40),  # safer but less skilled: unbeaten
        point("c", "plain", 0.7, 45),  # beaten by a
    ]
    assert pareto(pts) == {"a", "b"}


def test_the_best_repair_is_the_largest_significant_cut_that_costs_nothing_significant():
    pts = [
        point("none", "none", 0.8, 50),
        # largest cut, but skill significantly lower: out
        point("big", "scale", 0.5, 40, (-0.3, 1e-6), (-10, 0.01), (0.0, 1.0)),
        # large cut, over-refusal significantly higher: out
        point("loud", "resta", 0.55, 50, (-0.25, 1e-6), (0, 1.0), (0.2, 0.001)),
        # not significant: out
        point("noise", "plain", 0.7, 50, (-0.1, 0.2), (0, 1.0), (0.0, 1.0)),
        # two equal qualifying cuts: the cheaper wins
        point("slow", "all-formats", 0.65, 50, (-0.15, 1e-3), (-2, 0.4), (0.05, 0.3), 90.0),
        point("fast", "ptst", 0.65, 49, (-0.15, 1e-3), (-3, 0.3), (0.05, 0.3), 0.0),
    ]
    assert best_repair(pts)["name"] == "fast"
    assert best_repair([pts[0], pts[1], pts[2], pts[3]]) is None


def test_the_best_repair_table_states_the_rule_and_shows_the_cure():
    pts = [
        point("none", "none", 0.8, 50),
        point("scale 0.5", "scale", 0.7, 49, (-0.1, 1e-4), (-1, 0.5), (0.02, 0.6)),
        point(CURE, "all-formats", 0.75, 40, (-0.05, 0.01), (-10, 0.02), (0.0, 1.0)),
    ]
    out = tables({"classification": pts})
    assert [t["title"].split(" (")[0] for t in out] == [
        "Repairs of the classification fine-tune",
        "Best repair per fine-tune",
    ]
    best = out[1]
    assert "p < 0.05" in best["note"] and CURE in best["note"]
    row = best["rows"][0]
    assert row[:3] == ["classification", "scale 0.5", "-10.0 (p=0.0001)"]
    assert row[-1].startswith("ASR -5.0 (p=0.01), skill -10.0 (p=0.02)")
    by_name = {r[0]: r for r in out[0]["rows"]}
    assert by_name["scale 0.5"][-1] == "*" and by_name[CURE][-1] == ""  # the Pareto column
