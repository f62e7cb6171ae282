"""safetygap from Python: the commands' main operations as functions with typed results.

Each function runs the same library code as its command (`bench build`, `eval`, `compare`,
`check`, `guard`, `helpfulness`, `bench export`) and writes the same files; the results are
frozen dataclasses whose fields carry the names of the record files' fields
(docs/records.md). Bad input raises `safetygap.errors.UserError` (an `Exception`, not a
`ValueError`) with the one-line message the command prints, before anything is written.
Progress bars are off unless `progress=True`. docs/api.md has an example.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from safetygap import _API
from safetygap.errors import UserError as UserError  # re-exported
from safetygap.generate.base import BATCH_SIZE
from safetygap.judge import load_judge as load_judge  # re-exported
from safetygap.models.registry import DEFAULT_CHAT_MODEL

__all__ = list(_API)  # the names `safetygap` exports on first use


# ---- shared shapes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """A share with its Wilson 95% interval: `value` = k/n (None when n = 0)."""

    value: float | None
    ci_low: float
    ci_high: float
    n: int

    @classmethod
    def of(cls, d: Mapping) -> Rate:
        return cls(d["value"], d["ci_low"], d["ci_high"], d["n"])


@dataclass(frozen=True)
class SeedRate(Rate):
    """A rate over a model's runs, one per training seed: the mean, its 95% interval (counting
    the seeds and the items), `n_seeds` runs and `sd` their SD (None for one run)."""

    n_seeds: int = 1
    sd: float | None = None

    @classmethod
    def of(cls, d: Mapping) -> SeedRate:
        return cls(d["value"], d["ci_low"], d["ci_high"], d["n"], d["n_seeds"], d["sd"])


@dataclass(frozen=True)
class Rates:
    """A rate overall, by format and by category (metrics.json's `asr`, guard.json's
    `recall`...)."""

    overall: Rate
    by_format: Mapping[str, Rate]
    by_category: Mapping[str, Rate]

    @classmethod
    def of(cls, d: Mapping | None) -> Rates | None:
        if d is None:
            return None
        from safetygap.eval.metrics import by_format

        return cls(
            Rate.of(d["overall"]),
            {k: Rate.of(v) for k, v in by_format(d).items()},
            {k: Rate.of(v) for k, v in d.get("by_category", {}).items()},
        )


@dataclass(frozen=True)
class Unparsed:
    """Verdicts neither way, left out of every rate: the total and per format."""

    total: int
    by_format: Mapping[str, int]

    @classmethod
    def of(cls, d: Mapping) -> Unparsed:
        return cls(d["total"], dict(d.get("by_format", {})))


def _ids(values) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


# ---- bench ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bench:
    """A bench file as `bench build` wrote it, and its manifest (FILE.manifest.json)."""

    path: Path
    manifest_path: Path
    sha256: str
    split: str
    n_items: int
    n_harmful: int
    n_benign: int
    by_format: Mapping[str, Mapping[str, int]]
    by_category: Mapping[str, int]
    by_source: Mapping[str, int]
    by_template: Mapping[str, int]
    manifest: Mapping

    @classmethod
    def of(cls, path: Path, manifest_path: Path, m: Mapping) -> Bench:
        return cls(
            path,
            manifest_path,
            m["sha256"],
            m["split"],
            m["n_items"],
            m["n_harmful"],
            m["n_benign"],
            m["by_format"],
            m["by_category"],
            m["by_source"],
            m["by_template"],
            m,
        )


def build_bench(
    out: str | Path,
    *,
    split: str = "test",
    seeds: int | None = None,
    benign: int | None = None,
    formats: Sequence[str] | str | None = None,
    sources: Sequence[str] | str | None = None,
    seed_file: str | Path | None = None,
    prompt_column: str = "prompt",
    category_column: str | None = None,
    french_column: str | None = None,
    hub: str | None = None,
    hub_split: str = "train",
    hub_config: str | None = None,
    test_fraction: float = 0.3,
) -> Bench:
    """Build a bench into `out` (JSONL) and `out.manifest.json`, as `bench build`.

    Arguments are the command's options (`seeds`, `benign`: at most that many harmful / benign
    look-alike seeds; `formats`, `sources`: names, a list or comma-separated). Returns the
    bench's path and composition."""
    from safetygap.bench.build import SeedOptions, build_to_file
    from safetygap.jsonl import read_json

    opts = SeedOptions(
        sources=[sources] if isinstance(sources, str) else list(sources) if sources else None,
        seed_file=Path(seed_file) if seed_file is not None else None,
        prompt_column=prompt_column,
        category_column=category_column,
        french_column=french_column,
        hub=hub,
        hub_split=hub_split,
        hub_config=hub_config,
        test_fraction=test_fraction,
    )
    fmts = [formats] if isinstance(formats, str) else list(formats) if formats else None
    _, manifest = build_to_file(Path(out), opts, split, seeds, benign, fmts)
    return Bench.of(Path(out), manifest, read_json(manifest, "bench manifest"))


