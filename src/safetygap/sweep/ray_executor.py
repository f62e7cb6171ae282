"""The Ray executor: each stage a Ray task with its resource request, started when the stages it
reads have finished. Ray does the scheduling; stage folders must be on storage every worker
sees (the sweep's --out), and every worker needs safetygap installed.

Without --address a local Ray is started (and stopped at the end); with one, the sweep goes
to that cluster (`HOST:PORT` of its head, `ray://HOST:PORT` for Ray Client, or `auto`).
"""

import socket
from dataclasses import asdict
from pathlib import Path

from safetygap.errors import UserError
from safetygap.sweep.plan import Stage

DEFAULT_ASK = {"cpus": 1.0, "gpus": 0.0}


def reachable(address: str, timeout: float = 5.0) -> bool:
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"--address {address!r}: give HOST:PORT, ray://HOST:PORT or auto")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def connect(address: str | None) -> None:
    """Start a local Ray, or join the cluster at `address`; UserError if it does not answer."""
    try:
        import ray
    except ImportError:
        raise UserError("--executor ray needs Ray: pip install 'safetygap[ray]'") from None
    if address and address != "auto" and not reachable(address):
        raise UserError(f"--address {address}: nothing answers there (is the Ray head up?)")
    if ray.is_initialized():
        return
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=True)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise UserError(f"cannot join Ray at {address}: {str(e).splitlines()[0]}") from None


def run_remote(stage: dict, out: str, folders: dict, *deps: dict) -> dict:
    """A stage on a Ray worker: skipped when a stage it reads did not finish."""
    from safetygap.sweep.execute import run_stage

    for dep in deps:
        if dep["status"] in ("failed", "skipped"):
            return {"name": stage["name"], "status": "skipped", "error": f"needs {dep['name']}"}
    outcome = run_stage(Stage(**stage), Path(out), folders, log=print, progress=False)
    return {"name": stage["name"], **outcome}


def run_on_ray(stages: list[Stage], out: Path, index, resources: dict, log) -> None:
    import ray

    from safetygap.sweep.execute import progress_line, stage_deps

    task = ray.remote(run_remote)
    folders = {s.name: s.folder_name for s in stages}
    refs, pending = {}, {}
    for stage in stages:
        ask = {**DEFAULT_ASK, **resources.get(stage.kind, {})}
        deps = [refs[dep] for _, dep in stage_deps(stage)]
        ref = task.options(num_cpus=ask["cpus"], num_gpus=ask["gpus"], name=stage.name).remote(
            asdict(stage), str(out), folders, *deps
        )
        refs[stage.name] = ref
        pending[ref] = stage
    total = len(stages)
    try:
        while pending:
            finished, _ = ray.wait(list(pending), num_returns=1)
            for ref in finished:
                stage = pending.pop(ref)
                try:
                    outcome = ray.get(ref)
                except ray.exceptions.RayError as e:  # the worker died, or a stage it read did
                    outcome = {"status": "failed", "error": str(e).strip().splitlines()[-1]}
                outcome.pop("name", None)
                index.update(stage.name, outcome)
                extra = f": {outcome['error']}" if outcome.get("error") else ""
                log(f"{stage.name}: {outcome['status']}{extra} ({progress_line(index, total)})")
    finally:
        for ref in pending:
            ray.cancel(ref)
