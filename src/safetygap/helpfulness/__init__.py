"""Helpfulness: running and scoring model-written code."""