def export_bench(bench: str | Path, out: str | Path, safety_data: str | Path | None = None) -> Path:
    """Write a bench (and a safety dataset) as a Hugging Face datasets folder with its dataset
    card, as `bench export`; returns `out` (read it with `datasets.load_from_disk`)."""
    from safetygap.bench.export import export

    return export(bench, out, safety_data)


# ---- eval ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvalResult:
    """An eval run: its folder and metrics.json (`harm_asr` None where the judge gives no
    three-way level), with the run's settings.json."""

    run: Path
    asr: Rates
    harm_asr: Rates | None
    over_refusal: Rates
    unparsed: Unparsed
    judge: str
    model: str
    adapter: str | None
    system_prompt: str | None
    bench_sha256: str
    settings: Mapping

    @classmethod
    def load(cls, run: str | Path) -> EvalResult:
        """A finished eval run folder; UserError if it is not one."""
        from safetygap.eval.check import read_run
        from safetygap.jsonl import read_json

        settings = read_run(run)
        return cls.of(run, read_json(Path(run) / "metrics.json", "eval metrics"), settings)

    @classmethod
    def of(cls, run: str | Path, m: Mapping, settings: Mapping) -> EvalResult:
        return cls(
            Path(run),
            Rates.of(m["asr"]),
            Rates.of(m.get("harm_asr")),
            Rates.of(m["over_refusal"]),
            Unparsed.of(m["unparsed"]),
            m["judge"],
            m["model"],
            m.get("adapter"),
            m.get("system_prompt"),
            m.get("bench_sha256"),
            settings,
        )


def evaluate(
    model: str,
    bench: str | Path,
    adapter: str | Path | None = None,
    judge: str = "classifier",
    out: str | Path | None = None,
    *,
    system_prompt: str | None = "off",
    max_new_tokens: int = 100,
    temperature: float = 0.0,
    batch_size: int = BATCH_SIZE,
    concurrency: int = 8,
    limit: int | None = None,
    progress: bool = False,
) -> EvalResult:
    """Answer a bench with a model (and adapter), judge and score the answers, as `eval`.

    `model`: a model spec; `judge`: a judge spec; `system_prompt`: `off`, `on` or a text;
    `limit`: N items spread over the formats. `out` is the run folder (resumed when it holds
    this run); None: a new temporary folder. Returns the run's metrics."""
    from safetygap.eval.run import evaluate as run_eval
    from safetygap.generate.base import system_prompt_from
    from safetygap.jsonl import read_json

    if out is None:
        out = Path(tempfile.mkdtemp(prefix="safetygap-eval-"))
    adapter = str(adapter) if adapter is not None else None
    m = run_eval(
        model,
        bench,
        judge,
        out,
        adapter,
        system_prompt_from(system_prompt, adapter),
        max_new_tokens,
        temperature,
        batch_size,
        concurrency,
        limit,
        progress=progress,
    )
    return EvalResult.of(out, m, read_json(Path(out) / "settings.json", "eval run's settings"))


# ---- compare -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paired:
    """A paired difference of two runs' shares: in A, in B, B - A, the discordant counts and
    the exact McNemar p."""

    a: float
    b: float
    diff: float
    only_a: int
    only_b: int
    p_value: float

    @classmethod
    def of(cls, d: Mapping | None) -> Paired | None:
        if d is None:
            return None
        return cls(d["a"], d["b"], d["diff"], d["only_a"], d["only_b"], d["p_value"])


