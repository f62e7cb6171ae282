"""Sentence embeddings with the embedded MiniLM (mean pooling, unit length)."""

from functools import lru_cache

import numpy as np

from safetygap.models.pull import ensure


@lru_cache(maxsize=1)
def _load():
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    path = ensure("minilm-l6", log=lambda *_: None)
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, dtype=torch.float32).eval()
    return tok, model


def embed(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length 384-d embeddings of `texts` as a float32 array (n, 384)."""
    import torch

    tok, model = _load()
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            enc = tok(
                texts[i : i + batch_size],
                padding=True,
                truncation=True,
                max_length=256,
                return_tensors="pt",
            )
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)
