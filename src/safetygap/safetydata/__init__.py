"""Safety datasets for mitigation: refusals in every format, built from train seeds only."""
