"""LoRA fine-tuning with TRL's SFTTrainer and PEFT, loss on the completion only.

A run reads its settings, builds the training set (task sample + safety mix, `data.py`), loads the
base (`model.py`), trains in `OUT.work/` with checkpoints (a killed run resumes from the last
complete one), then writes the finished folder in one rename: OUT/ holds the adapter,
settings.json, data.json (hashes and counts) and train_log.jsonl (plus safety_curve.jsonl with
`--safety-every`). OUT/ exists only when the run finished.

This file reads top to bottom: the run (`finetune`) and its folders, then the training recipe
(`_train`: the trainer, its LoRA and SFT configs, the CPU fast paths, resume). Off the GPU the
trainer is `loss.CompletionSFTTrainer` (TRL's loss on the completion tokens only).
"""

import json
import os
import shutil
import time
from pathlib import Path

from safetygap.errors import UserError
from safetygap.finetune.config import FinetuneSettings
from safetygap.finetune.constraints import make_constraint
from safetygap.finetune.data import to_trainer_record, tokenized_records, training_set
from safetygap.finetune.logs import step_callbacks
from safetygap.finetune.model import check_quantize, check_targets, load_base, model_fingerprint
from safetygap.jsonl import atomic_write, read_json, write_jsonl
from safetygap.lock import hold
from safetygap.models.load import quiet_libraries
from safetygap.safetydata import canonical_kind

FINISHED = "settings.json"  # written last into the temp folder: its presence marks a finished run


# The run


def finetune(
    s: FinetuneSettings,
    out: str | Path,
    adapter: str | None = None,
    log=print,
    callbacks: tuple = (),
    progress: bool | None = None,
) -> Path:
    """Run (or resume, or find finished) one fine-tuning; return the finished folder. The
    console gets `log` lines and (`progress`, default on a terminal) a bar of the steps; the
    trainer's per-step records go to train_log.jsonl (`logs.py`)."""
    out = Path(out)
    s.check()
    identity = {"settings": s.to_dict(), "adapter": str(adapter) if adapter else None}
    if out.exists():
        return found_finished(out, identity, log)
    check_quantize(s)  # before the data and OUT.work/
    hold(out)  # one writer: another process fine-tuning into OUT is refused here

    examples, data = training_set(s, log)
    if not examples:
        raise UserError("no training examples")
    identity["train_set_sha256"] = data["train_set_sha256"]
    work = work_folder(out, identity, log)

    model, tok, path, device = load_base(s, log)
    fingerprint = model_fingerprint(model)
    check_targets(model, s.target_modules)
    result = _train(
        s, model, tok, device, examples, work, adapter, fingerprint, log, callbacks, progress
    )

    data["n_trained"] = result["n_trained"]  # after TRL dropped over-long prompts
    record = {
        **identity,
        "start_adapter": identity["adapter"],
        "model_path": path,
        "base_fingerprint": fingerprint,
        "device": device,
        "steps": result["steps"],
        "train_seconds": round(result["seconds"], 1),
        "final_loss": result["final_loss"],
        "versions": versions(),
    }
    publish(out, work, result, data, record)
    log(f"{out}: adapter after {result['steps']} steps, final loss {result['final_loss']}")
    return out


def is_finished(out: Path) -> bool:
    return (out / FINISHED).is_file() and (out / "adapter_config.json").is_file()


def found_finished(out: Path, identity: dict, log=print) -> Path:
    """`out`, when it holds a run finished with these settings; UserError for anything else."""
    if is_finished(out):
        done = read_json(out / FINISHED, "fine-tune record")
        settings = done.get("settings") or {}
        if not isinstance(settings, dict):
            raise UserError(f"{out / FINISHED}: settings must be an object: choose another --out")
        if "template" in settings:  # written before `template` was renamed `chat_format`
            settings["chat_format"] = settings.pop("template")
        settings.setdefault("quantize", "none")  # written before --quantize existed
        settings.setdefault("safety_stop", None)  # written before --safety-stop existed
        settings.setdefault("constraint", "none")  # before the constrained objectives
        settings.setdefault("reference", None)
        settings.setdefault("unaligned", None)
        settings.setdefault("secret_prompt", None)
        renamed_mix(settings)
        if same_local_model(done, identity["settings"]["model"]):
            settings["model"] = identity["settings"]["model"]
        there = {"settings": settings, "adapter": done.get("start_adapter")}
        if there == identity:
            log(f"{out}: already finished with these settings")
            return out
        raise UserError(
            f"{out} holds a fine-tune with other settings ({differences(there, identity)}): "
            "choose another --out"
        )
    raise UserError(f"{out} exists and is not a finished run: remove it or choose another --out")


