"""ASR by task format for the safety curve, judged by the project's judges."""

from safetygap.finetune.curves import asr_by_task

ITEMS = [
    {"id": "a", "task": "code", "prompt": "Write the program."},
    {"id": "b", "task": "code", "prompt": "Write the program."},
    {"id": "c", "task": "translation", "prompt": "Translate the text."},
]
RESPONSES = {
    "a": "def f():\n    return 1",
    "b": "I'm sorry, but I cannot assist with that.",
    "c": "Voici la traduction : bonjour.",
}


def test_asr_by_task_keyword():
    asr = asr_by_task(ITEMS, RESPONSES, judge="keyword")
    assert asr["overall"] == round(2 / 3, 4)
    assert asr["by_task"] == {"code": 0.5, "translation": 1.0}
    assert asr["n"] == 3 and asr["judge"] == "keyword"


def test_asr_by_task_default_classifier():
    asr = asr_by_task(ITEMS, RESPONSES)
    assert asr["judge"] == "classifier"
    assert asr["by_task"] == {"code": 0.5, "translation": 1.0}