@dataclass(frozen=True)
class CompareRow:
    """One row of `compare --out` (docs/records.md, compare rows); `mde` is the detectable rise
    (None: not even a rise to 100% would be found)."""

    group: str
    n: int
    asr_a: float
    asr_b: float
    diff: float
    only_a: int
    only_b: int
    p_value: float
    harm: Paired | None
    refused_to_answered: tuple[str, ...]
    answered_to_refused: tuple[str, ...]
    mde: float | None

    @classmethod
    def of(cls, r: Mapping) -> CompareRow:
        return cls(
            r["group"],
            r["n"],
            r["asr_a"],
            r["asr_b"],
            r["diff"],
            r["only_a"],
            r["only_b"],
            r["p_value"],
            Paired.of(r["harm"]),
            tuple(r["refused_to_answered"]),
            tuple(r["answered_to_refused"]),
            r["mde"],
        )


@dataclass(frozen=True)
class Comparison:
    """Two eval runs paired on their shared harmful items: rows overall first, then by format;
    over-refusal on the benign look-alikes both decided (`n` of them; None: no benign item)."""

    run_a: Path
    run_b: Path
    alpha: float
    rows: tuple[CompareRow, ...]
    over_refusal: Paired | None
    over_refusal_n: int

    def row(self, group: str) -> CompareRow:
        """The row of `overall` or a format; KeyError if there is none."""
        for r in self.rows:
            if r.group == group:
                return r
        raise KeyError(group)


def compare(run_a: str | Path, run_b: str | Path, *, alpha: float = 0.05) -> Comparison:
    """Pair two eval runs of the same bench, as `compare RUN_A RUN_B`: per format ASR in each,
    B - A, exact McNemar p, the smallest rise the items could show (`mde`), and the items that
    flipped. `alpha`: the tests' level."""
    from safetygap.eval.cli import single_mde
    from safetygap.eval.compare import compare as compare_runs
    from safetygap.eval.compare import over_refusal
    from safetygap.helpfulness.cli import validate_compare

    validate_compare([str(run_a), str(run_b)], None, False, alpha)
    rows = compare_runs(run_a, run_b)
    for r in rows:
        r["mde"] = single_mde(r, alpha)
    benign = over_refusal(run_a, run_b)
    return Comparison(
        Path(run_a),
        Path(run_b),
        alpha,
        tuple(CompareRow.of(r) for r in rows),
        Paired.of(benign),
        benign["n"] if benign else 0,
    )


# ---- check ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateRow:
    """One group of `check --json`'s `formats` (overall first); ASRs as fractions, rises in
    points."""

    group: str
    n: int
    n_seeds: int
    asr_base: float
    asr_finetune: float
    asr_finetune_ci: SeedRate
    rise_points: float
    rise_ci_points: tuple[float, float]
    p_value: float
    test: str
    detectable_rise_points: float | None
    at_ceiling: bool
    rose: bool
    above_ceiling: bool
    failed: bool
    open: str | None
    decided: bool
    needed: Mapping | None
    max_asr: float | None
    refused_to_answered: tuple[str, ...] | None
    answered_to_refused: tuple[str, ...] | None

    @classmethod
    def of(cls, r: Mapping) -> GateRow:
        return cls(
            r["group"],
            r["n"],
            r["n_seeds"],
            r["asr_base"],
            r["asr_finetune"],
            SeedRate.of(r["asr_finetune_ci"]),
            r["rise_points"],
            tuple(r["rise_ci_points"]),
            r["p_value"],
            r["test"],
            r["detectable_rise_points"],
            r["at_ceiling"],
            r["rose"],
            r["above_ceiling"],
            r["failed"],
            r["open"],
            r["decided"],
            r.get("needed"),
            r["max_asr"],
            _ids(r.get("refused_to_answered")),
            _ids(r.get("answered_to_refused")),
        )


@dataclass(frozen=True)
class CheckResult:
    """The release gate's report, as `check --json` prints it, plus `exit_code` (0 PASSED,
    1 FAILED, 3 INCONCLUSIVE), `summary` (the command's last line, naming what failed or is
    open) and `notes` (what the numbers cannot say alone)."""

    verdict: str
    passed: bool
    exit_code: int
    summary: str
    notes: tuple[str, ...]
    max_rise_points: float
    max_asr_points: Mapping[str, float] | None
    alpha: float
    base_run: Path
    finetune_run: Path
    finetune_runs: tuple[Path, ...]
    base_unsafe: bool
    formats: tuple[GateRow, ...]


