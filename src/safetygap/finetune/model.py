"""The base model a run trains: loaded with the project's one loader, fingerprinted, checked."""

from pathlib import Path

from safetygap.errors import UserError
from safetygap.finetune.config import FinetuneSettings

NEEDS_GPU = (
    "--quantize 4bit needs a CUDA GPU and the bitsandbytes package (pip install 'safetygap[gpu]')"
)


def check_quantize(s: FinetuneSettings) -> None:
    """UserError when `s.quantize` cannot run here (4bit: no CUDA or no bitsandbytes)."""
    if s.quantize == "none":
        return
    import importlib.util

    import torch

    if not torch.cuda.is_available() or importlib.util.find_spec("bitsandbytes") is None:
        raise UserError(NEEDS_GPU)


def load_base(s: FinetuneSettings, log=print):
    """(model, tokenizer, path, device) for training: local base weights, not an adapter.
    With `quantize=4bit`, QLoRA's base: NF4 weights with double quantization, bf16 compute, on
    the GPU, prepared by PEFT for k-bit training (which turns on gradient checkpointing)."""
    from safetygap.models.load import load_pretrained, resolve
    from safetygap.models.registry import parse_spec

    check_quantize(s)
    spec = parse_spec(s.model)
    if spec.is_remote:
        raise UserError("fine-tuning needs local weights, not an endpoint")
    path = resolve(spec, log=log)
    if (Path(path) / "adapter_config.json").is_file():
        raise UserError(f"{path} is an adapter folder: give its base as --model, it as --adapter")
    if s.quantize == "none":
        model, tok, device = load_pretrained(path)
        return model, tok, path, device
    import torch
    from peft import prepare_model_for_kbit_training
    from transformers import BitsAndBytesConfig

    nf4 = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_compute_dtype=torch.bfloat16,
        bnb_4bit_use_double_quant=True,
    )
    on_gpu = {"": torch.cuda.current_device()}
    model, tok, device = load_pretrained(
        path, dtype=torch.bfloat16, quantization_config=nf4, device_map=on_gpu
    )
    return prepare_model_for_kbit_training(model), tok, path, device


def model_fingerprint(model) -> str:
    """A short hash of the base weights (first values of every tensor), to match adapters."""
    import hashlib

    import torch

    h = hashlib.sha256()
    with torch.no_grad():
        for name, p in sorted(model.state_dict().items()):
            if "lora_" in name:
                continue
            h.update(name.encode())
            h.update(str(tuple(p.shape)).encode())
            h.update(p.detach().flatten()[:256].float().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def check_targets(model, targets: list[str]) -> None:
    """UserError if the model has no module of one of the `--target-modules` names."""
    names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
    missing = [t for t in targets if t not in names]
    if missing:
        raise UserError(f"--target-modules: the model has no {', '.join(missing)}")
