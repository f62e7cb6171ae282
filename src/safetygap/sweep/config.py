"""The sweep config: one YAML file, checked in full before any work starts.

Every field is documented here (`safetygap sweep --help` and docs/sweep.md print the same
descriptions). An unknown field, a wrong type or an impossible combination is a UserError that
names the field; nothing is written.
"""

from pathlib import Path
from typing import Annotated, Literal, get_args, get_origin, get_type_hints

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

from safetygap.errors import UserError
from safetygap.models.registry import DEFAULT_CHAT_MODEL, parse_spec

Name = Annotated[str, Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def first_error(e: ValidationError) -> str:
    """`where: what` of a validation error's first problem, on one line."""
    err = e.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    message = " ".join(str(err["msg"]).removeprefix("Value error, ").split())
    return f"{where}: {message}" if where else message


def user_check(check, *args):
    """Run a check that raises UserError; as a ValueError, so that the config names the field."""
    try:
        return check(*args)
    except UserError as e:
        raise ValueError(str(e)) from None


class AlignConfig(Strict):
    """Safety-align the base first, as a vendor would (what the embedded default needs)."""

    harmful: int = Field(160, ge=1, description="Harmful train seeds the model learns to refuse.")
    benign: int = Field(160, ge=0, description="Benign instructions it keeps answering.")
    epochs: float = Field(2.0, gt=0, description="Epochs over the alignment data.")
    seed: int = Field(0, description="Seed of the alignment run.")
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
    formats: list[str] | None = Field(None, description="Formats to wrap in (default: all five).")

    @field_validator("file")
    @classmethod
    def readable_bench(cls, value: str | None) -> str | None:
        from safetygap.bench.items import read_bench

        if value is not None:  # read (and checked) now, not when the first eval starts
            user_check(read_bench, value)
        return value


class SafetyMix(Strict):
    """Safety data mixed into a fine-tune (the paper's repair): which set and its share."""

    mix: str = Field(
        description="all-formats (safety data in every format), plain (plain format only) or a "
        "JSONL file."
    )
    ratio: float = Field(gt=0, lt=1, description="Share of safety examples among all examples.")
    tasks: list[Name] | None = Field(
        None, min_length=1, description="Only the fine-tunes of these tasks (default: all)."
    )

    @field_validator("mix")
    @classmethod
    def new_name(cls, value: str) -> str:
        from safetygap.safetydata import canonical_kind

        return canonical_kind(value)


class FinetuneConfig(Strict):
    """The benign fine-tunes: every task x chat format x seed x safety mix."""

    tasks: list[Name] = Field(
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


class Mitigation(Strict):
    """A repair of every plain fine-tune: post hoc (`safetygap mitigate`), or `ptst` ("pure
    tuning, safe testing", Lyu et al. 2024: the same fine-tune tested with the safety system
    prompt on; nothing is trained or changed)."""

    method: Literal["scale", "safelora", "resta", "ptst"] = Field(
        description="The repair method (scale, safelora, resta or ptst)."
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
        own = {"scale": {"lam"}, "safelora": {"threshold", "layers"}, "ptst": set()}.get(
            self.method, {"beta", "dare", "seed"}
        )
        stray = sorted(set(self.params()) - own)
        if stray:
            names = ", ".join("lambda" if k == "lam" else k for k in stray)
            raise ValueError(f"{names}: not a setting of {self.method}")
        if self.method == "scale" and self.lam is None:
            raise ValueError("scale needs lambda")
        return self

    def params(self) -> dict:
        dumped = self.model_dump(exclude={"method", "tasks"})
        return {k: v for k, v in dumped.items() if v is not None}

    def label(self) -> str:
        return "-".join([self.method, *(f"{v:g}" for v in self.params().values())])


class EvalConfig(Strict):
    """How every model answers the bench and how answers are judged."""

    system_prompts: list[str] = Field(
        ["off"], min_length=1, description="on, off or a text; each is its own eval (PTST: on)."
    )
    judge: str = Field("classifier", description="The judge spec (`safetygap eval --judge`).")
    max_new_tokens: int = Field(64, ge=1, description="Tokens per answer.")
    temperature: float = Field(0.0, ge=0, description="0 = greedy.")
    batch_size: int = Field(16, ge=1, description="Prompts per local batch.")

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
    batch_size: int = Field(16, ge=1, description="Prompts per local batch.")
    kinds: dict[str, str] = Field(
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


class SweepConfig(Strict):
    """A whole study: what to align, fine-tune, repair and measure."""

    model: str = Field(
        "embedded",
        description="The base chat model: embedded (SmolLM2-135M-Instruct), a hub id, a local "
        "folder. Fine-tuning needs local weights.",
    )
    unaligned: str | None = Field(
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
        if self.mitigations and self.finetune is None:
            raise ValueError("mitigations: need a finetune section (they repair its adapters)")
        if self.mitigations and self.finetune and "none" not in self.finetune.safety_mixes:
            raise ValueError(
                "mitigations: repair the plain fine-tunes, so finetune.safety_mixes needs none"
            )
        if self.helpfulness is not None and self.finetune is None:
            raise ValueError("helpfulness: needs a finetune section (it measures its tasks)")
        spec = user_check(parse_spec, self.base_spec())
        if spec.is_remote and (self.align or self.finetune):
            raise ValueError("model: an endpoint cannot be aligned or fine-tuned")
        needs_unaligned = [m.method for m in self.mitigations if m.method in ("safelora", "resta")]
        if needs_unaligned and not self.align and not self.unaligned:
            raise ValueError(
                f"mitigations: {needs_unaligned[0]} needs `unaligned` (the model before safety "
                "tuning) or an `align` section"
            )
        named = (
            {Path(t).stem if t.endswith(".jsonl") else t for t in self.finetune.tasks}
            if self.finetune
            else set()
        )
        for where, entries in (
            ("finetune.safety_mixes", self.finetune.safety_mixes if self.finetune else []),
            ("mitigations", self.mitigations),
        ):
            for entry in entries:
                stray = sorted(set(getattr(entry, "tasks", None) or []) - named)
                if stray:
                    raise ValueError(f"{where}: tasks {', '.join(stray)} are not in finetune.tasks")
        if any(m.method == "ptst" for m in self.mitigations) and "on" in self.eval.system_prompts:
            raise ValueError(
                "mitigations: ptst is the plain fine-tune tested with the system prompt on, "
                "which eval.system_prompts already does"
            )
        for kind in self.resources:
            if kind not in STAGE_KINDS:
                raise ValueError(f"resources: unknown stage kind {kind!r}")
        for kind, ask in self.resources.items():
            for key in ask:
                if key not in ("cpus", "gpus"):
                    raise ValueError(f"resources.{kind}: unknown resource {key!r}")
        return self

    def base_spec(self) -> str:
        return DEFAULT_CHAT_MODEL if self.model == "embedded" else self.model


STAGE_KINDS = ("bench", "align", "finetune", "mitigate", "eval", "helpfulness", "guard")


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
        more = f" (and {len(e.errors()) - 1} more)" if len(e.errors()) > 1 else ""
        where = "" if e.errors()[0]["loc"] else "config: "
        raise UserError(f"{path}: {where}{first_error(e)}{more}") from None
