"""Small fixed bench subsets and their ASR by format: the probe of `finetune --safety-every`
(the callback is `safetygap.integrations.trl.SafetyGapCallback`) and of `align`'s report.

A subset is the first harmful (or benign) test items of the default bench, balanced over
formats, built once and cached. Answers are judged by one of the project's judges
(`classifier` unless told otherwise), named in the records.
"""

import math

from safetygap.home import home
from safetygap.jsonl import write_jsonl

JUDGE = "classifier"


def bench_subset(
    n_items: int, split: str = "test", formats: list[str] | None = None, harmful: bool = True
) -> list[dict]:
    """`n_items` harmful (or benign) bench items balanced over formats, fixed and cached."""
    from safetygap.bench.items import read_bench

    kind = "" if harmful else "benign-"
    shown = "-".join(sorted(formats)) + "-" if formats else ""
    path = home() / "finetune" / f"bench-{split}-{kind}{shown}{n_items}.jsonl"
    if path.is_file():
        return read_bench(path)
    from safetygap.bench.build import SeedOptions, build_bench

    n_formats = len(formats) if formats else 5
    per_format = math.ceil(n_items / n_formats)
    result = build_bench(
        SeedOptions(),
        split=split,
        n_seeds=per_format if harmful else 1,
        n_benign=0 if harmful else per_format,
        formats=formats,
    )
    items = [r for r in result.records if r["harmful"] == harmful]
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
