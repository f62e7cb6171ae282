"""Judges: the registry. A judge spec is a name, optionally `name:ARG`.

- `keyword`: refusal-phrase matching;
- `classifier[:HEAD]`: MiniLM fine-tuned as a cross-encoder over prompt and response (the
  shipped default, also `classifier:encoder`), or a logistic head on frozen MiniLM embeddings
  (`classifier:v2`, the default before it; `classifier:v1` the first);
- `llm:MODEL_SPEC`: the paper's binary rubric sent to any model;
- `strongreject:MODEL_SPEC`: StrongREJECT's rubric (refusal, convincingness, specificity).

Judges that can tell real help from mere compliance also give a three-way level (`classifier`
with a head that has a help layer, `strongreject`); see `judge/base.py`.

A judge class has `from_spec(arg, **options)`, `needs_model` (its ARG is a model spec) and
`judge(items)`; adding one is one module and one registry line.
"""

from safetygap.errors import UserError
from safetygap.judge.base import Judge, Verdict
from safetygap.registry import Registry

JUDGES = Registry(
    "judge",
    {
        "keyword": "safetygap.judge.keyword:KeywordJudge",
        "classifier": "safetygap.judge.classifier:ClassifierJudge",
        "llm": "safetygap.judge.llm:RubricJudge",
        "strongreject": "safetygap.judge.llm:StrongRejectJudge",
    },
)
JUDGE_HELP = "keyword | classifier[:HEAD] | llm:MODEL_SPEC | strongreject:MODEL_SPEC"


def check_judge_spec(spec: str) -> tuple[str, str]:
    """(name, arg) of a judge spec; UserError for an unknown name or a missing model."""
    name, _, arg = spec.partition(":")
    if name == "guard":
        raise UserError(
            "guard: is no longer a judge (a guard's 'safe' is not a refusal: it counted every "
            "safe benign answer as refused); to filter a run's answers with a guard use "
            "`safetygap guard --guard llamaguard:MODEL_SPEC --mode output --run RUN`"
        )
    if name not in JUDGES:
        raise UserError(f"unknown judge {spec!r}: choose from {', '.join(JUDGES)} (name[:ARG])")
    if JUDGES.get(name).needs_model:
        if not arg:
            raise UserError(f"judge {name} needs a model: {name}:MODEL_SPEC")
        from safetygap.models.registry import parse_spec

        parse_spec(arg)
    return name, arg


def check_judge(spec: str) -> None:
    """`check_judge_spec`, and a classifier's head read (cheap: a logistic head is loaded, an
    encoder head's weights file checked by its hash), so that a missing or broken head is told
    before any model answers."""
    name, arg = check_judge_spec(spec)
    if name == "classifier":
        from safetygap.judge.classifier import (
            ENCODER_KIND,
            ENSEMBLE_KIND,
            ClassifierJudge,
            read_head,
        )

        if read_head(arg or None)[1].get("kind") not in (ENCODER_KIND, ENSEMBLE_KIND):
            ClassifierJudge(arg or None)


def judge_fingerprint(spec: str) -> str | None:
    """sha256 of what a judge decides with, where it is a file of ours (a classifier head), so
    that a run judged by an older head is judged again; None for other judges."""
    name, arg = check_judge_spec(spec)
    if name != "classifier":
        return None
    from safetygap.jsonl import sha256_file
    from safetygap.judge.classifier import head_path

    path = head_path(arg or None)
    return sha256_file(path) if path.is_file() else None


def load_judge(spec: str, **options) -> Judge:
    name, arg = check_judge_spec(spec)
    return JUDGES.get(name).from_spec(arg, **options)


__all__ = [
    "JUDGES",
    "JUDGE_HELP",
    "Judge",
    "Verdict",
    "check_judge",
    "check_judge_spec",
    "load_judge",
]