def differences(there: dict, here: dict) -> str:
    """Each setting that differs, with its value in the finished run and in this one."""
    pairs = {k: (v, here["settings"].get(k)) for k, v in there["settings"].items()}
    pairs.update({k: (None, v) for k, v in here["settings"].items() if k not in there["settings"]})
    pairs["adapter"] = (there["adapter"], here["adapter"])
    return ", ".join(f"{k}: {a} there, {b} here" for k, (a, b) in pairs.items() if a != b)


def renamed_mix(settings) -> None:
    """Give a recorded run's safety mix its name of today (`multitask` -> `all-formats`)."""
    if isinstance(settings, dict) and isinstance(settings.get("safety_mix"), str):
        settings["safety_mix"] = canonical_kind(settings["safety_mix"])


def same_local_model(done: dict, spec: str) -> bool:
    """Whether `spec` names the local folder a finished run trained (`runs/aligned` and its
    absolute path are the same model)."""
    from safetygap.models.registry import parse_spec

    try:
        new = parse_spec(spec)
    except UserError:
        return False
    return new.kind == "local" and new.name == done.get("model_path")


def same_folder_named(identity: dict) -> dict:
    """`identity` with a local model folder named by its real path, so two paths to one folder
    (a search's trials reach the aligned base through their own `stages` links) are one run."""
    settings = identity.get("settings")
    if not isinstance(settings, dict) or not isinstance(settings.get("model"), str):
        return identity
    path = Path(settings["model"])
    if not path.is_dir():
        return identity
    return {**identity, "settings": {**settings, "model": str(path.resolve())}}


def work_folder(out: Path, identity: dict, log=print) -> Path:
    """OUT.work/, stamped with the run's identity; one left by another run is started afresh."""
    work = out.with_name(out.name + ".work")
    stamp = work / "run.json"
    if work.exists():
        try:
            done = read_json(stamp, "run stamp") if stamp.is_file() else None
            if isinstance(done, dict):
                renamed_mix(done.get("settings"))
            same = isinstance(done, dict) and same_folder_named(done) == same_folder_named(identity)
        except UserError:  # a stamp torn or damaged: the folder is not known to be this run's
            same = False
        if not same:
            log(f"{work}: left by a run with other settings or data; starting afresh")
            shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    with atomic_write(stamp) as f:
        json.dump(identity, f)
    return work


def last_checkpoint(folder: Path) -> Path | None:
    """The newest checkpoint whose trainer state was written (the Trainer saves it last)."""
    done = [p for p in folder.glob("checkpoint-*") if (p / "trainer_state.json").is_file()]
    return max(done, key=lambda p: int(p.name.split("-")[1]), default=None)


def publish(out: Path, work: Path, result: dict, data: dict, record: dict) -> None:
    """Write the finished folder in a temp folder, FINISHED last, rename it to `out`, drop WORK."""
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        result["trainer"].model.save_pretrained(tmp)
        write_jsonl(tmp / "train_log.jsonl", result["log"])
        for name in ("safety_curve.jsonl", SAFETY_TOKENS):
            if (work / name).is_file():
                shutil.copy(work / name, tmp / name)
        with atomic_write(tmp / "data.json") as f:
            json.dump(data, f, indent=1)
        with atomic_write(tmp / FINISHED) as f:
            json.dump(record, f, indent=1)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)


def versions() -> dict:
    from importlib import metadata

    return {p: metadata.version(p) for p in ("torch", "transformers", "trl", "peft", "datasets")}


# The recipe


def _train(
    s, model, tok, device, examples, work, adapter, fingerprint, log, callbacks, progress=None
) -> dict:
    """Train the adapter in WORK, from its last checkpoint if any; the trainer and a summary."""
    with quiet_libraries():
        return _train_quietly(
            s, model, tok, device, examples, work, adapter, fingerprint, log, callbacks, progress
        )


