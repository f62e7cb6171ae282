"""`safetygap generate`: answer a prompt file with a model, streaming JSONL (resumable)."""

import typer

from safetygap.generate.base import SYSTEM_PROMPT_HELP
from safetygap.models.registry import DEFAULT_CHAT_MODEL


def generate_command(
    prompts: str = typer.Option(..., "--prompts", help="JSONL file with `prompt` (and `id`)."),
    out: str = typer.Option(..., "--out", help="Responses JSONL to write (resumes if partial)."),
    model: str = typer.Option(
        DEFAULT_CHAT_MODEL,
        "--model",
        help="Registry name, local folder, hub id or openai:MODEL@URL.",
    ),
    adapter: str = typer.Option(None, "--adapter", help="PEFT adapter folder to apply."),
    system_prompt: str = typer.Option("off", "--system-prompt", help=SYSTEM_PROMPT_HELP),
    max_new_tokens: int = typer.Option(
        100, "--max-new-tokens", min=1, help="Tokens to generate at most (the paper used 100)."
    ),
    temperature: float = typer.Option(0.0, "--temperature", min=0.0, help="0 = greedy."),
    batch_size: int = typer.Option(16, "--batch-size", min=1, help="Local batch size."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="Endpoint requests in flight."),
) -> None:
    """Answer every prompt of a JSONL file (chat template always applied; greedy by default).

    Writes one response record a line as each is done. A killed run resumes where it stopped:
    run the same command again.
    """
    from safetygap.generate.base import Sampling, load_backend, system_prompt_from
    from safetygap.generate.runner import read_requests, run

    requests = read_requests(prompts)
    backend = load_backend(model, adapter, batch_size=batch_size, concurrency=concurrency)
    sampling = Sampling(max_new_tokens, temperature, system_prompt_from(system_prompt))
    n_new, n_total = run(backend, requests, sampling, out)
    print(f"{out}: {n_total} responses ({n_new} new)")
