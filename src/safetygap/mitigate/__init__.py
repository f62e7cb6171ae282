"""Post-hoc repairs of a finished LoRA fine-tune: the registry.

- `scale`: the update times lambda (an interpolation between before and after fine-tuning);
- `safelora`: Safe LoRA's projection of the least aligned modules onto the alignment direction;
- `resta`: RESTA's safety vector (aligned minus unaligned weights) added to the fine-tune.

A method module has `NEEDS_UNALIGNED`, `OUTPUT` (`adapter` or `model`), `PARAMS` (names and
defaults), `check(params)` and `apply(lora, ctx, params)` returning (adapter tensors or None,
report); adding one is one module and one registry line.
"""

from safetygap.registry import Registry

METHODS = Registry(
    "mitigation method",
    {
        "scale": "safetygap.mitigate.scale",
        "safelora": "safetygap.mitigate.safelora",
        "resta": "safetygap.mitigate.resta",
    },
)
