"""Audit the paper's released safety dataset (../shared/reference/multitaskbench.csv).

Its rows are harmful task-format queries with the responses meant to be refusals. This counts
how many of those "refusals" the judges read as answers instead (the file is only read here,
never copied into the project):

    .venv/bin/python benchmarks/audit_reference.py
"""

import subprocess
import sys
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "multitaskbench.csv"


def main() -> None:
    if not REFERENCE.is_file():
        sys.exit(f"{REFERENCE} not found: this benchmark needs ../shared beside the repo")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "safetygap",
            "data",
            "audit",
            str(REFERENCE),
            "--judges",
            "classifier,keyword",
            "--show",
            "0",
            "--out",
            "runs/audit_reference.json",
        ],
        check=True,
    )


if __name__ == "__main__":
    main()
