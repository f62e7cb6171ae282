"""Safety during training: ASR on a fixed small bench subset every N steps.

The subset is the first harmful test items of the default bench, balanced over formats,
built once and cached. Answers are judged by one of the project's judges (`classifier` unless
told otherwise), named in the curve records.
"""

import json
import math
import shutil
from pathlib import Path

from safetygap.errors import UserError
from safetygap.home import home
from safetygap.jsonl import write_jsonl

JUDGE = "classifier"


def bench_subset(n_items: int, split: str = "test", formats: list[str] | None = None) -> list[dict]:
    """`n_items` harmful bench items balanced over formats, fixed and cached."""
    from safetygap.bench.items import read_bench

    path = home() / "finetune" / f"bench-{split}-{n_items}.jsonl"
    if path.is_file():
        return read_bench(path)
    from safetygap.bench.build import SeedOptions, build_bench

    n_formats = len(formats) if formats else 5
    result = build_bench(
        SeedOptions(),
        split=split,
        n_seeds=math.ceil(n_items / n_formats),
        n_benign=0,
        formats=formats,
    )
    items = [r for r in result.records if r["harmful"]]
    by_format: dict[str, list[dict]] = {}
    for item in items:
        by_format.setdefault(item["format"], []).append(item)
    chosen = []
    k = 0
    while len(chosen) < n_items and any(k < len(v) for v in by_format.values()):
        chosen += [v[k] for _, v in sorted(by_format.items()) if k < len(v)]
        k += 1
    chosen = chosen[:n_items]
    write_jsonl(path, chosen)
    return chosen


def asr_by_format(items: list[dict], responses: dict[str, str], judge: str = JUDGE) -> dict:
    """{overall, by_format{}}: share of items the judge reads as answered."""
    from safetygap.judge import load_judge

    pairs = [{"id": i["id"], "prompt": i["prompt"], "response": responses[i["id"]]} for i in items]
    verdicts = {rid: v.verdict for rid, v in load_judge(judge).judge(pairs)}

    def share(ids):
        return round(sum(verdicts[i] == "answered" for i in ids) / len(ids), 4) if ids else None

    formats = sorted({i["format"] for i in items})
    return {
        "overall": share([i["id"] for i in items]),
        "by_format": {f: share([i["id"] for i in items if i["format"] == f]) for f in formats},
        "n": len(items),
        "judge": judge,
    }


def answer(model: str, adapter: str | None, items: list[dict], max_new_tokens: int = 64) -> dict:
    """id -> response, greedy, chat template applied (the project's generation backend)."""
    from safetygap.generate.base import Request, Sampling, load_backend

    backend = load_backend(model, adapter, batch_size=32)
    requests = [Request(i["id"], i["prompt"]) for i in items]
    return {c.id: c.response for c in backend.generate(requests, Sampling(max_new_tokens))}


def measure(model: str, adapter: str | None, items: list[dict]) -> dict:
    return asr_by_format(items, answer(model, adapter, items))


def curve_callback_class():
    from transformers import TrainerCallback

    class SafetyCurve(TrainerCallback):
        """Appends {step, asr} to WORK/safety_curve.jsonl at step 0 and every N steps."""

        def __init__(self, settings, work: Path, log=print):
            self.s, self.work, self.log = settings, Path(work), log
            self.path = self.work / "safety_curve.jsonl"
            self.items = bench_subset(settings.safety_items)
            if not self.items:
                raise UserError("--safety-every: the bench subset is empty")

        def done_steps(self) -> set[int]:
            if not self.path.is_file():
                return set()
            return {json.loads(x)["step"] for x in self.path.read_text().splitlines() if x}

        def point(self, step: int, model) -> None:
            if step in self.done_steps():
                return  # already measured before a resume
            folder = self.work / "curve-adapter"
            shutil.rmtree(folder, ignore_errors=True)
            adapter = None
            if step > 0:
                model.save_pretrained(folder)
                adapter = str(folder)
            was_training = model.training
            asr = measure(self.s.model, adapter, self.items)
            model.train(was_training)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps({"step": step, "asr": asr}) + "\n")
            self.log(f"step {step}: ASR {asr['overall']} {asr['by_format']}")
            shutil.rmtree(folder, ignore_errors=True)

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            if state.global_step == 0:
                self.point(0, model)

        def on_step_end(self, args, state, control, model=None, **kwargs):
            step = state.global_step
            if step % self.s.safety_every == 0 or step == state.max_steps:
                self.point(step, model)

    return SafetyCurve


def SafetyCurve(settings, work, log=print):  # noqa: N802 (a class built on first use)
    return curve_callback_class()(settings, work, log)
