"""LoRA fine-tuning with TRL's SFTTrainer and PEFT, loss on the completion only.

A run reads its settings, builds the training set (task sample + safety mix), trains in
`OUT.work/` with checkpoints (a killed run resumes from the last complete one), then writes the
finished folder in one rename: OUT/ holds the adapter, settings.json, data.json (hashes and
counts) and train_log.jsonl (plus safety_curve.jsonl with `--safety-every`). OUT/ exists only
when the run finished.
"""

import json
import os
import shutil
import time
from pathlib import Path

from safetygap.errors import UserError
from safetygap.finetune.config import FinetuneSettings
from safetygap.finetune.mix import examples_sha256, load_safety, mix, pick
from safetygap.jsonl import atomic_write, write_jsonl

ALPACA = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:\n"
)
FINISHED = "settings.json"  # written last into the temp folder: its presence marks a finished run


def training_set(s: FinetuneSettings, log=print) -> tuple[list[dict], dict]:
    """The examples of a run, in a fixed order, and their provenance (hashes, counts)."""
    from safetygap.finetune.tasks import load_examples, task_kind

    task_train = load_examples(s.task, "train", s.prompt_field, s.response_field)
    if len(task_train) < s.samples:
        log(f"task {s.task}: {len(task_train)} train examples, fewer than --samples {s.samples}")
    task = pick(task_train, min(s.samples, len(task_train)), s.seed, "task")
    safety, provenance = load_safety(s.safety_mix, log)
    if s.safety_mix != "none" and not safety:
        raise UserError(f"--safety-mix {s.safety_mix}: no safety examples")
    examples = mix(task, safety, s.safety_ratio, s.seed)
    data = {
        "task": s.task,
        "task_kind": task_kind(s.task),
        "task_train_available": len(task_train),
        "task_train_sha256": examples_sha256(task_train),
        "n_task": len(task),
        "safety": provenance,
        "n_safety": len(examples) - len(task),
        "train_set_sha256": examples_sha256(examples),
    }
    if s.task.endswith(".jsonl") or Path(s.task).is_file():
        from safetygap.jsonl import sha256_file

        data["task_file_sha256"] = sha256_file(s.task)
    return examples, data


def to_trainer_record(example: dict, chat_format: str) -> dict:
    """A prompt-completion record: chat messages (native) or Alpaca text (TRL adds the EOS)."""
    if chat_format == "alpaca":
        return {
            "prompt": ALPACA.format(instruction=example["prompt"]),
            "completion": example["response"],
        }
    return {
        "prompt": [{"role": "user", "content": example["prompt"]}],
        "completion": [{"role": "assistant", "content": example["response"]}],
    }


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


def is_finished(out: Path) -> bool:
    return (out / FINISHED).is_file() and (out / "adapter_config.json").is_file()


def last_checkpoint(folder: Path) -> Path | None:
    """The newest checkpoint whose trainer state was written (the Trainer saves it last)."""
    done = [p for p in folder.glob("checkpoint-*") if (p / "trainer_state.json").is_file()]
    return max(done, key=lambda p: int(p.name.split("-")[1]), default=None)


def load_base(s: FinetuneSettings, log=print):
    """(model, tokenizer, path, device) for training."""
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    from safetygap.models.load import device_and_dtype, load_tokenizer, resolve
    from safetygap.models.registry import parse_spec

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    spec = parse_spec(s.model)
    if spec.is_remote:
        raise UserError("fine-tuning needs local weights, not an endpoint")
    path = resolve(spec, log=log)
    if (Path(path) / "adapter_config.json").is_file():
        raise UserError(f"{path} is an adapter folder: give its base as --model, it as --adapter")
    tok = load_tokenizer(path)
    device, dtype = device_and_dtype()
    try:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    except (OSError, ValueError) as e:
        raise UserError(f"cannot load model {path}: {str(e).splitlines()[0]}") from None
    return model, tok, path, device


def check_targets(model, targets: list[str]) -> None:
    names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
    missing = [t for t in targets if t not in names]
    if missing:
        raise UserError(f"--target-modules: the model has no {', '.join(missing)}")


def attach_adapter(model, adapter: str, fingerprint: str):
    """The model with an existing adapter, trainable; UserError if it was made on another base."""
    from peft import PeftModel

    from safetygap.models.load import check_adapter

    check_adapter(adapter)
    settings = Path(adapter) / FINISHED
    if settings.is_file():
        theirs = json.loads(settings.read_text()).get("base_fingerprint")
        if theirs and theirs != fingerprint:
            raise UserError(f"adapter {adapter} was trained on another base model than --model")
    try:
        return PeftModel.from_pretrained(model, adapter, is_trainable=True)
    except (RuntimeError, ValueError, KeyError) as e:
        raise UserError(
            f"adapter {adapter} does not fit --model: {str(e).splitlines()[0]}"
        ) from None


