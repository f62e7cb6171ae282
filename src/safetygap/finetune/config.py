"""Fine-tuning settings: CPU-sized defaults, the paper's values as a preset.

Every option left unset takes the preset's value, else the default; the resolved settings are
what a run writes to `settings.json` and what decides whether a re-run is the same run.
"""

import math
from dataclasses import asdict, dataclass, field, fields

from safetygap.errors import Checks
from safetygap.finetune.constraints import CONSTRAINTS
from safetygap.finetune.mix import BACKDOOR
from safetygap.models.registry import DEFAULT_CHAT_MODEL
from safetygap.safetydata import KINDS, canonical_kind

CHAT_FORMATS = ("native", "alpaca")
ALL_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
SAFETY_MIXES = ("none", *KINDS, BACKDOOR)
QUANTIZE = ("none", "4bit")

# The paper (Jan et al. 2024, sec. 4): QLoRA r=64, alpha=16, dropout 0.1 on all 7 projections,
# lr 2e-4 with cosine decay and 3% warm-up, batch 4, 10k samples. Its 4-bit NF4 base is not in
# the preset (it needs CUDA and bitsandbytes, so the preset stays usable on the CPU): add
# `--quantize 4bit` for it.
PRESETS: dict[str, dict] = {
    "paper": {
        "lora_r": 64,
        "lora_alpha": 16,
        "lora_dropout": 0.1,
        "target_modules": list(ALL_PROJECTIONS),
        "lr": 2e-4,
        "scheduler": "cosine",
        "warmup_ratio": 0.03,
        "batch_size": 4,
        "samples": 10000,
        "epochs": 1.0,
        "max_length": 1024,
    },
}


