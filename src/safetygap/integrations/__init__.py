"""Bridges to other tools: inspect_ai (`inspect.py`) and TRL trainers (`trl.py`)."""
