"""`safetygap generate`: answer a prompt file with a model, streaming JSONL (resumable)."""

import typer

from safetygap.generate.base import BATCH_SIZE, SYSTEM_PROMPT_HELP
from safetygap.models.registry import DEFAULT_CHAT_MODEL


def validate(prompts, out, model, adapter, max_new_tokens, temperature, batch_size, concurrency):
    """Every mistake in generate's input at once (UserError), before a model loads; else the
    requests of the prompt file."""
    from safetygap import inputs
    from safetygap.errors import Checks
    from safetygap.generate.runner import read_requests

    checks = Checks()
    requests = checks(read_requests, prompts)
    checks(inputs.out_file, out)
    checks(inputs.model_and_adapter, model, adapter)
    checks(inputs.generation, max_new_tokens, temperature, batch_size, concurrency)
    checks.done()
    return requests


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
        100, "--max-new-tokens", help="Tokens to generate at most (the paper used 100)."
    ),
    temperature: float = typer.Option(0.0, "--temperature", help="0 = greedy."),
    batch_size: int = typer.Option(
        BATCH_SIZE, "--batch-size", help="Prompts answered together by a local model."
    ),
    concurrency: int = typer.Option(8, "--concurrency", help="Endpoint requests in flight."),
) -> None:
    """Answer every prompt of a JSONL file (chat template always applied; greedy by default).

    Writes one response record a line as each is done. A killed run resumes where it stopped:
    run the same command again.
    """
    from safetygap.generate.base import Sampling, load_backend, system_prompt_from
    from safetygap.generate.runner import run

    requests = validate(
        prompts, out, model, adapter, max_new_tokens, temperature, batch_size, concurrency
    )
    backend = load_backend(model, adapter, batch_size=batch_size, concurrency=concurrency)
    system = system_prompt_from(system_prompt, adapter)
    sampling = Sampling(max_new_tokens, temperature, system)
    n_new, n_total = run(backend, requests, sampling, out)
    print(f"{out}: {n_total} responses ({n_new} new)")
