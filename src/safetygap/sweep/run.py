"""Run a sweep: every stage once, into OUT/stages/KIND-KEY, with a record that proves it done.

A stage's folder is finished when its `stage.json` is there and every file it lists still has
its size and sha256; a folder without one is a stage a killed run left, which the stage
function resumes; a record whose files changed is a corrupt entry, removed and recomputed.
OUT/sweep.json indexes the stages (name, labels, folder, status, seconds) and is rewritten after
each one, so a report can read a sweep that is still running.
"""

import json
import time
from dataclasses import asdict
from pathlib import Path

from safetygap.errors import Checks, UserError
from safetygap.inputs import out_folder
from safetygap.jsonl import atomic_write
from safetygap.lock import hold
from safetygap.sweep.config import SweepConfig, load_config
from safetygap.sweep.execute import RECORD, clock, progress_line, run_stage, stage_deps
from safetygap.sweep.plan import Stage, check_size, expand

INDEX = "sweep.json"


class Index:
    """OUT/sweep.json: the plan and each stage's outcome, rewritten as stages finish."""

    def __init__(self, root: Path, cfg: SweepConfig, stages: list[Stage], executor: str):
        self.path = root / INDEX
        self.t0 = time.perf_counter()
        self.data = {
            "config": cfg.model_dump(mode="json", by_alias=True),
            "executor": executor,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "stages": [
                {
                    **{k: v for k, v in asdict(s).items() if k != "key"},
                    "key": s.key,
                    "folder": f"stages/{s.folder_name}",
                    "status": "pending",
                }
                for s in stages
            ],
        }
        self.by_name = {s["name"]: s for s in self.data["stages"]}
        self.write()

    def update(self, name: str, outcome: dict) -> None:
        self.by_name[name].update(outcome)
        self.write()

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.data["stages"]:
            counts[s["status"]] = counts.get(s["status"], 0) + 1
        return counts

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def write(self) -> None:
        self.data["wall_seconds"] = round(self.elapsed(), 1)
        with atomic_write(self.path) as f:
            json.dump(self.data, f, indent=1)


def check_out(out: Path) -> None:
    """UserError unless `out` is a sweep folder, an empty one, or a new one that can be made."""
    out_folder(out)
    # a folder holding only `stages` (a search's trial: a link to its shared stages) is one too
    if (
        out.is_dir()
        and any(p.name != "stages" for p in out.iterdir())
        and not (out / INDEX).is_file()
    ):
        raise UserError(f"--out {out} holds other files, not a sweep: choose another folder")


def prepare(config, out, executor: str = "local", address: str | None = None):
    """(config, out folder, stages) once every input is checked: the config, the grid's size,
    the out folder and the executor, all problems at once (Problems), before anything is
    written or any model loaded."""
    checks = Checks()
    cfg = checks(load_config, config)
    out = Path(out).resolve()
    checks(check_out, out)
    if executor not in ("local", "ray"):
        checks.add(f"unknown --executor {executor!r}: choose local or ray")
    if address and executor != "ray":
        checks.add("--address is for --executor ray")
    if cfg is not None:
        checks(check_size, cfg)
    checks.done()
    return cfg, out, expand(cfg)


def sweep(
    config: str | Path,
    out: str | Path,
    executor: str = "local",
    address: str | None = None,
    log=print,
    progress: bool = True,
) -> dict:
    """Run (or resume) the sweep of `config` into `out`; return the index. Exit status is the
    caller's: any failed stage is in the index with its error."""
    cfg, out, stages = prepare(config, out, executor, address)
    if executor == "ray":
        from safetygap.sweep.ray_executor import connect

        connect(address)  # before anything is written: an address that does not answer
    hold(out)  # one sweep per folder: a second one is refused here
    (out / "stages").mkdir(parents=True, exist_ok=True)
    for stale in out.glob(f".{INDEX}.tmp*"):  # an index write a killed run left half done
        stale.unlink(missing_ok=True)
    index = Index(out, cfg, stages, executor)
    log(f"sweep: {len(stages)} stages into {out}")
    if executor == "ray":
        from safetygap.sweep.ray_executor import run_on_ray

        run_on_ray(stages, out, index, cfg.resources, log)
    else:
        run_local(stages, out, index, log, progress)
    index.data["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    index.write()
    return index.data


def blocked_by(stage: Stage, index: Index) -> str | None:
    """The first stage this one reads that failed or was skipped, if any."""
    for _, dep in stage_deps(stage):
        if index.by_name[dep]["status"] in ("failed", "skipped"):
            return dep
    return None


def run_local(stages: list[Stage], out: Path, index: Index, log, progress: bool) -> None:
    total = len(stages)
    folders = {s.name: s.folder_name for s in stages}
    for i, stage in enumerate(stages, 1):
        dep = blocked_by(stage, index)
        if dep:
            index.update(stage.name, {"status": "skipped", "error": f"needs {dep}"})
            continue
        folder = out / "stages" / stage.folder_name
        if not (folder / RECORD).is_file():
            log(f"[{i}/{total}] {stage.name}: running ({progress_line(index, total)})")
        index.update(stage.name, {"status": "running"})
        outcome = run_stage(stage, out, folders, log, progress)
        index.update(stage.name, outcome)
        if outcome["status"] == "done":
            log(f"[{i}/{total}] {stage.name}: done in {clock(outcome['seconds'])}")
        elif outcome["status"] == "failed":
            log(f"[{i}/{total}] {stage.name}: FAILED: {outcome['error']}")
    log(f"sweep: {progress_line(index, total)}")
