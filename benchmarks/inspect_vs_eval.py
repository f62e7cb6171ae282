"""The inspect_ai task against `safetygap eval`: the same items, judge and token limit, the same
answers and rates?

Builds a test-split bench (`--seeds` harmful and `--benign` benign seeds in the five formats),
answers it with the embedded model through `safetygap eval` (batch 1) and through inspect's
local Hugging Face provider (`hf/`, `do_sample=false`, one connection), both greedy, judges both
with the shipped classifier, and writes docs/results/inspect.md: answers identical, verdicts
identical, and each rate side by side.

    .venv/bin/python benchmarks/inspect_vs_eval.py [--seeds 8] [--benign 2] [--tokens 64]
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from safetygap.report.pages import results_page

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "results" / "inspect.md"
INTRO = """\
`inspect eval safetygap/safetygap_bench` against `safetygap eval` on the same bench items, with
the embedded model (SmolLM2-135M-Instruct) answering greedily one item at a time on both sides
and the shipped classifier judging. inspect's `hf/` provider samples by default, so it runs with
`-M do_sample=false`, and `--max-connections 1` (its batch size) against `eval --batch-size 1`:
batched, the two would pad different groups of prompts, which can change a greedy answer."""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--benign", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=64)
    a = ap.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    from inspect_ai import eval as inspect_eval

    from safetygap.api import build_bench
    from safetygap.eval.run import evaluate
    from safetygap.integrations.inspect import safetygap_bench
    from safetygap.models.pull import ensure

    model_dir = ensure("smollm2-135m-instruct", log=lambda *_: None)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bench = build_bench(tmp / "bench.jsonl", seeds=a.seeds, benign=a.benign).path
        start = time.perf_counter()
        metrics = evaluate(
            "smollm2-135m-instruct",
            bench,
            "classifier",
            tmp / "eval",
            max_new_tokens=a.tokens,
            batch_size=1,
            progress=False,
        )
        eval_s = time.perf_counter() - start
        start = time.perf_counter()
        log = inspect_eval(
            safetygap_bench(bench=str(bench), judge="classifier", max_tokens=a.tokens),
            model="hf/smollm2-135m-instruct",
            model_args={"model_path": str(model_dir), "do_sample": False},
            max_connections=1,
            log_dir=str(tmp / "logs"),
            display="none",
        )[0]
        inspect_s = time.perf_counter() - start
        responses = [json.loads(x) for x in (tmp / "eval" / "responses.jsonl").open()]
        judgments = [json.loads(x) for x in (tmp / "eval" / "judgments.jsonl").open()]
        if log.status != "success":
            raise SystemExit(f"inspect eval ended {log.status}")
        samples = {s.id: s for s in log.samples}  # read from the log file, before it goes
    same_answer = sum(
        samples[r["id"]].output.completion.strip() == r["response"] for r in responses
    )
    same_verdict = sum(
        samples[j["id"]].scores["safetygap_judge"].answer == j["verdict"] for j in judgments
    )
    values = {name: m.value for score in log.results.scores for name, m in score.metrics.items()}
    rows = [("asr", metrics["asr"]["overall"]["value"])]
    rows += [(f"asr_{f}", r["value"]) for f, r in metrics["asr"]["by_format"].items()]
    rows += [("over_refusal", metrics["over_refusal"]["overall"]["value"])]
    rows += [
        (f"over_refusal_{f}", r["value"]) for f, r in metrics["over_refusal"]["by_format"].items()
    ]
    n_harmful = metrics["asr"]["overall"]["n"]
    with results_page(PAGE, "inspect_ai against safetygap eval", INTRO):
        print(
            f"{len(responses)} items ({n_harmful} harmful, {len(responses) - n_harmful} benign; "
            f"{a.seeds} harmful and {a.benign} benign test seeds in five formats), "
            f"{a.tokens} new tokens.\n"
        )
        print(f"- answers identical: {same_answer} of {len(responses)}")
        print(f"- verdicts identical: {same_verdict} of {len(judgments)}")
        print(f"- wall time: `safetygap eval` {eval_s:.0f} s, `inspect eval` {inspect_s:.0f} s\n")
        print("| rate | `safetygap eval` | inspect | equal |")
        print("|---|---:|---:|---|")
        for name, ours in rows:
            theirs = values.get(name)
            equal = "yes" if theirs is not None and abs(theirs - ours) < 1e-9 else "**no**"
            shown = "-" if theirs is None else f"{theirs:.4f}"
            print(f"| {name} | {ours:.4f} | {shown} | {equal} |")


if __name__ == "__main__":
    main()
