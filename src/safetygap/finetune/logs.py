"""What a training run shows. The trainer's per-step records (loss, grad_norm, learning rate...)
go to WORK/train_log.jsonl as they come, not to the console (the finished folder keeps them in
its own train_log.jsonl); the console gets the run's stage lines and, on a terminal, a progress
bar of the steps. (Deprecation warnings that transformers, TRL and PEFT raise about their own
calls to each other are silenced while training: `models.load.quiet_libraries`.)"""

import sys
from pathlib import Path

from safetygap.jsonl import dumps, write_jsonl

LIVE_LOG = "train_log.jsonl"


def step_callbacks(work: Path, progress: bool | None = None) -> list:
    """The trainer callbacks that log each step to WORK/train_log.jsonl and, when `progress`
    (default: when stderr is a terminal), draw a bar of the steps."""
    from transformers import TrainerCallback
    from transformers.trainer_callback import ProgressCallback

    path = Path(work) / LIVE_LOG

    class TrainLog(TrainerCallback):
        """Each record of the trainer's log history, appended as it is logged."""

        def on_train_begin(self, args, state, control, **kwargs):
            write_jsonl(path, state.log_history)  # resumed: the history of its checkpoint

        def on_log(self, args, state, control, logs=None, **kwargs):
            with open(path, "a", encoding="utf-8") as f:
                f.write(dumps(state.log_history[-1]) + "\n")

    class StepBar(ProgressCallback):
        """transformers' bar of the steps, without its printing of each record."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            pass

    if progress is None:
        progress = sys.stderr.isatty()
    return [TrainLog(), *([StepBar()] if progress else [])]