def versions() -> dict:
    from importlib import metadata

    return {p: metadata.version(p) for p in ("torch", "transformers", "trl", "peft", "datasets")}


def finetune(
    s: FinetuneSettings,
    out: str | Path,
    adapter: str | None = None,
    log=print,
    callbacks: tuple = (),
) -> Path:
    """Run (or resume, or find finished) one fine-tuning; return the finished folder."""
    out = Path(out)
    s.check()
    identity = {"settings": s.to_dict(), "adapter": str(adapter) if adapter else None}
    if out.exists():
        if is_finished(out):
            done = json.loads((out / FINISHED).read_text())
            if {"settings": done.get("settings"), "adapter": done.get("start_adapter")} == identity:
                log(f"{out}: already finished with these settings")
                return out
            raise UserError(f"{out} holds a finished run with other settings: choose another --out")
        raise UserError(
            f"{out} exists and is not a finished run: remove it or choose another --out"
        )

    examples, data = training_set(s, log)
    if not examples:
        raise UserError("no training examples")
    work = out.with_name(out.name + ".work")
    identity["train_set_sha256"] = data["train_set_sha256"]
    stamp = work / "run.json"
    if work.exists():
        same = stamp.is_file() and json.loads(stamp.read_text()) == identity
        if not same:
            log(f"{work}: left by a run with other settings or data; starting afresh")
            shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    with atomic_write(stamp) as f:
        json.dump(identity, f)

    model, tok, path, device = load_base(s, log)
    fingerprint = model_fingerprint(model)
    check_targets(model, s.target_modules)
    result = _train(s, model, tok, device, examples, work, adapter, fingerprint, log, callbacks)

    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        result["trainer"].model.save_pretrained(tmp)
        write_jsonl(tmp / "train_log.jsonl", result["log"])
        data["n_trained"] = result["n_trained"]  # after TRL dropped over-long prompts
        if (work / "safety_curve.jsonl").is_file():
            shutil.copy(work / "safety_curve.jsonl", tmp / "safety_curve.jsonl")
        with atomic_write(tmp / "data.json") as f:
            json.dump(data, f, indent=1)
        record = {
            **identity,
            "start_adapter": identity.pop("adapter"),
            "model_path": path,
            "base_fingerprint": fingerprint,
            "device": device,
            "steps": result["steps"],
            "train_seconds": round(result["seconds"], 1),
            "final_loss": result["final_loss"],
            "versions": versions(),
        }
        with atomic_write(tmp / FINISHED) as f:
            json.dump(record, f, indent=1)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    log(f"{out}: adapter after {result['steps']} steps, final loss {result['final_loss']}")
    return out


def sft_config(s: FinetuneSettings, work: Path, device: str):
    from trl import SFTConfig

    on_gpu = device == "cuda"
    return SFTConfig(
        output_dir=str(work / "checkpoints"),
        per_device_train_batch_size=s.batch_size,
        gradient_accumulation_steps=s.grad_accum,
        learning_rate=s.lr,
        lr_scheduler_type=s.scheduler,
        warmup_steps=s.warmup_ratio,  # a float < 1 is a share of the steps
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
        gradient_checkpointing=False,  # TRL turns it on by default: slow and needless here
        use_cpu=not on_gpu,
        report_to=[],
        disable_tqdm=True,
        dataloader_num_workers=0,
        dataloader_pin_memory=on_gpu,  # pinning is a no-op (and a warning) without a GPU
        dataset_num_proc=None,
    )


_PADDED_KEYS = {"input_ids", "attention_mask", "labels"}

# Config attributes under which TRL's fused head transforms the logits; a model with any of them
# keeps TRL's own loss.
_LOGIT_TRANSFORMS = (
    "final_logit_softcapping",
    "logit_scale",
    "output_multiplier",
    "lm_head_multiplier",
    "logits_scaling",
)


