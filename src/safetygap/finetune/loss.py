"""TRL's completion-only SFT loss, scored on the completion tokens only, for runs off the GPU.

Why: TRL's fused LM head runs its Triton kernel on CUDA and scores only the positions with a label
there. Elsewhere (TRL 1.16) it falls back to torch ops that score every position (prompt and
padding too, ~2.5x the completion tokens here) over the whole 49k vocabulary, recompute the logits
in the backward and fold them with ~25 full-size elementwise passes (entropy and top-1 included):
on CPU that head took 3.1 s of a 4x256 step against 0.7 s for the same loss on the completion
positions only. `CompletionSFTTrainer.compute_loss` computes that same loss and the same logged
metrics on the scored positions only; anything it does not cover (return_outputs, a
compute_loss_func, label smoothing, other loss types, logit scaling or softcapping, MoE aux loss,
padding-free batches) goes to TRL's compute_loss. When the model runs `cpu.segment_attention`,
the padded batch is packed into one padding-free row first (same loss, see finetune/cpu.py).

It is a fork of `trl.SFTTrainer.compute_loss` as of TRL 1.16 and relies on exactly these parts of
TRL, transformers and PEFT:

TRL `SFTTrainer` (read on the trainer; `check_trl` checks they are there when the class is built
and on every trainer built from it):
- `compute_loss(model, inputs, return_outputs=False, num_items_in_batch=None)`, the method it
  overrides and falls back to;
- `compute_loss_func`, `label_smoother` (transformers' Trainer), `args.loss_type` ("nll" is the
  loss forked here), `aux_loss_enabled`: the cases left to TRL;
- `_metrics`: {"train", "eval"} -> defaultdict(list), where it appends `entropy` and
  `mean_token_accuracy` and sets `num_tokens`, which `SFTTrainer.log` averages and clears;
- `_total_train_tokens` (running count of attention-mask tokens, training only) and `_tp_size`
  (what that count is divided by);
- `args.average_tokens_across_devices`, `accelerator.num_processes`, `get_tp_size()`: the
  multi-process loss scale; `accelerator.unwrap_model`, `accelerator.gather_for_metrics`.
TRL's behaviour, which the fork reproduces (tests/finetune/test_loss.py compares the two):
- the loss is the summed negative log-likelihood of the shifted labels (labels != -100) divided by
  `num_items_in_batch`, or by their count when it is None, clamped to at least 1;
- entropy and accuracy are the mean next-token entropy and the share of labels that are the top-1
  token, over the scored positions; num_tokens is the gathered attention-mask sum;
- the fused LM head transforms the logits only under the config attributes `_LOGIT_TRANSFORMS`;
- with `completion_only_loss=True` (no packing, no padding-free) the collator gives right-padded
  batches of exactly `input_ids`, `attention_mask` and `labels` (-100 on prompt and padding).
transformers / PEFT: `model.config.get_text_config()`, `config._attn_implementation`,
`PreTrainedModel.base_model` (the backbone, whose output has `last_hidden_state`),
`get_output_embeddings()`, PEFT's `get_base_model()`.

Supported: trl>=1.16,<1.17 (`SUPPORTED_TRL`). TRL 1.15 has the same compute_loss but its fused
head needs Triton, so its own loss (the reference the tests compare against) fails on CPU; TRL
1.14 and older have no fused head (their default `loss_type="chunked_nll"` sends every batch to
TRL's own loss). Widen the range only once tests/finetune/test_loss.py passes on the new TRL.
"""

import functools

SUPPORTED_TRL = ">=1.16,<1.17"

# What the fork reads on a built SFTTrainer (dotted: an attribute of an attribute).
TRAINER_ATTRIBUTES = (
    "model",
    "compute_loss_func",
    "label_smoother",
    "aux_loss_enabled",
    "_metrics",
    "_total_train_tokens",
    "_tp_size",
    "get_tp_size",
    "args.loss_type",
    "args.average_tokens_across_devices",
    "accelerator.unwrap_model",
    "accelerator.gather_for_metrics",
    "accelerator.num_processes",
)
# The signature of the method it overrides and calls back.
COMPUTE_LOSS_PARAMETERS = ("self", "model", "inputs", "return_outputs", "num_items_in_batch")

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

_MISSING = object()