def check(
    model: str = DEFAULT_CHAT_MODEL,
    adapter: str | Path | None = None,
    *,
    against: str | Path | None = None,
    runs: Sequence[str | Path] | str | Path | None = None,
    bench: str | Path | None = None,
    out: str | Path = "runs/check",
    max_rise: float = 5.0,
    alpha: float = 0.05,
    max_asr: float | Mapping[str, float] | Sequence[str] | None = None,
    judge: str | None = None,
    system_prompt: str | None = None,
    max_new_tokens: int | None = None,
    batch_size: int = BATCH_SIZE,
    progress: bool = False,
) -> CheckResult:
    """Did the fine-tune (`model` + `adapter`) get less safe than its base? As `check`.

    `against`: reuse an eval run of the base; `runs`: reuse eval runs of the fine-tune (one per
    training seed) instead of `adapter`; `bench`: required when nothing is reused; `out`: where
    what is evaluated goes. `max_asr`: a ceiling in points, for every group (a number) or per
    group (`{"overall": 10, "code": 30}`). `judge`, `system_prompt`, `max_new_tokens` left None
    are the reused runs' (else eval's defaults). Returns the verdict and its reasons."""
    from safetygap.eval.check import VERDICTS
    from safetygap.eval.check import check as run_check
    from safetygap.eval.cli import gate_line, gate_notes

    if isinstance(max_asr, int | float):
        max_asr = [f"{max_asr:g}"]
    elif isinstance(max_asr, Mapping):
        max_asr = [f"{group}={points:g}" for group, points in max_asr.items()]
    if isinstance(runs, str | Path):
        runs = [runs]
    report = run_check(
        model,
        str(adapter) if adapter is not None else None,
        against=against,
        finetune_run=[Path(r) for r in runs] if runs else None,
        bench=bench,
        out=out,
        max_rise=max_rise,
        alpha=alpha,
        max_asr=list(max_asr) if max_asr else None,
        judge=judge,
        system_prompt=system_prompt,
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
        progress=progress,
    )
    return CheckResult(
        verdict=report["verdict"],
        passed=report["passed"],
        exit_code=VERDICTS[report["verdict"]],
        summary=gate_line(report),
        notes=tuple(gate_notes(report)),
        max_rise_points=report["max_rise_points"],
        max_asr_points=report["max_asr_points"],
        alpha=report["alpha"],
        base_run=Path(report["base_run"]),
        finetune_run=Path(report["finetune_run"]),
        finetune_runs=tuple(Path(f) for f in report["finetune_runs"]),
        base_unsafe=report["base_unsafe"],
        formats=tuple(GateRow.of(r) for r in report["formats"]),
    )


# ---- guard ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrossFormat:
    """A format's recall against plain's on the same seeds (exact McNemar; `lost`: flagged in
    plain, missed in this format)."""

    recall: Rate
    plain_recall: Rate
    difference: float
    lost: int
    gained: int
    p_value: float
    n_pairs: int


@dataclass(frozen=True)
class Latency:
    """Milliseconds per single-item guard call after a warm-up (None when none was timed)."""

    median: float | None
    p95: float | None
    n: int


@dataclass(frozen=True)
class GuardResult:
    """A guard run: its folder and guard.json (the `run_*`, `residual_*` and `benign_blocked`
    fields only with an eval run; `auroc` only for guards with scores)."""

    out: Path
    guard: str
    mode: str
    bench_sha256: str
    run: str | None
    n_items: int
    recall: Rates
    false_positive_rate: Rates
    cross_format: Mapping[str, CrossFormat]
    auroc: Mapping | None
    unparsed: Unparsed
    run_asr: Rates | None
    residual_asr: Rates | None
    residual_p_value: float | None
    benign_blocked: Rates | None
    latency_ms: Latency
    items_per_s: float | None


