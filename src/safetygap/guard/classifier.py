"""The classifier guard: a prompt-harm classifier on MiniLM sentence embeddings.

Built the way vendor input filters are: a logistic head (L2, class-balanced) on the embedding of
the request, trained on harmful requests against benign look-alikes (requests that share a
harmful-sounding topic but are fine to answer). Two heads ship, both trained on train-split
seeds only (`safetygap guard train`, recipe in `guard/train.py`, rebuilds them):

- `plain` (the default, `classifier`; `guard train --formats plain`): plain-format requests
  only, as guards usually are;
- `all-formats` (`classifier:all-formats`; `guard train --formats all-formats`): the same
  recipe on every format (the paper's cure, safety data in every format, applied to the guard
  itself). `multitask`, its old name, still names it.

It reads the prompt only (input mode). A head is a JSON file of 384 weights, a bias and its
provenance; `classifier:PATH` takes any head of that shape.
"""

import json
from pathlib import Path

import numpy as np

from safetygap.errors import UserError
from safetygap.guard.base import GuardVerdict
from safetygap.jsonl import parse_line

HEADS = Path(__file__).parent / "heads"
DEFAULT_HEAD = "plain"
OLD_HEADS = {"multitask": "all-formats"}  # shipped heads' names before the rename
N_FEATURES = 384


def features(prompts: list[str]) -> np.ndarray:
    from safetygap.models.embed import embed

    return embed([p or "(empty)" for p in prompts]).astype(np.float64)


def train_head(items: list[dict], l2: float = 1.0, provenance: dict | None = None) -> dict:
    """A head (JSON-ready) from bench items (`prompt`, `harmful`), harmful against benign."""
    from safetygap.judge.classifier import fit_logistic

    if len(items) < 10:
        raise UserError(f"guard training data has {len(items)} items; need at least 10")
    x = features([it["prompt"] for it in items])
    y = np.array([bool(it.get("harmful", True)) for it in items], dtype=np.float64)
    w, b = fit_logistic(x, y, l2)
    return {
        "kind": "safetygap-guard-classifier",
        "features": "minilm-l6 prompt embedding (384)",
        "l2": l2,
        "n_train": len(items),
        "n_harmful": int(y.sum()),
        "train_accuracy": round(float((((x @ w + b) > 0) == (y == 1)).mean()), 4),
        "provenance": provenance or {},
        "bias": b,
        "weights": [round(float(v), 6) for v in w],
    }


def canonical_head(head):
    """A shipped head's name as it is spelt now (`multitask` -> `all-formats`); else `head`."""
    return OLD_HEADS.get(head, head) if isinstance(head, str) else head


def save_head(head: dict, out_dir: str | Path) -> Path:
    """Write `head` to OUT_DIR/head.json (as `classifier:OUT_DIR` reads it)."""
    from safetygap.jsonl import atomic_write

    path = Path(out_dir) / "head.json"
    with atomic_write(path) as f:
        json.dump(head, f, indent=0)
    return path


def head_path(head: str | Path | None) -> Path:
    """The file a `classifier[:HEAD]` spec means: a shipped head's name, a file or a folder's
    head.json; the default head when none is named."""
    if not head:
        return HEADS / f"{DEFAULT_HEAD}.json"
    head = canonical_head(head)
    if (HEADS / f"{head}.json").is_file():
        return HEADS / f"{head}.json"
    path = Path(head)
    return path / "head.json" if path.is_dir() else path


class ClassifierGuard:
    modes = ("input",)
    needs_model = False

    @classmethod
    def from_spec(cls, arg: str, **_) -> "ClassifierGuard":
        return cls(arg or None)

    def __init__(self, head: str | None = None, threshold: float = 0.5):
        head = canonical_head(head)
        path = head_path(head)
        try:
            data = parse_line(path.read_text())
            self.w, self.b = np.array(data["weights"], dtype=np.float64), float(data["bias"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise UserError(f"{path}: not a guard classifier head ({type(e).__name__})") from None
        if self.w.shape != (N_FEATURES,):
            raise UserError(f"{path}: a guard head needs {N_FEATURES} weights, not {self.w.size}")
        if not (np.isfinite(self.w).all() and np.isfinite(self.b)):
            raise UserError(f"{path}: a guard head's weights and bias must be finite numbers")
        self.name = "classifier" if head is None else f"classifier:{head}"
        self.threshold = threshold

    def check(self, items, mode):
        for start in range(0, len(items), 256):
            chunk = items[start : start + 256]
            probs = 1 / (1 + np.exp(-(features([it["prompt"] for it in chunk]) @ self.w + self.b)))
            for it, p in zip(chunk, probs, strict=True):
                verdict = "flagged" if p >= self.threshold else "passed"
                yield it["id"], GuardVerdict(verdict, round(float(p), 4))
