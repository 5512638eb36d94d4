"""The IL analysis's readers (dnfile, dncil: ~0.04-0.07 CPU-s to import) are not imported with the web
file stage: the stage imports come before a scan's first log worker starts, and most of what a scan reads
holds no assembly (issue 18, session 20). The stage imports them when a deep-read file is a DLL or EXE, and
the prepare thread beside the logs stage when the inventory holds one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_READERS = ("dnfile", "dncil", "extriage.detections.webfiles.assembly.analysis")


def _modules_after(code: str) -> list[str]:
    res = subprocess.run([sys.executable, "-c", code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"],
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    loaded: list[str] = json.loads(res.stdout.strip().splitlines()[-1])
    return loaded


def test_the_stage_imports_do_not_load_the_il_readers() -> None:
    loaded = _modules_after("from extriage.scan.pipeline import plan\nplan()")
    assert "extriage.scan.stages.webfiles" in loaded
    assert not [m for m in _READERS if m in loaded]  # fails before: imported with the stage


def test_a_scan_without_assemblies_never_loads_them(tmp_path: Path) -> None:
    site = tmp_path / "C" / "inetpub" / "wwwroot"
    site.mkdir(parents=True)
    (site / "default.aspx").write_text('<%@ Page Language="C#" %>\n<html><body>hello</body></html>\n')
    loaded = _modules_after(
        "from extriage.scan.context import ScanOptions\nfrom extriage.scan.pipeline import run_scan\n"
        f"r = run_scan({str(tmp_path)!r}, ScanOptions(jobs=1))\nassert r.files")
    assert not [m for m in _READERS if m in loaded]


def test_the_prepare_thread_imports_them_when_the_evidence_holds_an_assembly(tmp_path: Path) -> None:
    bin_dir = tmp_path / "C" / "inetpub" / "wwwroot" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "App.dll").write_bytes(b"MZ" + bytes(62))
    code = (
        "from extriage.evidence.locate import build_inventory\nfrom extriage.evidence.source import open_source\n"
        "from extriage.scan import prepare\nfrom extriage.scan.context import ScanOptions\n"
        f"spec = open_source({str(tmp_path)!r})\ninv = build_inventory(spec, lambda p, w: None)\n"
        "prepare._webfiles(ScanOptions(), spec.root, inv)")
    assert "dnfile" in _modules_after(code)
    (bin_dir / "App.dll").unlink()
    assert "dnfile" not in _modules_after(code)
