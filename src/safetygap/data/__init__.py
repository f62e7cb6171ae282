"""Safety datasets for mitigation: refusals in every task format, built from train seeds only."""
