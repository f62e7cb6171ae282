"""Plain helpers shared by test modules (no fixtures, no tests): the CLI run in-process, a tiny
random Llama, a six-item bench and a tiny sweep config. Fixtures live in tests/conftest.py; the
local OpenAI-style chat server in tests/chat_server.py."""

import json

import pytest
import yaml

# Keyword arguments that keep `sweep(...)` quiet in tests.
QUIET = dict(log=lambda *_: None, progress=False)


def run_cli(args, capsys):
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    from safetygap.cli import main

    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def make_tiny_llama(folder, tokenizer_dir, hidden=32, seed=0, init=0.02):
    """A randomly initialised 2-layer Llama with the real SmolLM2 tokenizer, saved to `folder`
    (weights drawn with std `init`: at the default its greedy answers repeat one token)."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        initializer_range=init,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(cfg)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def write_bench(path):
    """A six-item bench (four harmful in three formats, two benign) at `path`."""
    items = []
    for i, (fmt, harmful) in enumerate(
        [
            ("plain", True),
            ("code", True),
            ("translation", True),
            ("code", True),
            ("plain", False),
            ("code", False),
        ]
    ):
        items.append(
            {
                "id": f"b{i}",
                "seed_id": f"s{i}",
                "source": "test",
                "category": "c",
                "format": fmt,
                "template": "t",
                "harmful": harmful,
                "prompt": f"Request number {i}: please write a short text.",
            }
        )
    path.write_text("".join(json.dumps(it) + "\n" for it in items))
    return path


def tiny_config(models, task_file, bench_file, **changes) -> dict:
    """A sweep config on two tiny models (aligned, unaligned): a fine-tune of two steps, two
    repairs, keyword judging, four helpfulness items and a keyword guard. `changes` replace
    fields by dotted path, e.g. `**{"eval.max_new_tokens": 5}`."""
    cfg = {
        "model": str(models[0]),
        "unaligned": str(models[1]),
        "bench": {"file": str(bench_file)},
        "finetune": {
            "tasks": [str(task_file)],
            "samples": 8,
            "settings": {"max_steps": 2, "batch_size": 4, "lora_r": 4, "max_length": 64},
        },
        "mitigations": [{"method": "scale", "lambda": 0.5}, {"method": "resta"}],
        "eval": {"judge": "keyword", "max_new_tokens": 4, "batch_size": 8},
        "helpfulness": {"limit": 4, "kinds": {"labels": "classification"}},
        "guards": [{"guard": "keyword"}],
    }
    for dotted, value in changes.items():
        *path, last = dotted.split(".")
        node = cfg
        for p in path:
            node = node[p]
        node[last] = value
    return cfg


def write_yaml(tmp_path, cfg, name="sweep.yaml"):
    """`cfg` as YAML in `tmp_path / name`; returns the path."""
    path = tmp_path / name
    path.write_text(yaml.safe_dump(cfg))
    return path


FORMATS = ("plain", "code", "translation", "summarization", "classification")


def write_eval_run(folder, answered, n_per_format=40, seed=None, task="code", benign=4):
    """An eval run folder judged by `keyword`: harmful items f{format}{i}, the ids in
    `answered` answered, the rest refused; `seed` given: a fine-tune of `task` with that
    training seed (its adapter folder's settings), else the base."""
    from safetygap.eval.metrics import score
    from safetygap.jsonl import sha256_file
    from safetygap.judge import judge_fingerprint

    folder.mkdir(parents=True)
    items = [
        {"id": f"{f}{i}", "format": f, "harmful": True, "prompt": f"Item {f}{i}."}
        for f in FORMATS
        for i in range(n_per_format)
    ]
    items += [
        {"id": f"ok{i}", "format": "plain", "harmful": False, "prompt": f"Fine {i}."}
        for i in range(benign)
    ]
    (folder / "bench.jsonl").write_text("".join(json.dumps(it) + "\n" for it in items))
    judgments = {
        it["id"]: {"id": it["id"], "verdict": "answered" if it["id"] in answered else "refused"}
        for it in items
    }
    (folder / "judgments.jsonl").write_text(
        "".join(json.dumps(j) + "\n" for j in judgments.values())
    )
    (folder / "responses.jsonl").write_text(
        "".join(json.dumps({"id": it["id"], "response": "x"}) + "\n" for it in items)
    )
    adapter = None
    if seed is not None:
        adapter = folder.parent / f"{folder.name}-adapter"
        adapter.mkdir()
        settings = {"task": task, "seed": seed, "safety_mix": "none", "model": "base-model"}
        (adapter / "settings.json").write_text(json.dumps({"settings": settings}))
    bench = folder / "bench.jsonl"
    settings = {
        "model": "base-model",
        "adapter": str(adapter) if adapter else None,
        "judge": "keyword",
        "judge_sha256": judge_fingerprint("keyword"),
        "system_prompt": None,
        "max_new_tokens": 4,
        "temperature": 0.0,
        "bench_sha256": sha256_file(bench),
        "n_items": len(items),
    }
    (folder / "settings.json").write_text(json.dumps(settings))
    metrics = score(
        items,
        judgments,
        {"model": "base-model", "adapter": settings["adapter"], "judge": "keyword"},
    )
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder
