"""The base model a run trains: loaded with the project's one loader, fingerprinted, checked."""

from pathlib import Path

from safetygap.errors import UserError
from safetygap.finetune.config import FinetuneSettings


def load_base(s: FinetuneSettings, log=print):
    """(model, tokenizer, path, device) for training: local base weights, not an adapter."""
    from safetygap.models.load import load_pretrained, resolve
    from safetygap.models.registry import parse_spec

    spec = parse_spec(s.model)
    if spec.is_remote:
        raise UserError("fine-tuning needs local weights, not an endpoint")
    path = resolve(spec, log=log)
    if (Path(path) / "adapter_config.json").is_file():
        raise UserError(f"{path} is an adapter folder: give its base as --model, it as --adapter")
    model, tok, device = load_pretrained(path)
    return model, tok, path, device


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
