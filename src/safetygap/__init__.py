"""safetygap: find and close the format-wise safety gaps that fine-tuning opens in chat LLMs.

The Python API (`safetygap.api`, docs/api.md) is importable from here: `from safetygap import
build_bench, evaluate, compare, check`. It is imported on first use, so `import safetygap`
stays cheap."""

__version__ = "0.1.0"

_API = (
    "Bench",
    "CheckResult",
    "CompareRow",
    "Comparison",
    "CrossFormat",
    "EvalResult",
    "GateRow",
    "GuardResult",
    "HelpfulnessResult",
    "Latency",
    "Metric",
    "Paired",
    "Rate",
    "Rates",
    "SeedRate",
    "Unparsed",
    "UserError",
    "build_bench",
    "check",
    "compare",
    "evaluate",
    "evaluate_guard",
    "evaluate_helpfulness",
    "export_bench",
    "load_judge",
)
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from safetygap import api

        return getattr(api, name)
    raise AttributeError(f"module 'safetygap' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
