"""Load a chat model (+ optional PEFT adapter) and its tokenizer for local use.

`load_pretrained` is the one loader of base weights, for inference (`load_causal_lm`) and for
training (`finetune.model.load_base`): the tokenizer (with a pad token and a chat template) and
the model in the device's dtype, left where and as transformers loads it.
"""

import contextlib
import warnings
from pathlib import Path

from safetygap.errors import UserError
from safetygap.jsonl import read_json, wrong_field
from safetygap.models.registry import ModelSpec, parse_spec

ADAPTER_WEIGHTS = "adapter_model.safetensors"
# The kinds of the adapter config's fields that PEFT reads without checking them itself.
ADAPTER_FIELDS = {
    "peft_type": str,
    "base_model_name_or_path": (str, type(None)),
    "task_type": (str, type(None)),
    "r": int,
    "lora_alpha": float,
    "lora_dropout": float,
    "bias": str,
    "target_modules": (str, list, type(None)),
    "modules_to_save": (list, type(None)),
    "layers_to_transform": (int, list, type(None)),
    "rank_pattern": dict,
    "alpha_pattern": dict,
    "fan_in_fan_out": bool,
    "use_rslora": bool,
    "use_dora": bool,
}


def resolve(spec: ModelSpec | str, log=print) -> str:
    """A path or hub id transformers can load; embedded models are pulled on first use."""
    spec = parse_spec(spec) if isinstance(spec, str) else spec
    if spec.kind == "embedded":
        from safetygap.models.pull import ensure

        return str(ensure(spec.name, log=log))
    if spec.kind in ("local", "hub"):
        return spec.name
    raise UserError(f"{spec.raw} is an endpoint, not a local model")


def device_and_dtype():
    import torch

    if torch.cuda.is_available():
        return "cuda", torch.bfloat16
    return "cpu", torch.float32


def load_tokenizer(path: str):
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as e:
        raise UserError(f"cannot load a tokenizer from {path}: {str(e).splitlines()[0]}") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if not tok.chat_template:
        raise UserError(f"{path}: the tokenizer has no chat template")
    return tok


def check_adapter(adapter: str | Path) -> dict:
    """The adapter's PEFT config; UserError if it is not an adapter folder PEFT can load: a
    config that is not a JSON object or has a field of the wrong kind, or (for LoRA) weights
    that are missing, unreadable or of another rank than the config's. Whether the adapter fits
    a model is known only once the model is loaded."""
    folder = Path(adapter)
    cfg_path = folder / "adapter_config.json"
    if not cfg_path.is_file():
        raise UserError(f"{adapter}: not a PEFT adapter folder (no adapter_config.json)")
    cfg = read_json(cfg_path, "adapter config")
    lora = cfg.get("peft_type") == "LORA"
    wrong = wrong_field(cfg, ["peft_type", *(["r", "lora_alpha"] if lora else [])], ADAPTER_FIELDS)
    if not wrong and isinstance(cfg.get("target_modules"), list):
        if not all(isinstance(m, str) for m in cfg["target_modules"]):
            wrong = "target_modules must be a list of strings"
    if wrong:
        raise UserError(f"{cfg_path}: {wrong}")
    from peft import PeftConfig

    try:
        PeftConfig.from_pretrained(str(folder))
    except (ValueError, TypeError, KeyError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise UserError(f"{cfg_path}: not a config PEFT can load: {first}") from None
    if lora:
        check_lora_weights(folder, cfg)
    return cfg


def check_lora_weights(folder: Path, cfg: dict) -> None:
    """UserError unless the folder's safetensors file is whole and holds LoRA pairs of the
    config's rank (read from its header: no tensor is loaded)."""
    from safetensors import SafetensorError, safe_open

    path = folder / ADAPTER_WEIGHTS
    if not path.is_file():
        if (folder / "adapter_model.bin").is_file():
            return  # the old pickle format: PEFT checks it as it loads it
        raise UserError(f"{folder}: no {ADAPTER_WEIGHTS}")
    try:
        with safe_open(str(path), "pt") as f:
            shapes = {k: f.get_slice(k).get_shape() for k in f.keys()}
    except (SafetensorError, OSError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise UserError(f"{path}: not a whole safetensors file ({first})") from None
    a_keys = [k for k in shapes if ".lora_A." in k]
    if not a_keys:
        raise UserError(f"{path}: no LoRA weights (lora_A, lora_B) in it")
    for key in a_keys:
        b_key = key.replace(".lora_A.", ".lora_B.")
        if b_key not in shapes:
            raise UserError(f"{path}: {key} has no lora_B")
        rank = shapes[key][0] if shapes[key] else None
        if not cfg.get("rank_pattern") and rank != cfg["r"]:
            raise UserError(f"{path}: {key} has rank {rank}, the config says r={cfg['r']}")


# Where the warnings `quiet_libraries` silences come from: the libraries' own modules (a warning
# that points at our code, or any other kind of warning, still shows).
LIBRARIES = r"(transformers|trl|peft)(\..*)?"


@contextlib.contextmanager
def quiet_libraries():
    """Within: FutureWarning and DeprecationWarning raised in transformers, TRL or PEFT (their
    calls to each other's deprecated names, which a user can do nothing about) are not shown."""
    with warnings.catch_warnings():
        for category in (FutureWarning, DeprecationWarning):
            warnings.filterwarnings("ignore", category=category, module=LIBRARIES)
        yield


def load_pretrained(path: str, dtype=None, **kwargs):
    """(model, tokenizer, device) from a resolved path (see `resolve`): the model in `dtype`
    (default: the device's), still on the CPU and not yet moved to the device nor put in a
    training mode. `kwargs` go to `from_pretrained` (a quantization config, a device map: then
    the model is where the map puts it)."""
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    tok = load_tokenizer(path)
    device, default = device_and_dtype()
    dtype = dtype or default
    try:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **kwargs)
    except (OSError, ValueError) as e:
        raise UserError(f"cannot load model {path}: {str(e).splitlines()[0]}") from None
    return model, tok, device


def load_causal_lm(spec: ModelSpec | str, adapter: str | None = None, log=print, merge=True):
    """(model, tokenizer, device) ready for inference, with the adapter applied on top: merged
    into the weights (`merge`), so that a fine-tune answers as fast as its base (unmerged, every
    adapted layer adds two small matmuls per token). In fp32 the merged model gives the same
    greedy answers (benchmarks/merged_adapter.py); in bf16 the merge rounds the weights once."""
    path = resolve(spec, log=log)
    model, tok, device = load_pretrained(path)
    if adapter:
        from peft import PeftModel

        check_adapter(adapter)
        try:
            with quiet_libraries():
                model = PeftModel.from_pretrained(model, adapter)
        except (RuntimeError, ValueError, KeyError) as e:
            raise UserError(
                f"adapter {adapter} does not fit model {path}: {str(e).splitlines()[0]}"
            ) from None
        if merge:
            model = model.merge_and_unload()
    model.to(device).eval()
    return model, tok, device


def free_memory(device) -> int | None:
    """Bytes free on the device now (None where that cannot be told)."""
    import torch

    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    if device.type != "cpu":
        return None
    try:
        import psutil
    except ImportError:
        return None
    return psutil.virtual_memory().available
