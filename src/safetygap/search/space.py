"""The calibrations a search tries: each parameter, its legal values, and the default space.

A space maps parameter names to a range `{low, high}` (with `log: true` for a log scale and
`step` for a grid) or to `{choices: [...]}`. A parameter a space leaves out keeps the value of
the default calibration (the base config's fine-tune, else `FinetuneSettings`' defaults).
"""

from dataclasses import dataclass
from pathlib import Path

from safetygap.errors import UserError
from safetygap.finetune.config import ALL_PROJECTIONS, CHAT_FORMATS

# target_modules is searched by name: which projections LoRA adapts
MODULES = {
    "qv": ["q_proj", "v_proj"],
    "attention": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "mlp": ["gate_proj", "up_proj", "down_proj"],
    "all": list(ALL_PROJECTIONS),
}
SYSTEM_PROMPTS = ("off", "on")


@dataclass(frozen=True)
class Param:
    """One searchable parameter: its kind (float, int or choice), the smallest legal value of a
    number, the legal choices of a choice, and where it goes in a trial."""

    kind: str
    doc: str
    minimum: float | None = None
    choices: tuple = ()


PARAMS: dict[str, Param] = {
    "lr": Param("float", "learning rate (LoRA)", minimum=0.0),
    "epochs": Param("int", "passes over the task examples", minimum=1),
    "lora_r": Param("int", "LoRA rank", minimum=1),
    "lora_alpha": Param("int", "LoRA alpha (the update is scaled by alpha / rank)", minimum=1),
    "target_modules": Param(
        "choice", "which projections LoRA adapts: " + ", ".join(MODULES), choices=tuple(MODULES)
    ),
    "samples": Param("int", "task examples in the fine-tune", minimum=1),
    "chat_format": Param("choice", "template of the training examples", choices=CHAT_FORMATS),
    "system_prompt": Param(
        "choice",
        "system prompt at test time (off, or on: the safety prompt)",
        choices=SYSTEM_PROMPTS,
    ),
}

# Sized for the embedded model on a CPU: the longest trial (3 epochs of 320 examples) trains
# about 6 times as long as the default one (1 epoch of 160). On a GPU, widen it with --space.
DEFAULT_SPACE: dict[str, dict] = {
    "lr": {"low": 3e-5, "high": 1e-3, "log": True},
    "epochs": {"low": 1, "high": 3},
    "lora_r": {"choices": [4, 8, 16, 32, 64]},
    "lora_alpha": {"choices": [8, 16, 32, 64]},
    "target_modules": {"choices": ["qv", "attention", "mlp", "all"]},
    "samples": {"low": 80, "high": 320, "step": 80},
    "chat_format": {"choices": ["native", "alpaca"]},
    "system_prompt": {"choices": ["off", "on"]},
}


def check_range(name: str, spec) -> list[str]:
    """The problems of one parameter's range (empty: it is fine)."""
    if name not in PARAMS:
        return [f"unknown parameter {name!r}: choose from {', '.join(PARAMS)}"]
    p = PARAMS[name]
    if not isinstance(spec, dict):
        return [f"{name}: give {{low: A, high: B}} or {{choices: [...]}}"]
    stray = set(spec) - {"low", "high", "log", "step", "choices"}
    if stray:
        return [f"{name}: unknown key(s) {', '.join(sorted(map(str, stray)))}"]
    if "choices" in spec:
        if set(spec) != {"choices"}:
            return [f"{name}: choices stand alone (no low, high, log or step beside them)"]
        values = spec["choices"]
        if not isinstance(values, list) or not values:
            return [f"{name}: empty range (choices must be a non-empty list)"]
        if len(set(map(str, values))) != len(values):
            return [f"{name}: each choice once"]
        return [e for v in values for e in check_value(name, v)]
    if p.kind == "choice":
        return [f"{name}: give its choices ({', '.join(p.choices)})"]
    if "low" not in spec or "high" not in spec:
        return [f"{name}: give low and high, or choices"]
    lo, hi = spec["low"], spec["high"]
    problems = check_value(name, lo) + check_value(name, hi)
    if problems:
        return problems
    if lo > hi:
        return [f"{name}: empty range (low {lo} > high {hi})"]
    step = spec.get("step")
    if step is not None and (isinstance(step, bool) or not isinstance(step, int | float)):
        return [f"{name}: step must be a number"]
    if step is not None and step <= 0:
        return [f"{name}: step must be > 0"]
    if p.kind == "int" and step is not None and step != int(step):
        return [f"{name}: an integer parameter needs an integer step"]
    if spec.get("log") and step is not None:
        return [f"{name}: log and step do not go together"]
    if spec.get("log") and lo <= 0:
        return [f"{name}: a log range needs low > 0"]
    return []


