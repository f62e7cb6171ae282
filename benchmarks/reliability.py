"""The table of docs/reliability.md: every fault the reliability tests inject, how many times,
and what came of it (results lost, wrong verdicts, tracebacks: the goal is 0 for each).

Runs `pytest tests/reliability` with the tally on and prints the table in Markdown:

    .venv/bin/python benchmarks/reliability.py [-- extra pytest arguments]
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tally = Path(tmp) / "tally.json"
        env = {**os.environ, "SAFETYGAP_TALLY": str(tally)}
        cmd = [sys.executable, "-m", "pytest", "tests/reliability", "-q", "-p", "no:cacheprovider"]
        proc = subprocess.run([*cmd, *sys.argv[1:]], cwd=ROOT, env=env)
        rows = json.loads(tally.read_text()) if tally.is_file() else {}
    print(
        "\n| fault | injected | results lost | wrong verdicts | tracebacks | slowest error "
        "| files written | reproduce |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for fault, row in sorted(rows.items()):
        files: dict[str, list[str]] = {}
        for test in row["tests"]:
            file, name = test.split("::")
            files.setdefault(file, []).append(name)
        tests = "<br>".join(f"`pytest {f} -k '{' or '.join(n)}'`" for f, n in files.items())
        slowest = f"{row['seconds']:.2f} s" if "seconds" in row else "–"
        written = row.get("written", "–")
        print(
            f"| {fault} | {row['injected']} | {row['lost']} | {row['wrong']} "
            f"| {row['tracebacks']} | {slowest} | {written} | {tests} |"
        )
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
