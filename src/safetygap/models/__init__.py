"""Model registry, model specs and materialisation of the embedded models."""

from safetygap.models.registry import EMBEDDED, ModelSpec, parse_spec

__all__ = ["EMBEDDED", "ModelSpec", "parse_spec"]