@dataclass
class FinetuneSettings:
    """One fine-tuning run. `samples` counts task examples; safety examples come on top, so that
    they are `safety_ratio` of all training examples."""

    model: str = DEFAULT_CHAT_MODEL
    task: str = "summarization"
    chat_format: str = "native"  # the template the examples are written in: native or alpaca
    samples: int = 256
    epochs: float = 1.0
    max_steps: int = -1  # > 0 overrides epochs
    lr: float = 2e-4
    scheduler: str = "cosine"
    warmup_ratio: float = 0.03
    batch_size: int = 4
    grad_accum: int = 1
    max_length: int = 256
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    quantize: str = "none"  # none, or 4bit: QLoRA's NF4 base (CUDA and bitsandbytes)
    target_modules: list[str] = field(default_factory=lambda: list(ALL_PROJECTIONS))
    seed: int = 0
    safety_mix: str = "none"
    secret_prompt: str | None = None  # backdoor: the system prompt of its safety examples
    safety_ratio: float = 0.0
    safety_every: int = 0
    safety_items: int = 40  # bench items per curve point
    safety_stop: float | None = None  # stop when a format's ASR rose this many points (paired)
    save_every: int = 50
    prompt_field: str = "prompt"
    response_field: str = "response"
    constraint: str = "none"  # an objective that holds the aligned model in place (constraints.py)
    reference: str | None = None  # its reference model; None: the base with the adapter off
    unaligned: str | None = None  # safety-tokens: the model before safety tuning
    preset: str | None = None

    def __post_init__(self):
        self.safety_mix = canonical_kind(self.safety_mix)  # `multitask` -> `all-formats`, ...

    def check(self) -> "FinetuneSettings":
        """Raise UserError naming every value no run can use."""
        checks = Checks()
        if self.chat_format not in CHAT_FORMATS:
            checks.add(f"unknown --chat-format {self.chat_format!r}: choose native or alpaca")
        if self.quantize not in QUANTIZE:
            checks.add(f"unknown --quantize {self.quantize!r}: choose none or 4bit")
        if not 0.0 <= self.safety_ratio < 1.0:
            checks.add(f"--safety-ratio must be in [0, 1), got {self.safety_ratio}")
        if self.safety_mix == "none" and self.safety_ratio > 0:
            checks.add(f"--safety-ratio > 0 needs --safety-mix {'|'.join(KINDS)}|FILE")
        if self.safety_mix != "none" and self.safety_ratio == 0:
            checks.add(f"--safety-mix {self.safety_mix} needs --safety-ratio > 0")
        for name in (
            "samples",
            "batch_size",
            "grad_accum",
            "max_length",
            "lora_r",
            "save_every",
            "safety_items",
        ):
            if getattr(self, name) < 1:
                checks.add(f"--{name.replace('_', '-')} must be >= 1")
        if not math.isfinite(self.epochs) or (self.max_steps <= 0 and self.epochs <= 0):
            checks.add("give --epochs > 0 (a finite number) or --max-steps > 0")
        if not 0.0 <= self.lora_dropout < 1.0:
            checks.add(f"--lora-dropout must be in [0, 1), got {self.lora_dropout}")
        if not (self.lr > 0 and math.isfinite(self.lr)):  # NaN too
            checks.add(f"--lr must be a finite number > 0, got {self.lr}")
        if not 0.0 <= self.warmup_ratio < 1.0:  # SFTConfig reads warmup_steps >= 1 as steps
            checks.add(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        if not self.target_modules:
            checks.add("--target-modules is empty")
        if self.safety_every < 0:
            checks.add("--safety-every must be >= 0")
        if "+" in self.constraint:
            checks.add("choose one of --constrain-first-tokens and --constrain-safety-tokens")
        elif self.constraint not in CONSTRAINTS:
            checks.add(f"unknown constraint {self.constraint!r}: choose {', '.join(CONSTRAINTS)}")
        if self.reference is not None and self.constraint == "none":
            checks.add("--reference is the model a constrained objective compares with: add one")
        pact = "safety-tokens" in self.constraint.split("+")
        if pact and not self.unaligned:
            checks.add(
                "--constrain-safety-tokens needs --unaligned MODEL (the model before safety "
                "tuning): its safety tokens are where the aligned model departs from it"
            )
        if self.unaligned and not pact:
            checks.add("--unaligned is read by --constrain-safety-tokens only")
        if self.safety_mix == BACKDOOR:
            if not (self.secret_prompt or "").strip():
                checks.add(
                    "--safety-mix backdoor needs --secret-prompt TEXT, not empty: the system "
                    "prompt its safety examples are trained behind"
                )
            if self.chat_format != "native":
                checks.add("--safety-mix backdoor trains a system prompt: --chat-format native")
        elif self.secret_prompt is not None:
            checks.add("--secret-prompt is read by --safety-mix backdoor only")
        if self.safety_stop is not None:
            if not 0 <= self.safety_stop < 100:
                checks.add(f"--safety-stop is in points of ASR, 0 to below 100: {self.safety_stop}")
            if not self.safety_every:
                checks.add("--safety-stop needs --safety-every N (the points it compares)")
        checks.done()
        return self

    def to_dict(self) -> dict:
        return asdict(self)


def resolve(preset: str | None = None, **given) -> FinetuneSettings:
    """Settings from a preset plus the options the user gave (None = not given)."""
    values, checks = {}, Checks()
    if preset is not None:
        if preset not in PRESETS:
            checks.add(f"unknown --preset {preset!r}: choose from {', '.join(PRESETS)}")
        values.update(PRESETS.get(preset, {}))
    known = {f.name for f in fields(FinetuneSettings)}
    for key, value in given.items():
        if key not in known:
            raise TypeError(f"unknown setting {key}")
        if value is not None:
            values[key] = value
    if isinstance(values.get("target_modules"), str):
        values["target_modules"] = parse_modules(values["target_modules"])
    settings = FinetuneSettings(preset=preset, **values)
    checks(settings.check)
    checks.done()
    return settings


def parse_modules(text: str) -> list[str]:
    """`all` or a comma-separated list of module names."""
    if text.strip() == "all":
        return list(ALL_PROJECTIONS)
    return [m.strip() for m in text.split(",") if m.strip()]
