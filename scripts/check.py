"""The whole test suite in one command: ruff, mypy, pytest. Exits non-zero when any of them fails.

Run from the repository root with the project's virtual environment:
    .venv/bin/python scripts/check.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(name: str, argv: list[str]) -> int:
    print(f"== {name}: {' '.join(argv)}", flush=True)
    return subprocess.call(argv, cwd=ROOT)


def main() -> int:
    failed = []
    steps = [
        ("ruff", [str(BIN / "ruff"), "check", "src", "tests", "scripts", "bench"]),
        ("mypy", [str(BIN / "mypy")]),
        ("pytest", [str(BIN / "pytest"), *sys.argv[1:]]),
    ]
    for name, argv in steps:
        if run(name, argv) != 0:
            failed.append(name)
    if failed:
        print(f"FAILED: {', '.join(failed)}", flush=True)
        return 1
    print("all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
