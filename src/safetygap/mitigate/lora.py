"""A finished LoRA adapter as tensors: read it, check it against a base, write a changed copy;
and the full weights of a local model, for the alignment direction W_aligned - W_unaligned."""

import shutil
from dataclasses import dataclass
from pathlib import Path

from safetygap.errors import UserError
from safetygap.jsonl import read_json

WEIGHTS = "adapter_model.safetensors"


@dataclass
class LoRA:
    path: Path
    config: dict
    tensors: dict  # adapter key -> tensor (fp32)
    scaling: float  # the factor PEFT applies to B @ A
    modules: dict[str, tuple[str, str]]  # base weight key -> (key of A, key of B)

    def delta(self, module: str, tensors: dict | None = None):
        """scaling * B @ A: the update a module's weight gets (from `tensors` when given)."""
        t = tensors or self.tensors
        a, b = self.modules[module]
        return self.scaling * (t[b] @ t[a])


def read_lora(path: str | Path) -> LoRA:
    """The adapter's tensors and config; UserError for what is not a plain LoRA adapter."""
    from safetensors.torch import load_file

    from safetygap.models.load import check_adapter

    path = Path(path)
    config = check_adapter(path)
    if config.get("peft_type", "LORA") != "LORA":
        raise UserError(f"{path}: a {config.get('peft_type')} adapter, not LoRA")
    unsupported = [
        k for k in ("rank_pattern", "alpha_pattern", "modules_to_save", "use_dora") if config.get(k)
    ]
    if config.get("bias", "none") != "none" or unsupported:
        raise UserError(f"{path}: LoRA options not supported here: {unsupported or ['bias']}")
    if not (path / WEIGHTS).is_file():
        raise UserError(f"{path}: no {WEIGHTS}")
    try:
        tensors = {k: v.float() for k, v in load_file(path / WEIGHTS).items()}
    except Exception as e:  # safetensors raises its own error types for a broken file
        raise UserError(f"{path}/{WEIGHTS}: unreadable ({type(e).__name__})") from None
    r, alpha = config.get("r"), config.get("lora_alpha")
    if not r or not alpha:
        raise UserError(f"{path}: adapter_config.json lacks r or lora_alpha")
    scaling = alpha / (r**0.5 if config.get("use_rslora") else r)
    modules = {}
    for key in tensors:
        if key.endswith(".lora_A.weight"):
            stem = key[: -len(".lora_A.weight")]
            b_key = f"{stem}.lora_B.weight"
            if b_key not in tensors:
                raise UserError(f"{path}: {key} has no lora_B")
            module = stem.removeprefix("base_model.model.") + ".weight"
            modules[module] = (key, b_key)
    if not modules:
        raise UserError(f"{path}: no LoRA weights in {WEIGHTS}")
    return LoRA(path, config, tensors, scaling, modules)


def check_fits(lora: LoRA, weights: dict, what: str) -> None:
    """UserError unless every adapted module exists in `weights` with the adapter's shape."""
    for module, (a, b) in lora.modules.items():
        w = weights.get(module)
        want = (lora.tensors[b].shape[0], lora.tensors[a].shape[1])
        if w is None or tuple(w.shape) != want:
            got = "missing" if w is None else tuple(w.shape)
            raise UserError(
                f"adapter {lora.path} does not fit {what}: {module} is {got}, the adapter "
                f"changes a {want[0]}x{want[1]} weight"
            )


def check_same_shapes(aligned: dict, unaligned: dict, what: str) -> None:
    """UserError unless the two models have the same weights by name and shape."""
    for name, w in aligned.items():
        other = unaligned.get(name)
        if other is None or other.shape != w.shape:
            got = "missing" if other is None else tuple(other.shape)
            raise UserError(
                f"{what} does not match the aligned model: {name} is {got} there, "
                f"{tuple(w.shape)} in the aligned model"
            )


def load_model(spec: str, log=print):
    """(model, tokenizer, path) of a local model in fp32 on the CPU (weights to do arithmetic
    on); UserError for an endpoint."""
    import torch

    from safetygap.models.load import load_pretrained, resolve
    from safetygap.models.registry import parse_spec

    parsed = parse_spec(spec)
    if parsed.is_remote:
        raise UserError(f"{spec} is an endpoint: mitigation needs local weights")
    path = resolve(parsed, log=log)
    model, tok, _ = load_pretrained(path, dtype=torch.float32)
    return model, tok, path


def weights_of(model) -> dict:
    """name -> tensor of a model's weights (tied weights once)."""
    return {k: v.detach() for k, v in model.state_dict().items()}


def write_lora(lora: LoRA, tensors: dict, out: Path) -> None:
    """The adapter with its tensors replaced, in `out` (config and README copied as they are)."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    for name in ("adapter_config.json", "README.md"):
        if (lora.path / name).is_file():
            shutil.copy(lora.path / name, out / name)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(out / WEIGHTS))


def recorded_model(path: Path, what: str) -> str | None:
    """`settings.model` of a run's JSON record (a fine-tune's settings.json, an alignment's
    align_settings.json), or None where the file is not there; UserError for a broken one."""
    if not path.is_file():
        return None
    model = read_json(path, what).get("settings", {})
    model = model.get("model") if isinstance(model, dict) else None
    if model is not None and not isinstance(model, str):
        raise UserError(f"{path}: settings.model must be a string, got {model!r}")
    return model


def adapter_base(path: Path) -> str | None:
    """The base model an adapter was trained on, as its fine-tune recorded it."""
    from safetygap.models.load import check_adapter

    return recorded_model(path / "settings.json", "fine-tune record") or check_adapter(path).get(
        "base_model_name_or_path"
    )
