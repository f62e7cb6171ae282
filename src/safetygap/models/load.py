"""Load a chat model (+ optional PEFT adapter) and its tokenizer for local use.

`load_pretrained` is the one loader of base weights, for inference (`load_causal_lm`) and for
training (`finetune.model.load_base`): the tokenizer (with a pad token and a chat template) and
the model in the device's dtype, left where and as transformers loads it.
"""

import json
from pathlib import Path

from safetygap.errors import UserError
from safetygap.models.registry import ModelSpec, parse_spec


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
    """The adapter's PEFT config; UserError if it is not an adapter folder."""
    cfg_path = Path(adapter) / "adapter_config.json"
    if not cfg_path.is_file():
        raise UserError(f"{adapter}: not a PEFT adapter folder (no adapter_config.json)")
    return json.loads(cfg_path.read_text())


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
            model = PeftModel.from_pretrained(model, adapter)
        except (RuntimeError, ValueError, KeyError) as e:
            raise UserError(
                f"adapter {adapter} does not fit model {path}: {str(e).splitlines()[0]}"
            ) from None
        if merge:
            model = model.merge_and_unload()
    model.to(device).eval()
    return model, tok, device
