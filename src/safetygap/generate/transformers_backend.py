"""Local generation with transformers: continuously batched over a static KV cache
(`slots`), with oneDNN's matmul on the CPU (`models.onednn`); `generate` for models whose
cache has other kinds of layers."""

from collections.abc import Iterator

from safetygap.generate import slots
from safetygap.generate.base import BATCH_SIZE, Completion, Request, Sampling, messages
from safetygap.models.onednn import use_onednn
from safetygap.models.registry import ModelSpec


class TransformersBackend:
    OPTIONS = ("batch_size",)

    def __init__(self, spec: ModelSpec, adapter: str | None = None, batch_size: int = BATCH_SIZE):
        from safetygap.models.load import load_causal_lm

        self.model = spec.raw
        self.adapter = adapter
        self.batch_size = max(1, batch_size)
        self._attach(*load_causal_lm(spec, adapter))
        use_onednn(self.lm)  # not for `in_memory`: a model being trained needs its backward

    @classmethod
    def in_memory(cls, lm, tok, batch_size: int = 16) -> "TransformersBackend":
        """A backend over a model already loaded (a model being trained, say), on its device;
        the caller puts it in eval mode."""
        backend = cls.__new__(cls)
        backend.model, backend.adapter = "in-memory", None
        backend.batch_size = max(1, batch_size)
        backend._attach(lm, tok, next(lm.parameters()).device)
        return backend

    def _attach(self, lm, tok, device) -> None:
        self.lm, self.tok, self.device = lm, tok, device
        eos = self.lm.generation_config.eos_token_id
        self.eos_ids = set(
            eos if isinstance(eos, list) else [eos if eos is not None else self.tok.eos_token_id]
        )
        pad = self.tok.pad_token_id
        self.pad_id = pad if pad is not None else min(self.eos_ids)
        self.continuous = slots.supported(lm)

    def encode(self, prompt: str, system_prompt: str | None, raw: bool = False) -> list[int]:
        """Token ids of the chat-templated prompt, ending with the assistant turn's header; of
        the text as it is (with the tokenizer's own special tokens, such as BOS) when `raw`."""
        if raw:
            return list(self.tok(prompt)["input_ids"])
        enc = self.tok.apply_chat_template(
            messages(prompt, system_prompt),
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
        )
        return list(enc["input_ids"])

    def generate(self, requests: list[Request], sampling: Sampling) -> Iterator[Completion]:
        encoded = [(r, self.encode(r.prompt, sampling.system_prompt, r.raw)) for r in requests]
        if self.continuous:
            for req, new, stopped in slots.generate(
                self.lm,
                encoded,
                sampling.max_new_tokens,
                self.batch_size,
                self.eos_ids,
                self.pad_id,
                sampling.temperature,
            ):
                yield self._completion(req, new, stopped)
            return
        # Longest first: similar lengths share a batch (little padding), and memory peaks early.
        encoded.sort(key=lambda x: -len(x[1]))
        for i in range(0, len(encoded), self.batch_size):
            yield from self._batch(encoded[i : i + self.batch_size], sampling)

    def _batch(self, batch: list[tuple[Request, list[int]]], sampling: Sampling):

        input_ids, mask = slots.left_padded([ids for _, ids in batch], self.pad_id)
        width, pad = input_ids.shape[1], self.pad_id
        kwargs = dict(do_sample=False)
        if sampling.temperature > 0:
            kwargs = dict(do_sample=True, temperature=sampling.temperature, top_p=1.0, top_k=0)
        out = self.lm.generate(
            input_ids=input_ids.to(self.device),
            attention_mask=mask.to(self.device),
            max_new_tokens=sampling.max_new_tokens,
            pad_token_id=pad,
            eos_token_id=sorted(self.eos_ids),
            cache_implementation="static",  # preallocated KV: no per-step concatenation
            use_cache=True,  # a model being trained may have it off in its config
            **kwargs,
        )
        for (req, _), row in zip(batch, out[:, width:].tolist(), strict=True):
            stop = next((k for k, t in enumerate(row) if t in self.eos_ids), None)
            yield self._completion(req, row if stop is None else row[:stop], stop is not None)

    def _completion(self, req: Request, new: list[int], stopped: bool) -> Completion:
        return Completion(
            id=req.id,
            response=self.tok.decode(new, skip_special_tokens=True).strip(),
            n_new_tokens=len(new) + stopped,
            finish_reason="stop" if stopped else "length",
        )
