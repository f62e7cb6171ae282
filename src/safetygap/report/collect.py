"""The runs a report shows: from a sweep folder (its sweep.json says what each stage is) or from
any folder of single runs (eval, helpfulness and guard run folders, fine-tunes with safety
curves), whose labels are read from their settings."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from safetygap.bench.formats import FORMATS as FORMAT_REGISTRY
from safetygap.errors import UserError
from safetygap.guard import canonical_guard_spec
from safetygap.safetydata import OLD_NAMES, canonical_kind

FORMATS = tuple(FORMAT_REGISTRY.names())


@dataclass
class Run:
    """One finished run: its kind, a readable name, labels (model, task, chat_format,
    safety_mix, mitigation, system_prompt...), its folder and its main record."""

    kind: str
    name: str
    labels: dict
    folder: Path
    data: dict
    eval_name: str | None = None  # helpfulness: the eval of the same model and system prompt


@dataclass
class Runs:
    source: str
    evals: list[Run] = field(default_factory=list)
    helpfulness: list[Run] = field(default_factory=list)
    guards: list[Run] = field(default_factory=list)
    curves: list[Run] = field(default_factory=list)
    agreements: list[Run] = field(default_factory=list)
    config: dict | None = None

    def model_id(self, run: Run) -> str:
        """What model a run is of, the same string for its eval and its helpfulness."""
        lab = run.labels
        if lab.get("model") == "base":
            return "base"
        parts = [lab.get("task", "?"), lab.get("chat_format", "native")]
        if lab.get("safety_mix", "none") != "none":
            parts.append(lab["safety_mix"])
        if lab.get("mitigation", "none") != "none":
            parts.append(lab["mitigation"])
        return " ".join(parts)


def mix_label(mix: str, ratio: float) -> str:
    """A safety mix's label, `NAME-RATIO` (`all-formats-0.3`), its old name read as today's."""
    return f"{Path(canonical_kind(mix)).stem}-{ratio:g}"


def renamed(labels: dict) -> dict:
    """Labels recorded before the rename, in today's names (`multitask-0.3` -> `all-formats-0.3`,
    `classifier:multitask` -> `classifier:all-formats`)."""
    out = dict(labels)
    mix = out.get("safety_mix")
    if isinstance(mix, str):
        stem, _, ratio = mix.rpartition("-")
        if stem in OLD_NAMES:
            out["safety_mix"] = f"{OLD_NAMES[stem]}-{ratio}"
    if isinstance(out.get("guard"), str):
        out["guard"] = canonical_guard_spec(out["guard"])
    return out


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UserError(f"{path}: unreadable ({str(e).splitlines()[0]})") from None


def collect(root: str | Path) -> Runs:
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"{root}: no such folder")
    runs = from_sweep(root) if (root / "sweep.json").is_file() else from_folders(root)
    if not (runs.evals or runs.helpfulness or runs.guards or runs.agreements):
        raise UserError(
            f"{root} holds no finished runs (eval, helpfulness or guard run folders, or a sweep)"
        )
    return runs


def from_sweep(root: Path) -> Runs:
    index = read_json(root / "sweep.json")
    runs = Runs("sweep", config=index.get("config"))
    files = {"eval": "metrics.json", "helpfulness": "helpfulness.json", "guard": "guard.json"}
    lists = {"eval": runs.evals, "helpfulness": runs.helpfulness, "guard": runs.guards}
    for s in index.get("stages", []):
        if s.get("status") not in ("done", "cached"):
            continue
        folder = root / s["folder"]
        if s["kind"] in files and (folder / files[s["kind"]]).is_file():
            data = read_json(folder / files[s["kind"]])
            if s["kind"] == "guard" and isinstance(data.get("guard"), str):
                data["guard"] = canonical_guard_spec(data["guard"])
            run = Run(s["kind"], s["name"], renamed(s["labels"]), folder, data)
            run.eval_name = s["deps"].get("eval")
            lists[s["kind"]].append(run)
        elif s["kind"] == "finetune" and (folder / "adapter" / "safety_curve.jsonl").is_file():
            points = read_curve(folder / "adapter" / "safety_curve.jsonl")
            labels = renamed(s["labels"])
            runs.curves.append(Run("curve", s["name"], labels, folder, {"points": points}))
    return runs


def read_curve(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def model_labels(model: str | None, adapter: str | None) -> dict:
    """Labels of a model from its folders: a fine-tune's settings, a repair's record (a merged
    repair is given as the model)."""
    if not adapter and model and Path(model, "mitigate.json").is_file():
        adapter = model
    if not adapter:
        return {"model": "base", "mitigation": "none"}
    folder = Path(adapter)
    labels = {"model": "finetune", "mitigation": "none"}
    repair = folder / "mitigate.json"
    if repair.is_file():
        record = read_json(repair)
        labels["mitigation"] = record["settings"]["method"]
        folder = Path(record["settings"]["adapter"])
    settings = folder / "settings.json"
    if settings.is_file():
        s = read_json(settings).get("settings", {})
        mix = s.get("safety_mix", "none")
        labels.update(
            task=Path(s.get("task", "?")).stem,
            chat_format=s.get("chat_format", "native"),
            safety_mix="none" if mix == "none" else mix_label(mix, s["safety_ratio"]),
        )
    return labels


def from_folders(root: Path) -> Runs:
    runs = Runs("runs")
    for path in sorted(root.rglob("*.json")):
        if path.name not in ("metrics.json", "helpfulness.json", "guard.json", "agree.json"):
            continue
        folder = path.parent
        name = folder.relative_to(root).as_posix() if folder != root else folder.name
        data = read_json(path)
        if path.name == "metrics.json" and "asr" in data:
            labels = model_labels(data.get("model"), data.get("adapter"))
            labels["system_prompt"] = "on" if data.get("system_prompt") else "off"
            runs.evals.append(Run("eval", name, labels, folder, data))
        elif path.name == "helpfulness.json" and "metrics" in data:
            s = data.get("settings", {})
            labels = model_labels(s.get("model"), s.get("adapter"))
            labels.update(
                task=data["task"], system_prompt="on" if s.get("system_prompt") else "off"
            )
            run = Run("helpfulness", name, labels, folder, data)
            eval_run = (data.get("over_refusal") or {}).get("eval_run")
            if eval_run and Path(eval_run).resolve().is_relative_to(root.resolve()):
                run.eval_name = Path(eval_run).resolve().relative_to(root.resolve()).as_posix()
            runs.helpfulness.append(run)
        elif path.name == "agree.json" and "pairs" in data:
            runs.agreements.append(Run("agree", name, {}, folder, data))
        elif path.name == "guard.json" and "recall" in data:
            data["guard"] = canonical_guard_spec(data["guard"])
            labels = {"guard": data["guard"], "mode": data["mode"]}
            runs.guards.append(Run("guard", name, labels, folder, data))
    for path in sorted(root.rglob("safety_curve.jsonl")):
        labels = model_labels(None, str(path.parent))
        name = path.parent.relative_to(root).as_posix()
        runs.curves.append(Run("curve", name, labels, path.parent, {"points": read_curve(path)}))
    return runs
