"""Continuous batching for local generation: a batch of rows over one preallocated KV cache,
where a finished answer leaves the batch and a waiting prompt takes its place.

transformers' `generate` runs a batch until its longest answer ends, so every finished row keeps
costing a full row of compute, and a batch's prompts are padded to its longest. Here:

- prompts are prefilled in chunks of similar length (longest first), so padding stays small, and
  only the last position's logits are computed;
- rows decode together over a static cache (`StaticCache`, written in place: no per-step copy),
  every row ending at the same slot (left-padded), attending through its own mask, with its own
  position ids, and each step attends only over the slots written so far;
- a batch holds at most `batch_size` rows, fewer when their cache would take more than
  `MEMORY_SHARE` of the memory free on the model's device;
- when a quarter of the rows have finished, the batch is rebuilt: the finished rows leave, the
  next prompts (prefilled) join, and the live rows' caches are copied over, trimmed to the
  longest live row. Between rebuilds a finished row costs compute but no copying.

Greedy answers are the same tokens as `generate`'s up to float rounding: matmuls of another
batch shape can round differently in the last bit, which can flip a near-tie between two tokens
(docs/results/generation.md counts how often on the benchmark prompts). Models whose cache is not
one plain full-attention layer per layer (sliding windows, hybrids) use `generate`.
"""

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from safetygap.models.load import free_memory as _free_memory

PREFILL_TOKENS = 4096  # padded positions per prefill forward: bounds activation memory
PREFILL_PAD = 0.9  # a prefill chunk takes prompts down to this share of its longest
REBUILD_SHARE = 4  # rebuild the batch when 1/REBUILD_SHARE of its rows have finished
MEMORY_SHARE = 0.4  # of the device's free memory, at most, for one batch's cache


def supported(lm) -> bool:
    """Whether the model can decode over our slot cache: a full-attention static cache layer
    for every layer."""
    return _layers(lm) > 0


def _layers(lm) -> int:
    """How many plain static cache layers the model's cache has (0: it has others too)."""
    try:
        from transformers import StaticCache
        from transformers.cache_utils import StaticLayer

        cache = StaticCache(config=lm.config, max_cache_len=1)
    except Exception:  # an architecture without a static cache
        return 0
    plain = all(type(layer) is StaticLayer for layer in cache.layers)
    return len(cache.layers) if plain else 0


def _slot_cache(n_layers: int, length: int):
    """A static cache whose layers hand attention only the slots written so far, so a step
    does not attend over the empty tail that is left for the answers."""
    from transformers.cache_utils import Cache, StaticLayer

    class Written(StaticLayer):
        upto = 0  # slots written once this step's are: set by the caller, so no device sync

        def lazy_initialization(self, key_states, value_states) -> None:
            """StaticLayer's, less the zero fill (most of a rebuild's time on the CPU): every
            slot attention reads is written first, left padding by the caller."""
            self.device = key_states.device
            self.batch_size, self.num_heads = key_states.shape[:2]
            self.k_head_dim, self.v_head_dim = key_states.shape[-1], value_states.shape[-1]
            shape = (self.batch_size, self.num_heads, self.max_cache_len)
            self.keys = key_states.new_empty((*shape, self.k_head_dim))
            self.values = value_states.new_empty((*shape, self.v_head_dim))
            self.cumulative_length = self.cumulative_length.to(self.device)
            self.is_initialized = True

        def update(self, key_states, value_states, *args, **kwargs):
            keys, values = super().update(key_states, value_states, *args, **kwargs)
            return keys[:, :, : self.upto], values[:, :, : self.upto]

    return Cache(layers=[Written(max_cache_len=length) for _ in range(n_layers)])


@dataclass
class _Row:
    key: object  # the caller's handle for this prompt
    length: int  # tokens in the cache for this row (prompt + fed-back answer tokens)
    tokens: list[int] = field(default_factory=list)  # answer tokens so far
    done: bool = False


