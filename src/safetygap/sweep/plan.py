"""A sweep config expanded into stages, each addressed by the hash of its inputs and settings.

A stage's key is the sha256 of its kind, its settings and the keys of the stages it reads, so
two sweeps that share a stage share its folder, a re-run finds every stage done, and changing
one setting changes the keys of that stage and of what depends on it, nothing else.
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from safetygap.errors import UserError
from safetygap.jsonl import sha256_file
from safetygap.judge import judge_fingerprint
from safetygap.sweep.config import TRAINED, FinetuneConfig, SweepConfig

# Bumped when what a stage kind writes changes, so old cache entries are not taken for new ones.
STAGE_VERSION = 1


def key_spelling(params: dict) -> dict:
    """`params` as a stage key hashes them: a safety mix and a guard head under the names they
    had when keys began (`multitask`, `singletask`), so that a sweep run before their rename
    finds its stages done. The data and the runs are the same under either name."""
    from safetygap.guard.classifier import OLD_HEADS
    from safetygap.safetydata import OLD_NAMES

    mixes = {new: old for old, new in OLD_NAMES.items()}
    guards = {f"classifier:{new}": f"classifier:{old}" for old, new in OLD_HEADS.items()}
    out = dict(params)
    if out.get("safety_mix") in mixes:
        out["safety_mix"] = mixes[out["safety_mix"]]
    if out.get("guard") in guards:
        out["guard"] = guards[out["guard"]]
    return out


@dataclass
class Stage:
    """One unit of work: `kind` runs with `params`, reading the folders of `deps` (role ->
    stage name); `labels` say what it is for reports (task, chat format, repair...)."""

    kind: str
    name: str
    params: dict
    deps: dict[str, str] = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    key: str = ""

    @property
    def folder_name(self) -> str:
        return f"{self.kind}-{self.key[:16]}"


def mix_label(mix) -> str:
    return "none" if mix == "none" else f"{Path(mix.mix).stem}-{mix.ratio:g}"


def task_label(task: str) -> str:
    return Path(task).stem if task.endswith(".jsonl") else task


def finetunes(ft: FinetuneConfig) -> list[tuple[str, dict, dict]]:
    """(model id, finetune params, labels) for every task x chat format x seed x mix."""
    out = []
    for task in ft.tasks:
        for chat_format in ft.chat_formats:
            for seed in ft.seeds:
                for mix in ft.safety_mixes:
                    if mix != "none" and mix.tasks and task_label(task) not in mix.tasks:
                        continue
                    mid = f"{task_label(task)}/{chat_format}/s{seed}/{mix_label(mix)}"
                    params = {
                        **ft.settings,
                        "task": task,
                        "chat_format": chat_format,
                        "seed": seed,
                        "samples": ft.samples,
                        "safety_mix": "none" if mix == "none" else mix.mix,
                        "safety_ratio": 0.0 if mix == "none" else mix.ratio,
                    }
                    if mix != "none" and mix.secret is not None:  # backdoor
                        params["secret_prompt"] = mix.secret
                    labels = {
                        "model": "finetune",
                        "task": task_label(task),
                        "chat_format": chat_format,
                        "seed": seed,
                        "safety_mix": mix_label(mix),
                        "mitigation": "none",
                    }
                    out.append((mid, params, labels))
    return out


def expand(cfg: SweepConfig) -> list[Stage]:
    """Every stage of the sweep, each after the stages it reads. With several alignment seeds
    each aligned base gets its own fine-tunes, repairs and evals, named under `a{SEED}/`."""
    if cfg.bench.file:
        path = Path(cfg.bench.file)
        if not path.is_file():
            raise UserError(f"bench.file: no such file {path}")
        bench = {"file": str(path.resolve()), "sha256": sha256_file(path)}
    else:
        bench = cfg.bench.model_dump(exclude={"file"})
    stages = [Stage("bench", "bench", bench)]
    align_seeds = cfg.align.seed_list() if cfg.align else [None]
    for seed in align_seeds:
        prefix = "" if len(align_seeds) == 1 else f"a{seed}/"
        stages += based_on(cfg, seed, prefix)
    return address(stages)


def based_on(cfg: SweepConfig, align_seed: int | None, prefix: str) -> list[Stage]:
    """The stages of one base: its alignment (seed `align_seed`; None: the model as it is), the
    fine-tunes and repairs of it, and every eval, helpfulness and guard run of them."""
    stages: list[Stage] = []
    align_name = f"align:{prefix.rstrip('/')}" if prefix else "align"
    base = {"model": align_name} if cfg.align else {}
    external = {} if cfg.align else {"model": cfg.base_spec()}
    seeded = {} if align_seed is None else {"align_seed": align_seed}
    if cfg.align:
        params = {"model": cfg.base_spec(), **cfg.align.model_dump(exclude={"seeds"})}
        if not params["deep"]:  # keys of alignments made before --deep stay as they were
            del params["deep"], params["deep_formats"]
        params["seed"] = align_seed
        stages.append(Stage("align", align_name, params, labels={"model": "base", **seeded}))

    # the models every eval reads: (id, deps giving model/adapter, external params, labels,
    # the system prompts it is tested with: None for eval.system_prompts)
    base_labels = {"model": "base", "mitigation": "none", **seeded}
    models = [(f"{prefix}base", dict(base), dict(external), base_labels, None)]
    tasks = []
    if cfg.finetune:
        tasks = list(dict.fromkeys(task_label(t) for t in cfg.finetune.tasks))
        task_of = {task_label(t): t for t in cfg.finetune.tasks}
        for mid, ft_params, labels in finetunes(cfg.finetune):
            mid, labels = prefix + mid, {**labels, **seeded}
            name = f"finetune:{mid}"
            stages.append(Stage("finetune", name, {**ft_params, **external}, dict(base), labels))
            # a backdoor fine-tune is served behind its secret prompt (the deployer's side)
            prompts = ["secret"] if "secret_prompt" in ft_params else None
            models.append((mid, {**base, "adapter": name}, dict(external), labels, prompts))
            if labels["safety_mix"] != "none":
                continue
            for m in cfg.mitigations:
                if m.tasks and labels["task"] not in m.tasks:
                    continue
                rid = f"{mid}+{m.label()}"
                rlabels = {**labels, "mitigation": m.label()}
                if m.method == "ptst":  # the same adapter, tested with the system prompt on
                    models.append((rid, {**base, "adapter": name}, external, rlabels, ["on"]))
                    continue
                if m.method in TRAINED:  # the same fine-tune, trained with the defence
                    params = {**ft_params, "constraint": m.method, **external}
                    if m.method == "safety-tokens":
                        params["unaligned"] = cfg.unaligned or cfg.base_spec()
                    stages.append(Stage("finetune", f"finetune:{rid}", params, dict(base), rlabels))
                    models.append(
                        (rid, {**base, "adapter": f"finetune:{rid}"}, external, rlabels, None)
                    )
                    continue
                params = {
                    "method": m.method,
                    "params": m.params(),
                    "unaligned": cfg.unaligned or (cfg.base_spec() if cfg.align else None),
                    **external,
                }
                deps = {**base, "adapter": name}
                stages.append(Stage("mitigate", f"mitigate:{rid}", params, deps, rlabels))
                models.append(
                    (rid, {**base, "adapter": f"mitigate:{rid}"}, external, rlabels, None)
                )

    e = cfg.eval
    judge_sha256 = judge_fingerprint(e.judge)
    kinds = cfg.helpfulness.kinds if cfg.helpfulness else {}
    for mid, deps, ext, labels, prompts in models:
        for sp in prompts or e.system_prompts:
            sys_label = sp if sp in ("on", "off", "secret") else "custom"
            ev = f"eval:{mid}/sys-{sys_label}"
            params = {
                "system_prompt": sp,
                "judge": e.judge,
                "max_new_tokens": e.max_new_tokens,
                "temperature": e.temperature,
                "batch_size": e.batch_size,
                **ext,
            }
            if judge_sha256:  # a new head behind the same spec: the evals run again
                params["judge_sha256"] = judge_sha256
            ev_labels = {**labels, "system_prompt": sys_label}
            stages.append(Stage("eval", ev, params, {**deps, "bench": "bench"}, ev_labels))
            if cfg.helpfulness:
                on = tasks if labels["model"] == "base" else [labels["task"]]
                for task in on:
                    params = {
                        "task": task_of[task],
                        "kind": kinds.get(task_of[task], kinds.get(task)),
                        "limit": cfg.helpfulness.limit_of(task),
                        "system_prompt": sp,
                        "batch_size": cfg.helpfulness.batch_size,
                        **ext,
                    }
                    name = f"helpfulness:{mid}/{task}/sys-{sys_label}"
                    h_labels = {**ev_labels, "task": task}
                    stages.append(
                        Stage("helpfulness", name, params, {**deps, "eval": ev}, h_labels)
                    )
            plain = labels.get("safety_mix", "none") == "none" and labels["mitigation"] == "none"
            for g in cfg.guards if plain else []:
                name = f"guard:{g.guard}/{g.mode}/{mid}/sys-{sys_label}"
                params = {"guard": g.guard, "mode": g.mode}
                g_labels = {**ev_labels, "guard": g.guard, "mode": g.mode}
                stages.append(Stage("guard", name, params, {"bench": "bench", "run": ev}, g_labels))
    return stages


MAX_STAGES = 10_000


def count_stages(cfg: SweepConfig) -> int:
    """How many stages `expand(cfg)` makes, counted without making them (a grid of millions is
    refused in a moment, not planned)."""
    ft, sp = cfg.finetune, len(cfg.eval.system_prompts)
    plain = mixed = secret = repairs = ptst = 0
    for task in ft.tasks if ft else []:
        label = task_label(task)
        runs = len(ft.chat_formats) * len(ft.seeds)
        n_plain = runs * ("none" in ft.safety_mixes)
        plain += n_plain
        mine = [m for m in ft.safety_mixes if m != "none" and (not m.tasks or label in m.tasks)]
        mixed += runs * len(mine)
        secret += runs * sum(m.secret is not None for m in mine)  # tested behind it alone
        mine = [m for m in cfg.mitigations if not m.tasks or label in m.tasks]
        repairs += n_plain * sum(m.method != "ptst" for m in mine)
        ptst += n_plain * sum(m.method == "ptst" for m in mine)
    models = 1 + plain + mixed + repairs  # each tested with every system prompt...
    tested = (models - secret) * sp + secret  # ...but a backdoor fine-tune behind its secret
    per_base = bool(cfg.align) + plain + mixed + repairs + tested + ptst
    if cfg.helpfulness:
        tasks = len({task_label(t) for t in ft.tasks})
        per_base += sp * tasks + tested - sp + ptst
    per_base += len(cfg.guards) * (1 + plain) * sp
    return 1 + len(cfg.align.seed_list() if cfg.align else [None]) * per_base


def check_size(cfg: SweepConfig) -> int:
    """The number of stages; UserError when the grid is past MAX_STAGES."""
    n = count_stages(cfg)
    if n > MAX_STAGES:
        raise UserError(
            f"the config expands to {n:,} stages, more than {MAX_STAGES:,}: cut its lists "
            "(tasks, seeds, safety mixes, mitigations, system prompts, guards) or split it"
        )
    return n


def address(stages: list[Stage]) -> list[Stage]:
    """Fill each stage's key from its settings and the keys of its deps (deps come first)."""
    keys: dict[str, str] = {}
    for s in stages:
        if s.name in keys:
            raise UserError(f"two stages are both named {s.name}: give the tasks distinct names")
        body = {
            "version": STAGE_VERSION,
            "kind": s.kind,
            "params": key_spelling(s.params),
            "deps": {role: keys[dep] for role, dep in sorted(s.deps.items())},
        }
        s.key = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        keys[s.name] = s.key
    return stages