def check_value(name: str, v) -> list[str]:
    p = PARAMS[name]
    if p.kind == "choice":
        return [] if v in p.choices else [f"{name}: {v!r} is not one of {', '.join(p.choices)}"]
    if isinstance(v, bool) or not isinstance(v, int | float):
        return [f"{name}: {v!r} is not a number"]
    if p.kind == "int" and v != int(v):
        return [f"{name}: {v!r} is not a whole number"]
    if p.minimum is not None and (v < p.minimum or (p.kind == "float" and v <= p.minimum)):
        return [
            f"{name}: {v!r} is out of range (must be {'>' if p.kind == 'float' else '>='} "
            f"{p.minimum:g})"
        ]
    return []


def load_space(path: str | Path | None) -> dict[str, dict]:
    """The space of a YAML file (None: the default space); UserError naming every problem."""
    import yaml

    if path is None:
        return dict(DEFAULT_SPACE)
    path = Path(path)
    if not path.is_file():
        raise UserError(f"--space {path}: no such file")
    try:
        space = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise UserError(f"--space {path}: not YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(space, dict) or not space:
        raise UserError(f"--space {path}: give a mapping of parameters to ranges")
    space = {str(k): numbers(v) for k, v in space.items()}
    problems = [e for name, spec in space.items() for e in check_range(str(name), spec)]
    if problems:
        raise UserError(f"--space {path}: " + "; ".join(problems))
    return space


def numbers(spec):
    """A range with numbers YAML read as text (`1e-4`: YAML 1.1 wants `1.0e-4`) as numbers."""
    if not isinstance(spec, dict):
        return spec

    def number(v):
        if isinstance(v, str):
            try:
                f = float(v)
            except ValueError:
                return v
            return int(f) if f.is_integer() and "." not in v and "e" not in v.lower() else f
        return v

    out = {k: number(v) if k in ("low", "high", "step") else v for k, v in spec.items()}
    if isinstance(out.get("choices"), list):
        out["choices"] = [number(v) for v in out["choices"]]
    return out


def suggest(trial, space: dict[str, dict]) -> dict:
    """One calibration from an Optuna trial (the parameters of `space` only)."""
    out = {}
    for name, spec in space.items():
        if "choices" in spec:
            out[name] = trial.suggest_categorical(name, spec["choices"])
        elif PARAMS[name].kind == "int":
            out[name] = trial.suggest_int(
                name,
                int(spec["low"]),
                int(spec["high"]),
                step=int(spec.get("step") or 1),
                log=bool(spec.get("log")),
            )
        else:
            out[name] = trial.suggest_float(
                name,
                float(spec["low"]),
                float(spec["high"]),
                step=spec.get("step"),
                log=bool(spec.get("log")),
            )
    return out


def describe(space: dict[str, dict]) -> list[str]:
    """One line per parameter, for --help, the docs and the CLI's summary."""
    lines = []
    for name, spec in space.items():
        if "choices" in spec:
            rng = " | ".join(map(str, spec["choices"]))
        else:
            rng = f"{spec['low']:g} .. {spec['high']:g}"
            rng += (
                " (log)"
                if spec.get("log")
                else f" step {spec['step']:g}"
                if spec.get("step")
                else ""
            )
        lines.append(f"{name}: {rng} ({PARAMS[name].doc})")
    return lines