def sft_trainer_class(device: str):
    """SFTTrainer, with a completion-only loss that scores only the completion tokens off the GPU.

    TRL's fused LM head runs its Triton kernel on CUDA and scores only the positions with a label
    there. Elsewhere it falls back to torch ops that score every position (prompt and padding too,
    ~2.5x the completion tokens here) over the whole 49k vocabulary, recompute the logits in the
    backward and fold them with ~25 full-size elementwise passes (entropy and top-1 included):
    on CPU that head took 3.1 s of a 4x256 step against 0.7 s for the same loss on the completion
    positions only. The loss, its normalisation and the logged metrics (entropy,
    mean_token_accuracy, num_tokens) are the same; anything this does not cover (return_outputs,
    label smoothing, other loss types, logit scaling or softcapping, MoE aux loss, padding-free
    batches) goes to TRL's compute_loss. When the model runs `cpu.segment_attention`, the padded
    batch is packed into one padding-free row first (same loss, see finetune/cpu.py).
    """
    from trl import SFTTrainer

    if device == "cuda":
        return SFTTrainer
    from safetygap.finetune.cpu import SEGMENTS, pack

    class CompletionSFTTrainer(SFTTrainer):
        def _compact_ok(self, model, inputs, return_outputs) -> bool:
            cfg = self.model.config.get_text_config()
            return not (
                return_outputs
                or self.compute_loss_func is not None
                or self.label_smoother is not None
                or self.args.loss_type != "nll"
                or self.aux_loss_enabled
                or "labels" not in inputs
                or "attention_mask" not in inputs
                or any(getattr(cfg, a, None) is not None for a in _LOGIT_TRANSFORMS)
            )

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            import torch

            if not self._compact_ok(model, inputs, return_outputs):
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            mode = "train" if self.model.training else "eval"
            base = self.accelerator.unwrap_model(model)
            if hasattr(base, "get_base_model"):  # PEFT: the LoRA layers live inside the base model
                base = base.get_base_model()
            labels = inputs["labels"]
            model_inputs = {k: v for k, v in inputs.items() if k != "labels"}
            if base.config._attn_implementation == SEGMENTS and set(inputs) == _PADDED_KEYS:
                model_inputs = pack(inputs["input_ids"], inputs["attention_mask"], labels)
                labels = model_inputs.pop("labels")
            hidden = base.base_model(**model_inputs, use_cache=False).last_hidden_state
            targets = labels[:, 1:]
            mask = targets != -100
            head = base.get_output_embeddings()
            logits = head(hidden[:, :-1][mask].to(head.weight.device)).float()
            targets = targets[mask].to(logits.device)
            log_probs = logits.log_softmax(-1)
            token_log_probs = log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
            n = mask.sum() if num_items_in_batch is None else num_items_in_batch
            loss = -token_log_probs.sum() / torch.as_tensor(n).clamp(min=1)
            if self.args.average_tokens_across_devices and num_items_in_batch is not None:
                loss = loss * (self.accelerator.num_processes // self.get_tp_size())

            with torch.no_grad():  # the metrics TRL logs, on the scored positions only
                gather = self.accelerator.gather_for_metrics
                n_valid = gather(mask.sum()).sum()
                entropy = -(log_probs.exp() * log_probs).sum()
                correct = (logits.argmax(-1) == targets).sum()
                entropy, correct = gather(entropy).sum(), gather(correct).sum()
                metrics = self._metrics[mode]
                metrics["entropy"].append((entropy / n_valid).item() if n_valid > 0 else 0.0)
                accuracy = (correct / n_valid).item() if n_valid > 0 else 0.0
                metrics["mean_token_accuracy"].append(accuracy)
                if mode == "train":
                    seen = gather(inputs["attention_mask"].sum()).sum().item()
                    self._total_train_tokens += seen // self._tp_size
                metrics["num_tokens"] = [self._total_train_tokens]
            return loss

    return CompletionSFTTrainer


def _train(s, model, tok, device, examples, work, adapter, fingerprint, log, callbacks) -> dict:
    from datasets import Dataset
    from datasets.utils.logging import disable_progress_bar
    from peft import LoraConfig
    from transformers import set_seed

    set_seed(s.seed)
    disable_progress_bar()
    peft_config = None
    if adapter:
        model = attach_adapter(model, adapter, fingerprint)
    else:
        peft_config = LoraConfig(
            r=s.lora_r,
            lora_alpha=s.lora_alpha,
            lora_dropout=s.lora_dropout,
            target_modules=list(s.target_modules),
            task_type="CAUSAL_LM",
            bias="none",
        )
    dataset = Dataset.from_list([to_trainer_record(e, s.chat_format) for e in examples])
    callbacks = list(callbacks)
    if s.safety_every:
        from safetygap.finetune.curves import SafetyCurve

        callbacks.append(SafetyCurve(s, work, log))
    trainer = sft_trainer_class(device)(
        model=model,
        args=sft_config(s, work, device),
        train_dataset=dataset,
        processing_class=tok,
        peft_config=peft_config,
        callbacks=callbacks,
    )
    trained = len(trainer.train_dataset)  # TRL drops examples whose prompt fills max_length
    if trained < len(examples):
        log(f"{len(examples) - trained} examples dropped: the prompt alone fills --max-length")
    if trained == 0:
        raise UserError(f"every example's prompt fills --max-length {s.max_length}: raise it")
    if device != "cuda":
        from safetygap.finetune import cpu

        cpu.use_segment_attention(trainer.model.get_base_model())
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