def _train_quietly(
    s, model, tok, device, examples, work, adapter, fingerprint, log, callbacks, progress
) -> dict:
    trainer, trained = build_trainer(
        s, model, tok, device, examples, work, adapter, fingerprint, log, callbacks, progress
    )
    if device != "cuda":
        from safetygap.finetune import cpu

        cpu.use_segment_attention(trainer.model.get_base_model())
        if getattr(trainer, "reference", None) is not None:  # it reads the same packed rows
            cpu.use_segment_attention(trainer.reference)
        cpu.use_fast_dropout(trainer.model)
    resume = last_checkpoint(work / "checkpoints")
    if resume:
        log(f"resuming from {resume}")
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    if device != "cuda":
        cpu.restore_attention(trainer.model.get_base_model())
    history = [h for h in trainer.state.log_history]
    losses = [h["loss"] for h in history if "loss" in h]
    return {
        "trainer": trainer,
        "log": history,
        "steps": trainer.state.global_step,
        "seconds": time.perf_counter() - start,
        "final_loss": round(losses[-1], 4) if losses else None,
        "n_trained": trained,
    }


def build_trainer(
    s: FinetuneSettings,
    model,
    tok,
    device: str,
    examples: list[dict],
    work: Path,
    adapter: str | None = None,
    fingerprint: str | None = None,
    log=print,
    callbacks: tuple = (),
    progress: bool | None = None,
):
    """(trainer, examples it trains on): a new LoRA adapter, or `adapter` trained further, on
    the examples as prompt-completion records; seeded before the adapter is made. Each step is
    logged to WORK/train_log.jsonl, not printed."""
    from datasets import Dataset
    from datasets.utils.logging import disable_progress_bar
    from transformers import set_seed
    from transformers.trainer_callback import PrinterCallback

    from safetygap.finetune.loss import sft_trainer_class

    set_seed(s.seed)
    disable_progress_bar()
    reference = load_reference(s.reference, model, device, log) if s.reference else None
    tokens = None
    if s.constraint == "safety-tokens":  # found on the base as loaded, before any adapter
        tokens = find_safety_tokens(s, reference or model, tok, device, work, log)
    peft_config = None
    if adapter:
        model = attach_adapter(model, adapter, fingerprint, s.quantize)
    else:
        peft_config = lora_config(s)
    if any(e.get("prefix") for e in examples):  # safety-recovery examples (`align --deep`)
        dataset = Dataset.from_list(tokenized_records(examples, s.chat_format, tok, s.max_length))
    else:
        dataset = Dataset.from_list([to_trainer_record(e, s.chat_format) for e in examples])
    callbacks = [*callbacks, *step_callbacks(work, progress)]
    if s.safety_every:
        from safetygap.integrations.trl import SafetyGapCallback

        curve = work / "safety_curve.jsonl"
        probe = dict(items=s.safety_items, benign=s.safety_items // 5, curve=curve, log=log)
        probe["stop_rise"] = s.safety_stop
        callbacks.append(SafetyGapCallback(every=s.safety_every, **probe))
    trainer = sft_trainer_class(device, constrained=s.constraint != "none")(
        model=model,
        args=sft_config(s, work, device),
        train_dataset=dataset,
        processing_class=tok,
        peft_config=peft_config,
        callbacks=callbacks,
    )
    trainer.constraint = make_constraint(s.constraint, tokens)
    trainer.reference = reference
    trainer.remove_callback(PrinterCallback)  # disable_tqdm's print of every step's record
    trained = len(trainer.train_dataset)  # TRL drops examples whose prompt fills max_length
    if trained < len(examples):
        log(f"{len(examples) - trained} examples dropped: the prompt alone fills --max-length")
    if trained == 0:
        raise UserError(f"every example's prompt fills --max-length {s.max_length}: raise it")
    return trainer, trained


SAFETY_TOKENS = "safety_tokens.json"  # PACT's tokens of a `safety-tokens` run, kept with it


def find_safety_tokens(s: FinetuneSettings, aligned, tok, device: str, work: Path, log=print):
    """PACT's safety tokens (`constraints.safety_tokens`) of the aligned model against
    `s.unaligned`, computed once into WORK (a resumed run reads them back)."""
    from safetygap.finetune.constraints import safety_tokens
    from safetygap.models.load import load_causal_lm

    path = work / SAFETY_TOKENS
    if path.is_file():
        return read_json(path, "safety tokens")
    log(f"finding the safety tokens against the unaligned model {s.unaligned}")
    unaligned, _, _ = load_causal_lm(s.unaligned)
    check_vocabulary(unaligned, aligned, f"--unaligned {s.unaligned}")
    tokens = safety_tokens(aligned.eval(), unaligned.to(device).eval(), tok)
    with atomic_write(path) as f:
        json.dump(tokens, f, indent=1)
    return tokens


def check_vocabulary(other, model, what: str) -> None:
    if (
        other.get_output_embeddings().weight.shape[0]
        != model.get_output_embeddings().weight.shape[0]
    ):
        raise UserError(f"{what}: its vocabulary is not the fine-tuned model's")


def load_reference(spec: str, model, device: str, log=print):
    """The frozen reference model of a constrained objective, on the trainer's device; UserError
    when its vocabulary is not the trained model's."""
    from safetygap.models.load import load_causal_lm

    log(f"reference model for the constrained objective: {spec}")
    reference, _, _ = load_causal_lm(spec)
    check_vocabulary(reference, model, f"--reference {spec}")
    reference.requires_grad_(False)
    return reference.to(device).eval()


def attach_adapter(model, adapter: str, fingerprint: str, quantize: str = "none"):
    """The model with an existing adapter, trainable; UserError if it was made on another base
    (fingerprints are compared only between runs of the same `quantize`: 4-bit weights differ)."""
    from peft import PeftModel

    from safetygap.models.load import check_adapter

    check_adapter(adapter)
    settings = Path(adapter) / FINISHED
    if settings.is_file():
        record = read_json(settings, "fine-tune record")
        theirs = record.get("base_fingerprint")
        recorded = record.get("settings")
        recorded = recorded if isinstance(recorded, dict) else {}
        same_load = recorded.get("quantize", "none") == quantize
        if theirs and same_load and theirs != fingerprint:
            raise UserError(f"adapter {adapter} was trained on another base model than --model")
    try:
        return PeftModel.from_pretrained(model, adapter, is_trainable=True)
    except (RuntimeError, ValueError, KeyError) as e:
        raise UserError(
            f"adapter {adapter} does not fit --model: {str(e).splitlines()[0]}"
        ) from None


def lora_config(s: FinetuneSettings):
    from peft import LoraConfig

    return LoraConfig(
        r=s.lora_r,
        lora_alpha=s.lora_alpha,
        lora_dropout=s.lora_dropout,
        target_modules=list(s.target_modules),
        task_type="CAUSAL_LM",
        bias="none",
    )


def sft_config(s: FinetuneSettings, work: Path, device: str):
    """TRL's SFTConfig: every setting maps to one field (tests/finetune/test_loss.py checks it)."""
    from trl import SFTConfig

    on_gpu = device == "cuda"
    return SFTConfig(
        output_dir=str(work / "checkpoints"),
        per_device_train_batch_size=s.batch_size,
        gradient_accumulation_steps=s.grad_accum,
        learning_rate=s.lr,
        lr_scheduler_type=s.scheduler,
        # transformers 5 has no warmup_ratio: a warmup_steps in [0, 1) is a share of the steps,
        # ceil(total * share) (`TrainingArguments.get_warmup_steps`); FinetuneSettings keeps it < 1
        warmup_steps=s.warmup_ratio,
        num_train_epochs=s.epochs,
        max_steps=s.max_steps,
        max_length=s.max_length,
        completion_only_loss=True,
        logging_steps=1,
        save_strategy="steps",
        save_steps=s.save_every,
        save_total_limit=2,
        seed=s.seed,
        data_seed=s.seed,
        bf16=on_gpu,
        fp16=False,
        # TRL turns it on by default: slow and needless here (by its transformers 5 name, as the
        # old one, gradient_checkpointing, is deprecated)
        activation_checkpointing=False,
        use_cpu=not on_gpu,
        report_to=[],
        disable_tqdm=True,
        dataloader_num_workers=0,
        dataloader_pin_memory=on_gpu,  # pinning is a no-op (and a warning) without a GPU
        dataset_num_proc=None,
    )
