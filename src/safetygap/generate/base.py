"""The generation backend interface and its registry."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Request:
    id: str
    prompt: str


@dataclass(frozen=True)
class Completion:
    id: str
    response: str
    n_new_tokens: int
    finish_reason: str  # "stop" (end of turn) or "length" (hit max_new_tokens)


@dataclass(frozen=True)
class Sampling:
    max_new_tokens: int = 100
    temperature: float = 0.0  # 0 = greedy
    system_prompt: str | None = None


class Backend(Protocol):
    model: str  # the model spec as given
    adapter: str | None

    def generate(self, requests: list[Request], sampling: Sampling) -> Iterator[Completion]:
        """Yield one Completion per request, in any order, as soon as each is done."""
        ...


def messages(prompt: str, system_prompt: str | None) -> list[dict]:
    """Chat messages for one prompt, with the system prompt when given."""
    msgs = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return msgs + [{"role": "user", "content": prompt}]


def load_backend(model: str, adapter: str | None = None, **options) -> Backend:
    """The backend for a model spec: OpenAI-compatible HTTP for `openai:`, else transformers."""
    from safetygap.models.registry import parse_spec

    spec = parse_spec(model)
    if spec.is_remote:
        if adapter:
            from safetygap.errors import UserError

            raise UserError("--adapter needs a local model; an endpoint serves its own weights")
        from safetygap.generate.openai_backend import OpenAIBackend

        return OpenAIBackend(
            spec, **{k: v for k, v in options.items() if k in OpenAIBackend.OPTIONS}
        )
    from safetygap.generate.transformers_backend import TransformersBackend

    return TransformersBackend(
        spec,
        adapter=adapter,
        **{k: v for k, v in options.items() if k in TransformersBackend.OPTIONS},
    )
