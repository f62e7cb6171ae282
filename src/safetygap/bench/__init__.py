"""The bench: harmful seeds (and benign look-alikes) wrapped in every format."""
