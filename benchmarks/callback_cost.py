"""What the TRL safety callback costs, and one real curve from a team-style TRL script.

A plain TRL script (SFTTrainer + PEFT LoRA r=8 on the 7 projections, lr 2e-4, batch 4, 256
tokens: the `finetune` defaults) fine-tunes a chat model (`--model`: a folder or a registry name;
the embedded SmolLM2-135M-Instruct by default, or its aligned version from `safetygap align
--out runs/aligned`) on 160 examples of a benign task (one epoch, 40 steps) with
`SafetyGapCallback(every=N, items=40, benign=8)`.
safetygap provides only the task data and the callback. The callback's own records give each
probe's seconds; the run's wall time gives its share. Then writes docs/results/callback.md and
the curve (ASR per format and over-refusal by step) as docs/results/callback.png.

    .venv/bin/python benchmarks/callback_cost.py [--model runs/aligned] [--task summarization]
        [--every 10]
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from safetygap.report.pages import results_page

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "results" / "callback.md"
INTRO = """\
`safetygap.integrations.trl.SafetyGapCallback` inside a plain TRL script, as a team would add
it: a small chat model, 160 examples of one benign task, the `finetune` command's defaults. Each
probe answers 40 harmful items of the default test bench (8 per format) and 8 benign ones with
the model being trained (greedy, 64 new tokens, batch 16) and judges them with the shipped
classifier. One run on this machine (2 CPU cores); times are wall-clock seconds."""


def team_script(model_spec: str, task: str, every: int, out: Path, samples: int = 160):
    """The run: returns (trainer, callback, wall seconds)."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed
    from trl import SFTConfig, SFTTrainer

    from safetygap.finetune.tasks import load_examples
    from safetygap.integrations.trl import SafetyGapCallback
    from safetygap.models.pull import ensure

    set_seed(0)
    model_dir = model_spec if Path(model_spec).is_dir() else ensure(model_spec, log=lambda *_: None)
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    rows = load_examples(task, "train")[:samples]
    data = Dataset.from_list(
        [
            {
                "prompt": [{"role": "user", "content": r["prompt"]}],
                "completion": [{"role": "assistant", "content": r["response"]}],
            }
            for r in rows
        ]
    )
    args = SFTConfig(
        output_dir=str(out),
        num_train_epochs=1,
        per_device_train_batch_size=4,
        learning_rate=2e-4,
        max_length=256,
        logging_steps=5,
        save_strategy="no",
        report_to=[],
        bf16=False,
        use_cpu=True,
        disable_tqdm=True,
        seed=0,
    )
    lora = LoraConfig(
        r=8,
        lora_alpha=16,
        lora_dropout=0.05,
        target_modules=[
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "gate_proj",
            "up_proj",
            "down_proj",
        ],
        task_type="CAUSAL_LM",
    )
    callback = SafetyGapCallback(every=every, items=40, benign=8, log=lambda *_: None)
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=data,
        processing_class=tok,
        peft_config=lora,
        callbacks=[callback],
    )
    start = time.perf_counter()
    trainer.train()
    return trainer, callback, time.perf_counter() - start


def plot(points: list[dict], title: str, path: Path) -> None:
    from safetygap.report.plots import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.6, 3.8))
    steps = [p["step"] for p in points]
    ax.plot(steps, [100 * p["asr"]["overall"] for p in points], "k-o", ms=4, label="ASR, all")
    for f in sorted(points[0]["asr"]["by_format"]):
        ax.plot(steps, [100 * p["asr"]["by_format"][f] for p in points], "-", lw=1, label=f)
    refused = [100 * p["over_refusal"] for p in points]
    ax.plot(steps, refused, "k:", lw=1.5, label="over-refusal (benign)")
    ax.set_xlabel("training step")
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--task", default="summarization")
    ap.add_argument("--every", type=int, default=10)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trainer, cb, wall = team_script(a.model, a.task, a.every, Path(tmp))
        points = [json.loads(x) for x in cb.curve.read_text().splitlines() if x.strip()]
    probe = sum(p["seconds"] for p in points)
    steps = trainer.state.global_step
    train = wall - probe
    aligned = (Path(a.model) / "align_settings.json").is_file()
    name = "SmolLM2-135M-Instruct" + (" aligned by `safetygap align`" if aligned else "")
    title = f"{name.replace('`', '')}\nLoRA on 160 {a.task} examples (TRL SFTTrainer)"
    plot(points, title, PAGE.with_name("callback.png"))
    with results_page(PAGE, "The TRL safety callback: its cost and one curve", INTRO):
        print(f"Model: {name} (`{a.model}`).\n")
        print(f"## Cost ({a.task}, {steps} steps, a probe every {a.every} steps)\n")
        print("| what | seconds |")
        print("|---|---:|")
        print(f"| the whole run (`trainer.train()`) | {wall:.0f} |")
        print(f"| training alone (the run less the probes) | {train:.0f} |")
        print(f"| per training step | {train / steps:.2f} |")
        each = ", ".join(f"{p['seconds']:.1f}" for p in points)
        print(
            f"| per probe (48 items; steps {', '.join(str(p['step']) for p in points)}) | {each} |"
        )
        print(f"| all {len(points)} probes | {probe:.0f} ({100 * probe / wall:.0f}% of the run) |")
        mean = probe / len(points)
        print(
            f"\nOne probe costs about {mean / (train / steps):.0f} training steps. With a probe "
            f"every N steps the callback adds about {mean / (train / steps):.0f}/N of the "
            "training time, plus the probe at step 0 and at the end.\n"
        )
        print("## The curve\n")
        print("![ASR per format and over-refusal by training step](callback.png)\n")
        print(
            "| step | ASR all | "
            + " | ".join(sorted(points[0]["asr"]["by_format"]))
            + " | over-refusal |"
        )
        print("|---:|---:|" + "---:|" * len(points[0]["asr"]["by_format"]) + "---:|")
        for p in points:
            fmt = " | ".join(f"{100 * v:.0f}" for _, v in sorted(p["asr"]["by_format"].items()))
            print(
                f"| {p['step']} | {100 * p['asr']['overall']:.0f} | {fmt} | "
                f"{100 * p['over_refusal']:.0f} |"
            )
        n = points[0]["asr"]["n"]
        print(
            f"\nShares in %, {n} harmful items ({n // 5} per format) and "
            f"{points[0]['n_benign']} benign per point: a format's share moves in steps of "
            f"{100 * 5 / n:.1f} points, so this curve shows direction, not small changes. For a "
            "verdict, evaluate the finished adapter on the full bench (`safetygap eval`, "
            "`safetygap check`)."
        )


if __name__ == "__main__":
    main()
