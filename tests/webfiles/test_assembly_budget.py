"""The IL analysis's size bounds (issue 14/18, lead, session 20): a site's bin of framework or third-party
libraries made the web file stage read megabytes of metadata as Python objects (29 of mono's assemblies: 48 CPU-s
and 1.4 GB before the bounds). An assembly over ``MAX_IL_BYTES`` is not read as IL, assemblies are read smallest
first up to ``MAX_IL_TOTAL`` per scan, and the coverage names what YARA alone read. The bounds are patched
small here so compiled reproductions of a few KB cross them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from extriage.detections.webfiles.assembly import finding as il_finding

from .assembly_build import needs_mcs
from .test_assembly_stage import _il, _scan, dlls  # noqa: F401  (dlls: the compiled reproductions fixture)

pytestmark = needs_mcs


def _site(tmp_path: Path, built: dict[str, Path]) -> tuple[Path, int]:
    bin_ = tmp_path / "ev" / "C" / "inetpub" / "wwwroot" / "intranet" / "bin"
    bin_.mkdir(parents=True)
    shutil.copy(built["start_info"], bin_ / "Intranet.Tools.dll")
    padded = bin_ / "Intranet.Reports.dll"
    shutil.copy(built["asmx_method"], padded)
    with padded.open("ab") as fh:  # trailing bytes past the image: still the same assembly, only larger
        fh.write(b"\0" * 64 * 1024)
    return tmp_path / "ev", padded.stat().st_size


def test_an_assembly_over_the_size_cap_is_read_by_yara_only_and_named(
    tmp_path: Path, dlls: dict[str, Path], monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    ev, big = _site(tmp_path, dlls)
    assert set(_il(_scan(ev))) == {"Intranet.Tools.dll", "Intranet.Reports.dll"}
    monkeypatch.setattr(il_finding, "MAX_IL_BYTES", big - 1)
    result = _scan(ev)
    assert set(_il(result)) == {"Intranet.Tools.dll"}
    notes = " ".join(result.coverage.families["webfiles"].notes)
    assert "1 compiled .NET assembly read as IL" in notes
    assert "1 assembly where shells are compiled or dropped was not read as IL, only by YARA" in notes
    assert "Intranet.Reports.dll" in notes


def test_the_scan_budget_reads_the_smallest_assemblies_first(
    tmp_path: Path, dlls: dict[str, Path], monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    ev, big = _site(tmp_path, dlls)
    small = (ev / "C" / "inetpub" / "wwwroot" / "intranet" / "bin" / "Intranet.Tools.dll").stat().st_size
    assert small < big
    monkeypatch.setattr(il_finding, "MAX_IL_TOTAL", small + big - 1)  # room for one of the two: the smaller
    result = _scan(ev)
    assert set(_il(result)) == {"Intranet.Tools.dll"}
    assert "Intranet.Reports.dll" in " ".join(result.coverage.families["webfiles"].notes)


def test_each_finding_names_its_own_assembly(tmp_path: Path, dlls: dict[str, Path]) -> None:  # noqa: F811
    """The finding's title and file name are the DLL the flow is in, not another assembly of the selection (the
    stage once named whichever file its selection loop had seen last: a truncated library beside the shell)."""
    bin_ = tmp_path / "ev" / "C" / "inetpub" / "wwwroot" / "app" / "bin"
    bin_.mkdir(parents=True)
    shutil.copy(dlls["start_info"], bin_ / "App.Helper.dll")
    (bin_ / "Zz.Truncated.dll").write_bytes(dlls["fixed_log"].read_bytes()[:700])
    (bin_ / "Zz.Other.dll").write_bytes(dlls["fixed_log"].read_bytes())
    result = _scan(tmp_path / "ev")
    assert set(_il(result)) == {"App.Helper.dll"}
    finding = next(f for f in result.findings if any("App.Helper.dll" in p for p in f.indicators.paths))
    assert "App.Helper.dll" in finding.title and "Zz." not in finding.title
