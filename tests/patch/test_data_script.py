"""The committed build table is exactly what scripts/build_patch_data.py makes from the shipped MIT/CC0 data (tests/data)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "src/extriage/detections/builds/data/exchange_builds.json"


def test_generated_table_is_up_to_date(test_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "exchange_builds.json"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts/build_patch_data.py"),
            "--shared",
            str(test_data),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    assert out.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")
