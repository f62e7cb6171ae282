"""What each stage kind runs: the same functions the commands call, into the stage's folder.

Each function takes the stage's settings, the folders of the stages it reads (by role) and its
own folder. Every one of them resumes: called again on a folder a killed run left, it
continues (item by item for answers and verdicts, from the last checkpoint for training).
"""

import json
import shutil
from pathlib import Path

from safetygap.errors import UserError


def model_and_adapter(params: dict, inputs: dict[str, Path]) -> tuple[str, str | None]:
    """The `--model` / `--adapter` pair a stage's inputs give."""
    model = str(inputs["model"] / "model") if "model" in inputs else params["model"]
    adapter = None
    if "adapter" in inputs:
        folder = inputs["adapter"]
        if (folder / "repair" / "mitigate.json").is_file():
            use = json.loads((folder / "repair" / "mitigate.json").read_text())["use"]
            return use["model"], use["adapter"]
        adapter = str(folder / "adapter")
    return model, adapter


def bench(params: dict, inputs: dict, out: Path, log=print, progress=True) -> None:
    from safetygap.bench.build import SeedOptions, build_bench, write_with_manifest
    from safetygap.jsonl import sha256_file

    out.mkdir(parents=True, exist_ok=True)
    if params.get("file"):
        if sha256_file(params["file"]) != params["sha256"]:
            raise UserError(f"bench.file {params['file']} changed while the sweep ran")
        shutil.copyfile(params["file"], out / ".bench.jsonl.tmp")
        (out / ".bench.jsonl.tmp").replace(out / "bench.jsonl")
        return
    result = build_bench(
        SeedOptions(), params["split"], params["seeds"], params["benign"], params["formats"]
    )
    write_with_manifest(out / "bench.jsonl", result.records, result.manifest)


def align(params: dict, inputs: dict, out: Path, log=print, progress=True) -> None:
    from safetygap.finetune.align import align as run_align

    out.mkdir(parents=True, exist_ok=True)
    run_align(
        out / "model",
        model=params["model"],
        n_harmful=params["harmful"],
        n_benign=params["benign"],
        epochs=params["epochs"],
        seed=params["seed"],
        n_eval=0,
        deep=params.get("deep", 0),
        deep_formats=params.get("deep_formats", "plain"),
        log=log,
    )


def finetune(params: dict, inputs: dict, out: Path, log=print, progress=True) -> None:
    from safetygap.finetune.config import resolve
    from safetygap.finetune.trainer import finetune as run_finetune

    model, _ = model_and_adapter(params, inputs)
    settings = resolve(**{**params, "model": model})
    out.mkdir(parents=True, exist_ok=True)
    run_finetune(settings, out / "adapter", log=log)


def mitigate(params: dict, inputs: dict, out: Path, log=print, progress=True) -> None:
    from safetygap.mitigate.run import mitigate as run_mitigate

    model, adapter = model_and_adapter(params, inputs)
    out.mkdir(parents=True, exist_ok=True)
    run_mitigate(
        params["method"],
        adapter,
        out / "repair",
        model=model,
        unaligned=params["unaligned"],
        params=params["params"],
        log=log,
    )


def evaluate(params: dict, inputs: dict, out: Path, log=print, progress=True) -> None:
    from safetygap.eval.run import evaluate as run_eval
    from safetygap.generate.base import system_prompt_from

    model, adapter = model_and_adapter(params, inputs)
    run_eval(
        model,
        inputs["bench"] / "bench.jsonl",
        params["judge"],
        out,
        adapter=adapter,
        system_prompt=system_prompt_from(params["system_prompt"], adapter),
        max_new_tokens=params["max_new_tokens"],
        temperature=params["temperature"],
        batch_size=params["batch_size"],
        progress=progress,
    )


def helpfulness(params: dict, inputs: dict, out: Path, log=print, progress=True) -> None:
    from safetygap.generate.base import system_prompt_from
    from safetygap.helpfulness.run import helpfulness as run_helpfulness

    model, adapter = model_and_adapter(params, inputs)
    run_helpfulness(
        model,
        params["task"],
        out,
        adapter=adapter,
        kind=params["kind"],
        system_prompt=system_prompt_from(params["system_prompt"], adapter),
        batch_size=params["batch_size"],
        limit=params["limit"],
        eval_run=str(inputs["eval"]),
        progress=progress,
    )


def guard(params: dict, inputs: dict, out: Path, log=print, progress=True) -> None:
    from safetygap.guard.run import guard_run

    guard_run(
        params["guard"],
        inputs["bench"] / "bench.jsonl",
        out,
        run=inputs["run"],
        mode=params["mode"],
        progress=progress,
    )


RUN = {
    "bench": bench,
    "align": align,
    "finetune": finetune,
    "mitigate": mitigate,
    "eval": evaluate,
    "helpfulness": helpfulness,
    "guard": guard,
}
