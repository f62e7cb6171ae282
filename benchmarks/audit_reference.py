"""Audit the paper's released safety dataset (`multitaskbench.csv`, Query/Response columns).

Its rows are harmful format-wrapped queries with the responses meant to be refusals. This
counts how many of those "refusals" the judges read as answers instead. The file is the
authors' release: give its path; it is only read here, never copied into the project:

    .venv/bin/python benchmarks/audit_reference.py PATH/TO/multitaskbench.csv
"""

import argparse
import subprocess
import sys
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", type=Path, help="the paper's released multitaskbench.csv")
    reference = ap.parse_args().csv
    if not reference.is_file():
        sys.exit(f"{reference}: no such file")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "safetygap",
            "data",
            "audit",
            str(reference),
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