def generate(
    lm,
    prompts: list[tuple[object, list[int]]],
    max_new_tokens: int,
    batch_size: int,
    eos_ids: set[int],
    pad_id: int,
    temperature: float = 0.0,
) -> Iterator[tuple[object, list[int], bool]]:
    """Yield (key, answer token ids, stopped at an end-of-turn token) for each prompt, as each
    answer finishes. `prompts` are (key, token ids) pairs; greedy when `temperature` is 0."""
    import torch

    batch = _Batch(lm, max_new_tokens, batch_size, eos_ids, pad_id, temperature)
    queue = deque(sorted(prompts, key=lambda p: -len(p[1])))
    while queue or batch.rows:
        with torch.inference_mode():  # entered per step: the caller's code runs outside it
            finished = batch.step(queue)
        yield from finished


class _Batch:
    """The rows decoding together, their cache and their attention mask."""

    def __init__(self, lm, max_new_tokens, batch_size, eos_ids, pad_id, temperature):
        import torch

        self.lm, self.max_new, self.size = lm, max_new_tokens, batch_size
        self.eos_ids, self.pad_id, self.temperature = eos_ids, pad_id, temperature
        self.device = next(lm.parameters()).device
        dtype = getattr(lm, "dtype", None)  # a 4-bit model's compute dtype, not its storage
        self.dtype = dtype if dtype is not None and dtype.is_floating_point else torch.float32
        self.n_layers = _layers(lm)
        self.rows: list[_Row] = []
        self.cache = self.valid = None
        self.at = 0  # the cache slot the next step writes, the same for every row
        self.kv_bytes = None  # cache bytes per token, measured on the first step

    def _room(self, live: list[_Row], queue: deque) -> int:
        """How many waiting prompts join: up to `batch_size` rows, within the memory share."""
        room = min(len(queue), self.size - len(live))
        if self.kv_bytes is None:
            self.kv_bytes = _kv_bytes(self.lm, self.pad_id, self.device)
        free = _free_memory(self.device)
        if not room or free is None:
            return room
        width = max([r.length for r in live] + [len(queue[0][1])]) + self.max_new
        fits = int(MEMORY_SHARE * free // (width * self.kv_bytes))
        return max(0 if live else 1, min(room, fits - len(live)))

    def step(self, queue: deque) -> list[tuple[object, list[int], bool]]:
        """Rebuild the batch when it is due, then decode one token for every row; return the
        answers that finished."""
        import torch

        dead = sum(r.done for r in self.rows)
        finished = []
        if not self.rows or dead * REBUILD_SHARE >= len(self.rows):
            live = [r for r in self.rows if not r.done]
            new = [queue.popleft() for _ in range(self._room(live, queue))]
            finished = self._rebuild(new)
            if not self.rows:
                return finished
        at = self.at  # the slot this step writes
        self.at += 1
        for layer in self.cache.layers:
            layer.upto = self.at
        self.valid[:, at] = True
        # the rows' masks as one additive mask, made once a step for all layers
        seen = self.valid[:, None, None, : at + 1]
        mask = torch.zeros(seen.shape, dtype=self.dtype, device=self.device)
        mask.masked_fill_(~seen, torch.finfo(self.dtype).min)
        logits = self.lm(
            input_ids=torch.tensor([[r.tokens[-1]] for r in self.rows], device=self.device),
            attention_mask=mask,
            position_ids=torch.tensor([[r.length] for r in self.rows], device=self.device),
            cache=self.cache,
            use_cache=True,
        ).logits[:, -1]
        for row, tok in zip(self.rows, _pick(logits, self.temperature), strict=True):
            if not row.done:
                row.length += 1
                row.tokens.append(tok)
                finished += self._check(row)
        return finished

    def _check(self, row: _Row) -> list[tuple[object, list[int], bool]]:
        """The row's answer, once it has ended or reached the token budget."""
        if row.tokens[-1] in self.eos_ids:
            row.done = True
            return [(row.key, row.tokens[:-1], True)]
        if len(row.tokens) >= self.max_new:
            row.done = True
            return [(row.key, row.tokens, False)]
        return []

    def _rebuild(self, new) -> list[tuple[object, list[int], bool]]:
        """A new cache holding the live rows (trimmed to the longest) and the new prompts,
        prefilled; return the new prompts whose answer ended at its first token."""
        import torch

        live = [(k, r) for k, r in enumerate(self.rows) if not r.done]
        fresh, finished = [], []
        for row, kv in _prefill(self.lm, new, self.pad_id, self.temperature, self.device):
            done = self._check(row)
            finished += done
            if not done:
                fresh.append((row, kv))
        rows = [r for _, r in live] + [r for r, _ in fresh]
        if not rows:
            self.rows, self.cache, self.valid = [], None, None
            return finished
        width = max(r.length for r in rows)  # every row ends at this slot
        end = width + self.max_new
        cache = _slot_cache(self.n_layers, end)
        at = self.at if live else 0
        for n, layer in enumerate(cache.layers):
            old = self.cache.layers[n] if live else None
            kv = [
                (old.keys[k, :, at - r.length : at], old.values[k, :, at - r.length : at])
                for k, r in live
            ]
            kv += [pair[n] for _, pair in fresh]
            k0, v0 = kv[0]
            layer.lazy_initialization(
                k0.new_zeros((len(rows), k0.shape[0], 1, k0.shape[-1])),
                v0.new_zeros((len(rows), v0.shape[0], 1, v0.shape[-1])),
            )
            layer.cumulative_length.fill_(width)
            for b, (row, (k, v)) in enumerate(zip(rows, kv, strict=True)):
                pad = width - row.length
                layer.keys[b, :, :pad] = 0  # masked, but read: no stray NaN may sit there
                layer.values[b, :, :pad] = 0
                layer.keys[b, :, pad:width] = k
                layer.values[b, :, pad:width] = v
        self.valid = torch.zeros((len(rows), end), dtype=torch.bool, device=self.device)
        for b, row in enumerate(rows):
            self.valid[b, width - row.length : width] = True
        self.rows, self.cache, self.at = rows, cache, width
        return finished


def left_padded(seqs: list[list[int]], pad_id: int, device=None):
    """(input ids, attention mask) of token sequences padded on the left to the longest."""
    import torch

    width = max(len(t) for t in seqs)
    ids = torch.tensor([[pad_id] * (width - len(t)) + t for t in seqs], device=device)
    mask = torch.tensor([[0] * (width - len(t)) + [1] * len(t) for t in seqs], device=device)
    return ids, mask


def _kv_bytes(lm, pad_id: int, device) -> int:
    """Bytes of cache one token takes in this model, over all its layers."""
    import torch
    from transformers import DynamicCache

    cache = DynamicCache(config=lm.config)
    lm(
        input_ids=torch.tensor([[pad_id]], device=device),
        cache=cache,
        use_cache=True,
        logits_to_keep=1,
    )
    return sum(
        t.numel() * t.element_size() for layer in cache.layers for t in (layer.keys, layer.values)
    )


def _pick(logits, temperature: float) -> list[int]:
    """The next token of each row: the most likely, or a draw at `temperature`."""
    import torch

    if temperature > 0:
        probs = torch.softmax(logits.float() / temperature, dim=-1)
        return torch.multinomial(probs, 1)[:, 0].tolist()
    return logits.argmax(-1).tolist()


def _prefill(lm, new, pad_id: int, temperature: float, device):
    """Prefill the new prompts in chunks of similar length; return, per prompt, its row (with
    its first answer token) and its per-layer (keys, values), each [heads, length, dim]."""
    from transformers import DynamicCache

    out, i = [], 0
    while i < len(new):
        width = len(new[i][1])  # longest first: the chunk's first prompt is its widest
        n = 1
        while (
            i + n < len(new)
            and (n + 1) * width <= PREFILL_TOKENS
            and len(new[i + n][1]) >= PREFILL_PAD * width
        ):
            n += 1
        chunk = new[i : i + n]
        i += n
        ids, mask = left_padded([t for _, t in chunk], pad_id, device)
        position = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
        cache = DynamicCache(config=lm.config)
        logits = lm(
            input_ids=ids,
            attention_mask=mask,
            position_ids=position,
            cache=cache,
            use_cache=True,
            logits_to_keep=1,
        ).logits[:, -1]
        for j, ((key, t), first) in enumerate(zip(chunk, _pick(logits, temperature), strict=True)):
            kv = [
                (layer.keys[j, :, width - len(t) :], layer.values[j, :, width - len(t) :])
                for layer in cache.layers
            ]
            out.append((_Row(key, len(t), [first]), kv))
    return out
