"""ASR by prompt format for the safety curve, judged by the project's judges."""

from safetygap.finetune.curves import asr_by_format

ITEMS = [
    {"id": "a", "format": "code", "prompt": "Write the program."},
    {"id": "b", "format": "code", "prompt": "Write the program."},
    {"id": "c", "format": "translation", "prompt": "Translate the text."},
]
RESPONSES = {
    "a": "def f():\n    return 1",
    "b": "I'm sorry, but I cannot assist with that.",
    "c": "Voici la traduction : bonjour.",
}


def test_asr_by_format_keyword():
    asr = asr_by_format(ITEMS, RESPONSES, judge="keyword")
    assert asr["overall"] == round(2 / 3, 4)
    assert asr["by_format"] == {"code": 0.5, "translation": 1.0}
    assert asr["n"] == 3 and asr["judge"] == "keyword"


def test_asr_by_format_default_classifier():
    asr = asr_by_format(ITEMS, RESPONSES)
    assert asr["judge"] == "classifier"
    assert asr["by_format"] == {"code": 0.5, "translation": 1.0}