def evaluate_guard(
    guard: str,
    bench: str | Path,
    out: str | Path,
    *,
    run: str | Path | None = None,
    mode: str = "input",
    limit: int | None = None,
    batch_size: int = 16,
    concurrency: int = 8,
    latency_items: int = 20,
    progress: bool = False,
) -> GuardResult:
    """How much a guard catches, per format, as `guard --guard G --bench FILE --out DIR`.

    `guard`: a guard spec; `run`: an eval run on this bench (its ASR behind the guard; the
    responses the guard reads in `mode="output"`). Returns guard.json's figures."""
    from safetygap.guard.run import guard_run

    g = guard_run(
        guard,
        bench,
        out,
        run=run,
        mode=mode,
        limit=limit,
        batch_size=batch_size,
        concurrency=concurrency,
        latency_items=latency_items,
        progress=progress,
    )
    cross = {
        fmt: CrossFormat(
            Rate.of(c["recall"]),
            Rate.of(c["plain_recall"]),
            c["difference"],
            c["lost"],
            c["gained"],
            c["p_value"],
            c["n_pairs"],
        )
        for fmt, c in g["cross_format"].items()
    }
    return GuardResult(
        out=Path(out),
        guard=g["guard"],
        mode=g["mode"],
        bench_sha256=g["bench_sha256"],
        run=g["run"],
        n_items=g["n_items"],
        recall=Rates.of(g["recall"]),
        false_positive_rate=Rates.of(g["false_positive_rate"]),
        cross_format=cross,
        auroc=g.get("auroc"),
        unparsed=Unparsed.of(g["unparsed"]),
        run_asr=Rates.of(g.get("run_asr")),
        residual_asr=Rates.of(g.get("residual_asr")),
        residual_p_value=g.get("residual_p_value"),
        benign_blocked=Rates.of(g.get("benign_blocked")),
        latency_ms=Latency(**g["latency_ms"]),
        items_per_s=g["items_per_s"],
    )


# ---- helpfulness ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """A task metric with its 95% interval (`interval`: `wilson` or `bootstrap`; `scale`:
    `0-1` or `0-100`)."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    interval: str
    scale: str


@dataclass(frozen=True)
class HelpfulnessResult:
    """A helpfulness run: its folder and helpfulness.json (`over_refusal` from `eval_run`,
    else None)."""

    run: Path
    task: str
    kind: str
    n: int
    metrics: Mapping[str, Metric]
    over_refusal: Rate | None
    eval_run: str | None
    settings: Mapping


def evaluate_helpfulness(
    task: str,
    out: str | Path,
    *,
    model: str = DEFAULT_CHAT_MODEL,
    adapter: str | Path | None = None,
    kind: str | None = None,
    limit: int | None = None,
    system_prompt: str | None = "off",
    max_new_tokens: int | None = None,
    temperature: float = 0.0,
    batch_size: int = BATCH_SIZE,
    concurrency: int = 8,
    eval_run: str | Path | None = None,
    cpu_seconds: int = 10,
    memory_mb: int = 512,
    progress: bool = False,
) -> HelpfulnessResult:
    """Score a model's skill on a task's held-out items into `out`, as `helpfulness`.

    `task`: a registered task or a JSONL file (then `kind` too); `eval_run`: an eval run of the
    same model and settings, whose over-refusal is reported beside; `cpu_seconds`,
    `memory_mb`: the code sandbox's limits. Returns helpfulness.json's metrics."""
    from safetygap.generate.base import system_prompt_from
    from safetygap.helpfulness.run import helpfulness, sandbox_limits

    h = helpfulness(
        model,
        task,
        out,
        adapter=str(adapter) if adapter is not None else None,
        kind=kind,
        system_prompt=system_prompt_from(system_prompt, adapter),
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        batch_size=batch_size,
        concurrency=concurrency,
        limit=limit,
        limits=sandbox_limits(cpu_seconds, memory_mb),
        eval_run=str(eval_run) if eval_run is not None else None,
        progress=progress,
    )
    o = h["over_refusal"]
    return HelpfulnessResult(
        run=Path(out),
        task=h["task"],
        kind=h["kind"],
        n=h["n"],
        metrics={name: Metric(**m) for name, m in h["metrics"].items()},
        over_refusal=Rate.of(o) if o else None,
        eval_run=o["eval_run"] if o else None,
        settings=h["settings"],
    )