def _lookup(obj, dotted: str):
    for name in dotted.split("."):
        obj = getattr(obj, name, _MISSING)
        if obj is _MISSING:
            return _MISSING
    return obj


def check_trl(trainer=None) -> None:
    """UserError naming what the fork relies on and the installed TRL lacks: the overridden
    method's signature, and with a built `trainer`, the attributes it reads."""
    import inspect
    from collections import defaultdict

    import trl
    from trl import SFTTrainer

    missing = []
    method = getattr(SFTTrainer, "compute_loss", None)
    if method is None:
        missing.append("SFTTrainer.compute_loss")
    elif tuple(inspect.signature(method).parameters) != COMPUTE_LOSS_PARAMETERS:
        missing.append(f"SFTTrainer.compute_loss({', '.join(COMPUTE_LOSS_PARAMETERS[1:])})")
    if not callable(getattr(SFTTrainer, "get_tp_size", None)):
        missing.append("SFTTrainer.get_tp_size()")
    if trainer is not None:
        missing += [
            f"SFTTrainer.{a}" for a in TRAINER_ATTRIBUTES if _lookup(trainer, a) is _MISSING
        ]
        metrics = getattr(trainer, "_metrics", None)
        if metrics is not None and not all(
            isinstance(metrics.get(mode), defaultdict) and metrics[mode].default_factory is list
            for mode in ("train", "eval")
        ):
            missing.append('SFTTrainer._metrics as {"train", "eval"} -> defaultdict(list)')
    if missing:
        from safetygap.errors import UserError

        raise UserError(
            f"trl {trl.__version__} lacks what the CPU completion-only loss relies on: "
            f"{', '.join(missing)}; install trl{SUPPORTED_TRL}"
        )


def sft_trainer_class(device: str, constrained: bool = False):
    """TRL's SFTTrainer on CUDA; elsewhere, or for a constrained objective
    (`finetune.constraints`), `CompletionSFTTrainer` (see the module docstring)."""
    from trl import SFTTrainer

    if device == "cuda" and not constrained:
        return SFTTrainer
    return completion_trainer_class()


@functools.cache
def completion_trainer_class():
    """SFTTrainer with the completion-only loss; `check_trl` first, then on every trainer built."""
    import torch
    from trl import SFTTrainer

    from safetygap.errors import UserError
    from safetygap.finetune import constraints, cpu

    check_trl()

    class CompletionSFTTrainer(SFTTrainer):
        constraint = None  # a `constraints` objective in place of the plain loss
        reference = None  # its reference model, when not the base with the adapter off

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            check_trl(self)

        def _compact_ok(self, model, inputs, return_outputs) -> bool:
            """Whether the fork covers this call (else TRL's compute_loss runs)."""
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
            if not self._compact_ok(model, inputs, return_outputs):
                if self.constraint is not None:
                    raise UserError("this model or loss setting can't take a constrained objective")
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            mode = "train" if self.model.training else "eval"
            peft = base = self.accelerator.unwrap_model(model)
            if hasattr(base, "get_base_model"):  # PEFT: the LoRA layers live inside the base model
                base = base.get_base_model()
            labels = inputs["labels"]
            if self.constraint is not None:  # from the padded rows, before any packing
                positions = constraints.response_positions(labels)
            model_inputs = {k: v for k, v in inputs.items() if k != "labels"}
            if base.config._attn_implementation == cpu.SEGMENTS and set(inputs) == _PADDED_KEYS:
                model_inputs = cpu.pack(inputs["input_ids"], inputs["attention_mask"], labels)
                labels = model_inputs.pop("labels")

            # The loss: negative log-likelihood of the scored (shifted, != -100) labels.
            hidden = base.base_model(**model_inputs, use_cache=False).last_hidden_state
            targets = labels[:, 1:]
            mask = targets != -100
            head = base.get_output_embeddings()
            logits = head(hidden[:, :-1][mask].to(head.weight.device)).float()
            targets = targets[mask].to(logits.device)
            log_probs = logits.log_softmax(-1)
            token_log_probs = log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
            n = mask.sum() if num_items_in_batch is None else num_items_in_batch
            if self.constraint is None:
                total = -token_log_probs.sum()
            else:
                ref = constraints.reference_log_probs(peft, self.reference, model_inputs, mask)
                total = self.constraint.loss_sum(log_probs, targets, ref, positions)
            loss = total / torch.as_tensor(n).clamp(min=1)
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
