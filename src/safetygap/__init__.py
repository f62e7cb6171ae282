"""safetygap: find and close the format-wise safety gaps that fine-tuning opens in chat LLMs."""

__version__ = "0.1.0"
