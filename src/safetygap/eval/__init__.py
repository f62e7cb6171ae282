"""Evaluation: generate, judge and score a model on a bench; compare two runs."""
