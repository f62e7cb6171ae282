"""`safetygap mitigate`: a finished LoRA fine-tune in, a repaired adapter (or merged model) out.

The work is done in a hidden folder beside OUT and renamed to OUT at the end, with
OUT/mitigate.json written last: a failed run leaves nothing that looks done. The same command
again finds the finished folder and does nothing; another method or setting there is an error.
"""

import json
import os
import shutil
import time
from pathlib import Path

from safetygap import inputs
from safetygap.errors import Checks, UserError
from safetygap.jsonl import atomic_write, read_json, sha256_file
from safetygap.lock import hold
from safetygap.mitigate import METHODS
from safetygap.mitigate.lora import (
    WEIGHTS,
    adapter_base,
    check_fits,
    check_same_shapes,
    load_model,
    read_lora,
    recorded_model,
    weights_of,
    write_lora,
)
from safetygap.models.registry import parse_spec

RECORD = "mitigate.json"


def unaligned_of(model_path: str) -> str | None:
    """The model an aligned checkpoint was aligned from, where `safetygap align` recorded it."""
    return recorded_model(Path(model_path) / "align_settings.json", "alignment record")


def check_trained_on(adapter: Path, model, name: str) -> None:
    """UserError when the fine-tune recorded another base's fingerprint than `model`'s (same
    shapes, other weights). Only fine-tunes trained on the CPU are checked: on a GPU the base
    was loaded in bf16, whose fingerprint differs from the fp32 weights read here."""
    from safetygap.finetune.model import model_fingerprint

    path = adapter / "settings.json"
    record = read_json(path, "fine-tune record") if path.is_file() else {}
    theirs = record.get("base_fingerprint") if record.get("device", "cpu") == "cpu" else None
    if theirs and theirs != model_fingerprint(model):
        raise UserError(f"adapter {adapter} was trained on another base model than {name}")


def validate(method, adapter, out, model, unaligned, params) -> tuple:
    """Every mistake in a repair's input at once (UserError), before a model loads; else (the
    LoRA, the repair's settings, OUT's record when OUT already holds this very repair)."""
    checks = Checks()
    module = checks(METHODS.get, method)
    given = {k: v for k, v in (params or {}).items() if v is not None}
    if module is not None:
        stray = sorted(set(given) - set(module.PARAMS))
        if stray:
            names = ", ".join("--" + ("lambda" if k == "lam" else k) for k in stray)
            checks.add(f"{names}: not a setting of {method}")
        params = {**module.PARAMS, **given}
        checks(module.check, params)
    adapter, out = Path(adapter), Path(out)
    lora = checks(read_lora, adapter)
    if lora is not None:
        model = model or checks(adapter_base, adapter)
        if not model:
            checks.add(f"{adapter}: no base model recorded: give --model")
    if model:
        checks(parse_spec, model)
    if module is not None and module.NEEDS_UNALIGNED:
        unaligned = unaligned or (checks(unaligned_of, model) if model else None)
        if not unaligned:
            checks.add(
                f"{method} needs --unaligned MODEL: the model before alignment (for a hub "
                "instruct model, its base model)"
            )
        else:
            checks(parse_spec, unaligned)
    checks(inputs.out_folder, out)
    checks.done()
    settings = {
        "method": method,
        "params": params,
        "adapter": str(adapter),
        "adapter_sha256": sha256_file(adapter / WEIGHTS),
        "model": model,
        **({"unaligned": unaligned} if module.NEEDS_UNALIGNED else {}),
    }
    hold(out)  # one writer: another process repairing into OUT is refused here
    if (out / RECORD).is_file():
        done = read_json(out / RECORD, "repair record")
        if done.get("settings") == settings:
            return lora, settings, done
        theirs = done.get("settings")
        method_there = theirs.get("method") if isinstance(theirs, dict) else None
        raise UserError(f"{out} holds another repair ({method_there}); choose another --out")
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} exists and is not a finished repair: choose another --out")
    return lora, settings, None


def mitigate(
    method: str,
    adapter: str | Path,
    out: str | Path,
    model: str | None = None,
    unaligned: str | None = None,
    params: dict | None = None,
    log=print,
) -> dict:
    """Repair `adapter` with `method` into `out`; return the record (also OUT/mitigate.json)."""
    lora, settings, done = validate(method, adapter, out, model, unaligned, params)
    if done:
        log(f"{out}: already done ({method})")
        return done
    adapter, out, module = Path(adapter), Path(out), METHODS.get(method)
    params, model, unaligned = settings["params"], settings["model"], settings.get("unaligned")

    t0 = time.perf_counter()
    aligned_model, tok, path = load_model(model, log)
    aligned = weights_of(aligned_model)
    check_fits(lora, aligned, f"model {model}")
    check_trained_on(adapter, aligned_model, model)
    ctx = {"model": aligned_model, "aligned": aligned}
    if module.NEEDS_UNALIGNED:
        unaligned_model, _, _ = load_model(unaligned, log)
        ctx["unaligned"] = weights_of(unaligned_model)
        check_same_shapes(aligned, ctx["unaligned"], f"--unaligned {unaligned}")
    work = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    try:
        tensors, report = module.apply(lora, ctx, params)
        if module.OUTPUT == "adapter":
            write_lora(lora, tensors, work)
            use = {"model": model, "adapter": str(out)}
        else:
            work.mkdir(parents=True)
            aligned_model.save_pretrained(work)
            tok.save_pretrained(work)
            use = {"model": str(out), "adapter": None}
        record = {
            "settings": settings,
            "output": module.OUTPUT,
            "use": use,
            "report": report,
            "seconds": round(time.perf_counter() - t0, 2),
        }
        with atomic_write(work / RECORD) as f:
            json.dump(record, f, indent=1)
        if out.exists():
            out.rmdir()  # empty (checked above)
        os.replace(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log(
        f"{out}: {method} done in {record['seconds']} s; use --model {use['model']}"
        + (f" --adapter {use['adapter']}" if use["adapter"] else "")
    )
    return record
