"""Judges: the registry. A judge spec is a name, optionally `name:ARG`.

- `keyword`: refusal-phrase matching;
- `classifier[:HEAD]`: MiniLM embeddings + a trained logistic head (default: the shipped head);
- `llm:MODEL_SPEC`: the paper's binary rubric sent to any model;
- `guard:MODEL_SPEC`: a Llama-Guard-style safe/unsafe prompt.
"""

from safetygap.errors import UserError
from safetygap.judge.base import Judge, Verdict


def _keyword(arg, **_):
    from safetygap.judge.keyword import KeywordJudge

    return KeywordJudge()


def _classifier(arg, **_):
    from safetygap.judge.classifier import ClassifierJudge

    return ClassifierJudge(arg or None)


def _prompted(kind):
    def make(arg, **options):
        from safetygap.judge.llm import PromptJudge

        return PromptJudge(kind, arg, **options)

    return make


JUDGES = {
    "keyword": _keyword,
    "classifier": _classifier,
    "llm": _prompted("llm"),
    "guard": _prompted("guard"),
}


def check_judge_spec(spec: str) -> tuple[str, str]:
    """(name, arg) of a judge spec; UserError for an unknown name or a missing model."""
    name, _, arg = spec.partition(":")
    if name not in JUDGES:
        raise UserError(f"unknown judge {spec!r}: choose from {', '.join(JUDGES)} (name[:ARG])")
    if name in ("llm", "guard"):
        if not arg:
            raise UserError(f"judge {name} needs a model: {name}:MODEL_SPEC")
        from safetygap.models.registry import parse_spec

        parse_spec(arg)
    return name, arg


def load_judge(spec: str, **options) -> Judge:
    name, arg = check_judge_spec(spec)
    return JUDGES[name](arg, **options)


__all__ = ["JUDGES", "Judge", "Verdict", "check_judge_spec", "load_judge"]
