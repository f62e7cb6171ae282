"""The runs a report shows: from a sweep folder (its sweep.json says what each stage is) or from
any folder of single runs (eval, helpfulness and guard run folders, fine-tunes with safety
curves), whose labels are read from their settings."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from safetygap.bench.formats import FORMATS as FORMAT_REGISTRY
from safetygap.errors import UserError
from safetygap.guard import canonical_guard_spec
from safetygap.models.registry import DEFAULT_CHAT_MODEL
from safetygap.safetydata import OLD_NAMES, canonical_kind

FORMATS = tuple(FORMAT_REGISTRY.names())


@dataclass
class Run:
    """One finished run: its kind, a readable name (its folder, relative to the report's),
    labels (model, base, task, chat_format, seed, safety_mix, mitigation, system_prompt...), its
    folder and its main record; an eval also says what items it was evaluated on."""

    kind: str
    name: str
    labels: dict
    folder: Path
    data: dict
    eval_name: str | None = None  # helpfulness: the eval of the same model and system prompt
    items: str | None = None  # eval: sha256 of the items evaluated (its bench.jsonl)
    items_desc: str = ""  # eval: the same in words: the bench file, how many items, --limit
    members: list = field(default_factory=list)  # a row over seeds: the seed runs behind it


@dataclass
class Runs:
    source: str
    evals: list[Run] = field(default_factory=list)
    helpfulness: list[Run] = field(default_factory=list)
    guards: list[Run] = field(default_factory=list)
    curves: list[Run] = field(default_factory=list)
    agreements: list[Run] = field(default_factory=list)
    config: dict | None = None

    def model_id(self, run: Run, seeds: bool = True) -> str:
        """What model a run is of, the same string for its eval and its helpfulness: the base
        as `base_name` says it; a fine-tune by its task, then what sets it apart (a chat format
        other than native, the seed where the fine-tunes have several, the safety mix, the
        repair), or its adapter folder when it is not a safetygap fine-tune; the alignment seed
        where there are several aligned bases. `seeds=False`: the model over all its seeds."""
        lab = run.labels
        align = (
            [f"align seed {lab.get('align_seed')}"]
            if seeds and len(self.align_seeds()) > 1 and lab.get("align_seed") is not None
            else []
        )
        if lab.get("model") == "base":
            return " ".join([lab.get("base") or "base", *align])
        parts = [lab.get("task") or f"adapter {lab.get('adapter', '?')}"]
        if lab.get("chat_format", "native") != "native":
            parts.append(lab["chat_format"])
        if seeds and len(self.seeds()) > 1:
            parts.append(f"seed {lab.get('seed')}")
        if lab.get("safety_mix", "none") != "none":
            parts.append(f"+{lab['safety_mix']}")
        if lab.get("mitigation", "none") != "none":
            parts.append(lab["mitigation"])
        return " ".join(parts + align)

    def seeds(self) -> set:
        everything = self.evals + self.helpfulness + self.curves
        return {r.labels.get("seed") for r in everything if r.labels.get("model") == "finetune"}

    def align_seeds(self) -> set:
        return {r.labels.get("align_seed") for r in self.evals + self.helpfulness}

    def n_seeds(self) -> int:
        """Runs per model at most: training seeds times aligned bases."""
        return max(1, len(self.seeds() - {None})) * max(1, len(self.align_seeds() - {None}))

    def names(self, runs: list[Run], ids: list[str] | None = None) -> list[str]:
        """A name for each run, told apart: its `model_id` (or its one of `ids`), with its
        folder where two share one."""
        ids = ids or [self.model_id(r) for r in runs]
        return [
            f"{i} ({r.name})" if ids.count(i) > 1 else i for i, r in zip(ids, runs, strict=True)
        ]


def base_name(model: str | None, aligned: bool = False) -> str:
    """What a base model is, in words: `aligned base (...)` only for an `align` output (a folder
    holding align_settings.json, or `model` as a sweep's config names it with `aligned`, its
    align section); the embedded default otherwise is `base (SmolLM2-135M-Instruct, not
    aligned)`; anything else `base (SPEC)`."""
    model = str(model or "?")
    record = Path(model, "align_settings.json")
    if record.is_file():
        source = (read_json(record).get("settings") or {}).get("model", "?")
        return f"aligned base ({short_model(source)} after align)"
    if aligned:
        return f"aligned base ({short_model(model)} after align)"
    if model == DEFAULT_CHAT_MODEL or Path(model).name == DEFAULT_CHAT_MODEL:
        return "base (SmolLM2-135M-Instruct, not aligned)"
    return f"base ({short_model(model)})"


def short_model(spec: str) -> str:
    """A model spec as people name it: the registry name or hub id, a local folder's name."""
    if spec == DEFAULT_CHAT_MODEL:
        return "SmolLM2-135M-Instruct"
    return Path(spec).name if Path(spec).is_dir() else spec


def items_of(run: Run) -> None:
    """Set what an eval run was evaluated on: `items`, the sha256 of its bench.jsonl (the
    items after --limit: two runs share it exactly when they answered the same items), and
    `items_desc` in words."""
    from safetygap.jsonl import sha256_file

    bench = run.folder / "bench.jsonl"
    settings = run.folder / "settings.json"
    s = read_json(settings) if settings.is_file() else {}
    run.items = sha256_file(bench) if bench.is_file() else run.data.get("bench_sha256")
    n = s.get("n_items")
    if n is None and bench.is_file():
        n = sum(1 for line in bench.read_text(encoding="utf-8").splitlines() if line.strip())
    desc = f"{Path(str(s.get('bench') or 'bench')).name}, {n if n is not None else '?'} items"
    if s.get("limit"):
        desc += f" (--limit {s['limit']})"
    run.items_desc = desc


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
    aligned = bool((runs.config or {}).get("align"))
    spec = (runs.config or {}).get("model", "embedded")
    for s in index.get("stages", []):
        if s.get("status") not in ("done", "cached"):
            continue
        folder = root / s["folder"]
        if s["kind"] in files and (folder / files[s["kind"]]).is_file():
            data = read_json(folder / files[s["kind"]])
            if s["kind"] == "guard" and isinstance(data.get("guard"), str):
                data["guard"] = canonical_guard_spec(data["guard"])
            labels = renamed(s["labels"])
            if labels.get("model") == "base":
                labels["base"] = base_name(
                    DEFAULT_CHAT_MODEL if spec == "embedded" else spec, aligned
                )
            run = Run(s["kind"], s["name"], labels, folder, data)
            run.eval_name = s["deps"].get("eval")
            if s["kind"] == "eval":
                items_of(run)
            lists[s["kind"]].append(run)
        elif s["kind"] == "finetune" and (folder / "adapter" / "safety_curve.jsonl").is_file():
            points = read_curve(folder / "adapter" / "safety_curve.jsonl")
            labels = renamed(s["labels"])
            runs.curves.append(Run("curve", s["name"], labels, folder, {"points": points}))
    return runs


def read_curve(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def model_labels(model: str | None, adapter: str | None) -> dict:
    """Labels of a model from its folders: a fine-tune's settings (task, chat format, seed,
    safety mix), a repair's record (method and settings; a merged repair is given as the
    model), or else the adapter's folder; a base says what it is (`base_name`)."""
    if not adapter and model and Path(model, "mitigate.json").is_file():
        adapter = model
    from safetygap.eval.groups import align_seed_of

    if not adapter:
        return {
            "model": "base",
            "mitigation": "none",
            "base": base_name(model),
            "align_seed": align_seed_of(model),
        }
    folder = Path(adapter)
    labels = {"model": "finetune", "mitigation": "none", "adapter": folder.name}
    repair = folder / "mitigate.json"
    if repair.is_file():
        settings = read_json(repair).get("settings", {})
        params = settings.get("params") or {}
        labels["mitigation"] = "-".join(
            [
                settings.get("method", "?"),
                *(f"{v:g}" if is_number(v) else str(v) for v in params.values()),
            ]
        )
        folder = Path(settings.get("adapter", folder))
    settings = folder / "settings.json"
    if settings.is_file():
        s = read_json(settings).get("settings", {})
        mix = s.get("safety_mix", "none")
        labels.update(
            task=Path(s.get("task", "?")).stem,
            chat_format=s.get("chat_format", "native"),
            seed=s.get("seed"),
            safety_mix="none" if mix == "none" else mix_label(mix, s["safety_ratio"]),
            align_seed=align_seed_of(s.get("model")),
        )
    return labels


def is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


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
            labels["system_prompt"] = prompt_label(data.get("system_prompt"))
            run = Run("eval", name, labels, folder, data)
            items_of(run)
            runs.evals.append(run)
        elif path.name == "helpfulness.json" and "metrics" in data:
            s = data.get("settings", {})
            labels = model_labels(s.get("model"), s.get("adapter"))
            labels.update(task=data["task"], system_prompt=prompt_label(s.get("system_prompt")))
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


def prompt_label(text: str | None) -> str:
    """A run's system prompt as a sweep labels it: off, on (the default one) or custom."""
    from safetygap.generate.base import DEFAULT_SYSTEM_PROMPT

    return "off" if not text else "on" if text == DEFAULT_SYSTEM_PROMPT else "custom"
