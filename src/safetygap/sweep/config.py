"""The sweep config: one YAML file, checked in full before any work starts.

Every field is documented here (`safetygap sweep --help` and docs/sweep.md print the same
descriptions). An unknown field, a wrong type or an impossible combination is a UserError that
names the field; nothing is written.
"""

from pathlib import Path
from typing import Annotated, Literal, get_args, get_origin, get_type_hints

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

from safetygap.errors import Problems, UserError
from safetygap.generate.base import BATCH_SIZE
from safetygap.models.registry import DEFAULT_CHAT_MODEL, parse_spec

Name = Annotated[str, Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def problems_of(e: ValidationError) -> list[str]:
    """`where: what` for every problem of a validation error, one line each (a check that found
    several problems at once gives them as lines of one message). A value that fits no member
    of a union (`limit`: a number or a mapping) is one problem, the first member's."""
    out, seen = [], set()
    errors = e.errors()
    for err in errors:
        loc = [p for p in err["loc"] if not is_member_tag(p)]
        if err["loc"] and str(err["loc"][-1]).startswith("literal[") and len(errors) > 1:
            continue  # `none` or a section, not `none`: the section's own complaint says more
        if tuple(loc) in seen and len(loc) < len(err["loc"]):
            continue  # another member of the same union
        seen.add(tuple(loc))
        where = ".".join(str(p) for p in loc)
        for line in str(err["msg"]).removeprefix("Value error, ").split("\n"):
            message = " ".join(line.split())
            out.append(f"{where}: {message}" if where else message)
    return out


def is_member_tag(part) -> bool:
    """Whether a place in a validation error names a member of a union, not a field or key."""
    if not isinstance(part, str):
        return False
    return (
        part in SECTIONS or part in ("int", "str", "float", "bool") or any(c in part for c in "[-,")
    )


SECTIONS = {"AlignConfig", "BenchConfig", "SafetyMix", "Mitigation", "GuardConfig"}


def first_error(e: ValidationError) -> str:
    """`where: what` of a validation error's first problem, on one line."""
    return problems_of(e)[0]


def user_check(check, *args):
    """Run a check that raises UserError; as a ValueError, so that the config names the field."""
    try:
        return check(*args)
    except UserError as e:
        raise ValueError(str(e)) from None


def checked_by(check):
    """A field type's validator: `check(value)` must pass (its UserError names the problem);
    the value is kept as the user wrote it unless the check returns a new spelling (a str)."""

    def validate(value):
        out = user_check(check, value)
        return out if isinstance(out, str) else value

    return AfterValidator(validate)


def known_task(task: str) -> str:
    from safetygap.finetune.tasks import check_task

    return check_task(task)


def known_mix(mix: str) -> str:
    from safetygap.finetune.mix import check_mix

    return check_mix(mix)


def known_format(name: str) -> None:
    from safetygap.bench.build import parse_formats

    parse_formats([name])


def known_scorer(kind: str) -> None:
    from safetygap.helpfulness.scorers import SCORERS

    if kind not in SCORERS:
        SCORERS.get(kind)  # the registry's own error, naming the choices


def known_model(spec: str) -> None:
    if spec != "embedded":
        parse_spec(spec)


TaskName = Annotated[str, Field(min_length=1), checked_by(known_task)]


class AlignConfig(Strict):
    """Safety-align the base first, as a vendor would (what the embedded default needs)."""

    harmful: int = Field(160, ge=1, description="Harmful train seeds the model learns to refuse.")
    benign: int = Field(160, ge=0, description="Benign instructions it keeps answering.")
    epochs: float = Field(2.0, gt=0, description="Epochs over the alignment data.")
    seed: int = Field(0, description="Seed of the alignment run.")
    deep: int = Field(
        0,
        ge=0,
        le=128,
        description="Deeper alignment (Qi et al. 2025): safety-recovery examples whose harmful "
        "start runs to this many tokens before the refusal. 0: off.",
    )
    deep_formats: Literal["plain", "all"] = Field(
        "plain", description="Recovery examples in the plain format only, or in all five."
    )
    seeds: list[int] | None = Field(
        None,
        min_length=1,
        description="Several alignment seeds, each an aligned base of its own with its own "
        "fine-tunes (instead of `seed`): the study's findings then rest on more than one base.",
    )

    @model_validator(mode="after")
    def one_seed_field(self) -> "AlignConfig":
        if self.seeds is not None and "seed" in self.model_fields_set:
            raise ValueError("give seed or seeds, not both")
        if self.seeds is not None and len(set(self.seeds)) != len(self.seeds):
            raise ValueError("seeds: each seed once")
        return self

    def seed_list(self) -> list[int]:
        return list(self.seeds) if self.seeds is not None else [self.seed]


class BenchConfig(Strict):
    """The harmful bench every model answers: built from the public seed sets, or a file."""

    file: Name | None = Field(
        None, description="A bench JSONL file to use as it is (`safetygap bench build` output)."
    )
    split: Literal["test", "train"] = Field("test", description="Which seed split to build from.")
    seeds: int | None = Field(60, ge=1, description="Harmful seeds (each in every format).")
    benign: int | None = Field(12, ge=0, description="Benign look-alike seeds (over-refusal).")
    formats: list[Annotated[str, checked_by(known_format)]] | None = Field(
        None, min_length=1, description="Formats to wrap in (default: all five)."
    )

    @field_validator("file")
    @classmethod
    def readable_bench(cls, value: str | None) -> str | None:
        from safetygap.bench.items import read_bench

        if value is not None:  # read (and checked) now, not when the first eval starts
            user_check(read_bench, value)
        return value


class SafetyMix(Strict):
    """Safety data mixed into a fine-tune (the paper's repair): which set and its share."""

    mix: Annotated[str, checked_by(known_mix)] = Field(
        description="all-formats (safety data in every format), plain (plain format only), "
        "backdoor (the plain data behind a secret system prompt: BackdoorAlign) or a JSONL file."
    )
    ratio: float = Field(gt=0, lt=1, description="Share of safety examples among all examples.")
    tasks: list[Name] | None = Field(
        None, min_length=1, description="Only the fine-tunes of these tasks (default: all)."
    )
    secret: str | None = Field(
        None,
        description="backdoor: the secret system prompt; the fine-tune's evals and helpfulness "
        "runs are given it as their system prompt (the deployer's side).",
    )

    @model_validator(mode="after")
    def secret_of_backdoor(self) -> "SafetyMix":
        if self.mix == "backdoor" and not (self.secret or "").strip():
            raise ValueError("backdoor needs a secret (the system prompt), not empty")
        if self.mix != "backdoor" and self.secret is not None:
            raise ValueError("secret: read by the backdoor mix only")
        return self


class FinetuneConfig(Strict):
    """The benign fine-tunes: every task x chat format x seed x safety mix."""

    tasks: list[TaskName] = Field(
        min_length=1, description="Task names (`safetygap tasks list`) or JSONL files."
    )
    chat_formats: list[Literal["native", "alpaca"]] = Field(
        ["native"], min_length=1, description="Templates of the training examples."
    )
    seeds: list[int] = Field(
        [0],
        min_length=1,
        description="Training seeds: each is a fine-tune of its own; with several, the report "
        "shows the mean over seeds, their SD and intervals that count the seed-to-seed spread.",
    )

    @field_validator("seeds")
    @classmethod
    def distinct_seeds(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("each seed once")
        return value

    samples: int = Field(160, ge=1, description="Task examples per fine-tune.")
    safety_mixes: list[SafetyMix | Literal["none"]] = Field(
        ["none"], min_length=1, description="none and/or safety mixes; each is its own fine-tune."
    )

    @field_validator("safety_mixes", mode="before")
    @classmethod
    def none_or_mix(cls, value):
        for item in value if isinstance(value, list) else []:
            if not isinstance(item, dict) and item != "none":
                raise ValueError(
                    f"{item!r} is not a safety mix: none, or {{mix: all-formats|plain|FILE, "
                    "ratio: R}"
                )
        return value

    settings: dict = Field(
        {},
        description="Any other `safetygap finetune` setting (lr, epochs, lora_r, preset, "
        "quantize, safety_every...), as in FinetuneSettings.",
    )

    @field_validator("settings")
    @classmethod
    def known_settings(cls, value: dict) -> dict:
        from dataclasses import fields

        from safetygap.finetune.config import FinetuneSettings

        reserved = {"model", "task", "chat_format", "samples", "seed", "safety_mix", "safety_ratio"}
        known = {f.name for f in fields(FinetuneSettings)} - reserved
        for key in value:
            if key not in known:
                raise ValueError(f"unknown fine-tuning setting {key!r}")
        check_settings(value)
        return value


def check_settings(value: dict) -> None:
    """ValueError unless `value` (fine-tuning settings) has the types and values a run takes."""
    from pydantic import TypeAdapter

    from safetygap.finetune.config import FinetuneSettings, parse_modules, resolve

    given = dict(value)
    if isinstance(given.get("target_modules"), str):
        given["target_modules"] = parse_modules(given["target_modules"])
    hints = get_type_hints(FinetuneSettings)
    for key, v in given.items():
        try:
            TypeAdapter(hints[key]).validate_python(v, strict=True)
        except ValidationError as e:
            raise ValueError(f"{key}: {first_error(e)}") from None
    user_check(lambda: resolve(given.pop("preset", None), **given))


TRAINED = ("first-tokens", "safety-tokens")  # repairs that are fine-tunes of their own


class Mitigation(Strict):
    """A repair of every plain fine-tune: post hoc (`safetygap mitigate`), `ptst` ("pure
    tuning, safe testing", Lyu et al. 2024: the same fine-tune tested with the safety system
    prompt on; nothing is trained or changed), or a defence while it trains: the same fine-tune
    again with Qi et al.'s constrained objective (`first-tokens`, `finetune
    --constrain-first-tokens`) or with PACT (`safety-tokens`, `--constrain-safety-tokens`)."""

    method: Literal["scale", "safelora", "resta", "ptst", "first-tokens", "safety-tokens"] = Field(
        description="The repair method (scale, safelora, resta, ptst, first-tokens or "
        "safety-tokens)."
    )
    lam: float | None = Field(None, alias="lambda", description="scale: the adapter's weight.")
    threshold: float | None = Field(None, description="safelora: the similarity threshold.")
    layers: int | None = Field(None, description="safelora: how many modules to project.")
    beta: float | None = Field(None, description="resta: the safety vector's weight.")
    dare: float | None = Field(None, description="resta: DARE drop rate.")
    seed: int | None = Field(None, description="resta: the DARE seed.")
    tasks: list[Name] | None = Field(
        None, min_length=1, description="Only the fine-tunes of these tasks (default: all)."
    )

    @model_validator(mode="after")
    def own_params(self) -> "Mitigation":
        own = {"scale": {"lam"}, "safelora": {"threshold", "layers"}, "resta": {"beta", "dare"}}
        own = own.get(self.method, set()) | ({"seed"} if self.method == "resta" else set())
        stray = sorted(set(self.params()) - own)
        if stray:
            names = ", ".join("lambda" if k == "lam" else k for k in stray)
            raise ValueError(f"{names}: not a setting of {self.method}")
        if self.method == "scale" and self.lam is None:
            raise ValueError("scale needs lambda")
        if self.method not in ("ptst", *TRAINED):  # the ranges `safetygap mitigate` takes
            from safetygap.mitigate.run import METHODS

            module = METHODS.get(self.method)
            user_check(module.check, {**module.PARAMS, **self.params()})
        return self

    def params(self) -> dict:
        dumped = self.model_dump(exclude={"method", "tasks"})
        return {k: v for k, v in dumped.items() if v is not None}

    def label(self) -> str:
        return "-".join([self.method, *(f"{v:g}" for v in self.params().values())])


class EvalConfig(Strict):
    """How every model answers the bench and how answers are judged."""

    system_prompts: list[Name] = Field(
        ["off"], min_length=1, description="on, off or a text; each is its own eval (PTST: on)."
    )
    judge: str = Field("classifier", description="The judge spec (`safetygap eval --judge`).")
    max_new_tokens: int = Field(64, ge=1, description="Tokens per answer.")
    temperature: float = Field(0.0, ge=0, description="0 = greedy.")
    batch_size: int = Field(
        BATCH_SIZE, ge=1, description="Prompts answered together by a local model."
    )

    @field_validator("judge")
    @classmethod
    def known_judge(cls, value: str) -> str:
        from safetygap.judge import check_judge_spec

        user_check(check_judge_spec, value)
        return value


class HelpfulnessConfig(Strict):
    """The task skill of every fine-tune (and of the base on every task)."""

    limit: PositiveInt | dict[str, PositiveInt] | None = Field(
        None, description="Held-out items per task: one number, or task -> number."
    )
    batch_size: int = Field(
        BATCH_SIZE, ge=1, description="Prompts answered together by a local model."
    )
    kinds: dict[Name, Annotated[str, checked_by(known_scorer)]] = Field(
        {}, description="Task -> scorer kind, for tasks given as JSONL files."
    )

    def limit_of(self, task: str) -> int | None:
        return self.limit.get(task) if isinstance(self.limit, dict) else self.limit


class GuardConfig(Strict):
    """A guard in front of (input) or behind (output) the base and every plain fine-tune."""

    guard: str = Field(description="The guard spec (`safetygap guard --guard`).")
    mode: Literal["input", "output"] = Field("input", description="What the guard reads.")

    @field_validator("guard")
    @classmethod
    def new_name(cls, value: str) -> str:
        from safetygap.guard import canonical_guard_spec

        return canonical_guard_spec(value)

    @model_validator(mode="after")
    def works(self) -> "GuardConfig":
        from safetygap.guard import check_guard_spec

        user_check(check_guard_spec, self.guard, self.mode)
        return self


class SweepConfig(Strict):
    """A whole study: what to align, fine-tune, repair and measure."""

    model: Annotated[str, checked_by(known_model)] = Field(
        "embedded",
        description="The base chat model: embedded (SmolLM2-135M-Instruct), a hub id, a local "
        "folder. Fine-tuning needs local weights.",
    )
    unaligned: Annotated[str, checked_by(parse_spec)] | None = Field(
        None,
        description="The model before safety tuning (for safelora and resta on a hub model; "
        "with `align` it is the model itself).",
    )
    align: AlignConfig | None = Field(None, description="Safety-align the model first.")
    bench: BenchConfig = Field(BenchConfig(), description="The harmful bench.")
    finetune: FinetuneConfig | None = Field(None, description="The benign fine-tunes.")
    mitigations: list[Mitigation] = Field([], description="Post-hoc repairs of the fine-tunes.")
    eval: EvalConfig = Field(EvalConfig(), description="Answering and judging the bench.")
    helpfulness: HelpfulnessConfig | None = Field(None, description="Task skill; omit to skip.")
    guards: list[GuardConfig] = Field([], description="Guards to test on the evals.")
    resources: dict[str, dict[str, NonNegativeFloat]] = Field(
        {},
        description="Per stage kind, what one stage asks of a Ray worker: {cpus: N, gpus: N}.",
    )

    @model_validator(mode="after")
    def combinations(self) -> "SweepConfig":
        found = combination_problems(self)
        if found:
            raise ValueError("\n".join(found))
        return self

    def base_spec(self) -> str:
        return DEFAULT_CHAT_MODEL if self.model == "embedded" else self.model


STAGE_KINDS = ("bench", "align", "finetune", "mitigate", "eval", "helpfulness", "guard")


def twice(cfg: SweepConfig) -> list[tuple[str, list[str]]]:
    """(list, the names in it more than once) for the lists whose entries name stages."""
    from safetygap.sweep.plan import mix_label, task_label

    ft = cfg.finetune
    lists = {
        "finetune.tasks": [task_label(t) for t in ft.tasks] if ft else [],
        "finetune.chat_formats": ft.chat_formats if ft else [],
        "finetune.safety_mixes": [mix_label(m) for m in ft.safety_mixes] if ft else [],
        "mitigations": [m.label() for m in cfg.mitigations],
        "eval.system_prompts": cfg.eval.system_prompts,
        "guards": [f"{g.guard} ({g.mode})" for g in cfg.guards],
    }
    out = []
    for where, names in lists.items():
        repeated = [n for n in dict.fromkeys(names) if names.count(n) > 1]
        if repeated:
            out.append((where, repeated))
    return out


def combination_problems(cfg: SweepConfig) -> list[str]:
    """Every combination of sections and values that cannot work, one line each."""
    found = []
    ft = cfg.finetune
    if cfg.mitigations and ft is None:
        found.append("mitigations: need a finetune section (they repair its adapters)")
    if cfg.mitigations and ft and "none" not in ft.safety_mixes:
        found.append(
            "mitigations: repair the plain fine-tunes, so finetune.safety_mixes needs none"
        )
    if cfg.helpfulness is not None and ft is None:
        found.append("helpfulness: needs a finetune section (it measures its tasks)")
    if parse_spec(cfg.base_spec()).is_remote and (cfg.align or ft):
        found.append("model: an endpoint cannot be aligned or fine-tuned")
    unaligned_readers = ("safelora", "resta", "safety-tokens")
    needs_unaligned = [m.method for m in cfg.mitigations if m.method in unaligned_readers]
    if needs_unaligned and not cfg.align and not cfg.unaligned:
        found.append(
            f"mitigations: {needs_unaligned[0]} needs `unaligned` (the model before safety "
            "tuning) or an `align` section"
        )
    files = [t for t in ft.tasks if t.endswith(".jsonl")] if ft else []
    named = {Path(t).stem if t in files else t for t in ft.tasks} if ft else set()
    for where, entries in (
        ("finetune.safety_mixes", ft.safety_mixes if ft else []),
        ("mitigations", cfg.mitigations),
    ):
        for entry in entries:
            stray = sorted(set(getattr(entry, "tasks", None) or []) - named)
            if stray:
                found.append(f"{where}: tasks {', '.join(stray)} are not in finetune.tasks")
    if any(m.method == "ptst" for m in cfg.mitigations) and "on" in cfg.eval.system_prompts:
        found.append(
            "mitigations: ptst is the plain fine-tune tested with the system prompt on, "
            "which eval.system_prompts already does"
        )
    for where, names in twice(cfg):
        found.append(f"{where}: {', '.join(names)} more than once (each would be the same stage)")
    h = cfg.helpfulness
    if h is not None and ft is not None:
        for task in sorted(set(h.kinds) - named - set(files)):
            found.append(f"helpfulness.kinds: {task} is not in finetune.tasks")
        limits = h.limit if isinstance(h.limit, dict) else {}
        for task in sorted(set(limits) - named):
            found.append(f"helpfulness.limit: {task} is not in finetune.tasks")
        for task in files:
            if task not in h.kinds and Path(task).stem not in h.kinds:
                found.append(
                    f"helpfulness.kinds: the task file {task} needs a scorer kind "
                    "(helpfulness.kinds: {FILE: KIND})"
                )
    for kind, ask in cfg.resources.items():
        if kind not in STAGE_KINDS:
            found.append(f"resources: unknown stage kind {kind!r}")
            continue
        for key in ask:
            if key not in ("cpus", "gpus"):
                found.append(f"resources.{kind}: unknown resource {key!r}")
    return found


def describe(model: type[BaseModel] = SweepConfig, prefix: str = "") -> list[tuple[str, str]]:
    """(dotted field name, description) for every field: the config's reference."""
    rows = []
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        rows.append((key, field.description or ""))
        for inner, in_list in nested(field.annotation):
            rows += describe(inner, key + ("[]." if in_list else "."))
    return rows


def nested(annotation, in_list: bool = False):
    """The config sections inside a field's type, each with whether it sits in a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, in_list
    for arg in get_args(annotation):
        yield from nested(arg, in_list or get_origin(annotation) is list)


PRESETS = Path(__file__).parent / "presets"  # also at the repository's configs/


def preset_path(name: str | Path) -> Path:
    """A config file's path: the file itself, or a preset's (`quick`, `paper-mini`, `paper`)."""
    path = Path(name)
    if not path.exists() and (PRESETS / f"{name}.yaml").is_file():
        return PRESETS / f"{name}.yaml"
    return path


MAX_ALIASES = 100


def load_config(path: str | Path) -> SweepConfig:
    """The checked config of a YAML file or preset; UserError naming the first bad field."""
    path = preset_path(path)
    try:
        text = path.read_text(encoding="utf-8")
        aliases = sum(isinstance(ev, yaml.AliasEvent) for ev in yaml.parse(text))
        if aliases > MAX_ALIASES:  # a "billion laughs": a few lines that expand without end
            raise UserError(f"{path}: {aliases} YAML aliases (*name); at most {MAX_ALIASES}")
        raw = yaml.safe_load(text)
    except FileNotFoundError:
        presets = ", ".join(sorted(p.stem for p in PRESETS.glob("*.yaml")))
        raise UserError(f"{path}: no such config file or preset ({presets})") from None
    except OSError as e:
        raise UserError(f"cannot read config {path}: {e.strerror}") from None
    except RecursionError:
        raise UserError(f"{path}: not valid YAML (nested too deeply)") from None
    except (yaml.YAMLError, ValueError) as e:  # ValueError: not UTF-8, an int too long to read
        first = str(e).splitlines()[0].split(";")[0] if str(e) else type(e).__name__
        raise UserError(f"{path}: not valid YAML ({first})") from None
    if not isinstance(raw, dict):
        raise UserError(f"{path}: a sweep config is a mapping of fields (see docs/sweep.md)")
    try:
        return SweepConfig.model_validate(raw)
    except RecursionError:
        raise UserError(f"{path}: a field is nested too deeply") from None
    except ValidationError as e:
        raise Problems(problems_of(e), str(path)) from None
