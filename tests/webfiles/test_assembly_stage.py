"""The IL analysis in the web file stage (issue 14, IL1, session 20): compiled pages in Temporary ASP.NET Files,
DLLs in a site's ``bin`` and an ASP.NET Core site's own assemblies are read as IL, and request input reaching
an operation there is a web shell finding on the DLL; Exchange's DLLs the known-good baseline vouches for, a
Core site's framework packages and DLLs elsewhere are not read as IL, and the coverage says what was read,
skipped and why. The C# reproductions are compiled by mcs (never run)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from extriage.findings import Outcome, ScanResult
from extriage.generator.api import generate
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages import webfiles_il
from extriage.scan.stages.webfiles import STAGES

from .assembly_build import compile_cs, needs_mcs
from .test_assembly_il import SHELLS, TWINS
from .test_stage import write_baseline

pytestmark = needs_mcs

_TEMP = ("C", "Windows", "Microsoft.NET", "Framework64", "v4.0.30319", "Temporary ASP.NET Files", "root", "5f3a1c2b", "9e8d7c6a")
_CORE_CONFIG = (
    '<?xml version="1.0" encoding="utf-8"?><configuration><location path="." inheritInChildApplications="false">'
    '<system.webServer><handlers><add name="aspNetCore" path="*" verb="*" modules="AspNetCoreModuleV2" '
    'resourceType="Unspecified" /></handlers><aspNetCore processPath="dotnet" arguments=".\\Shop.Web.dll" '
    'stdoutLogEnabled="false" hostingModel="inprocess" /></system.webServer></location></configuration>'
)


def _scan(path: Path, **opts: object) -> ScanResult:
    return run_scan(str(path), ScanOptions(jobs=1, **opts), stages=list(STAGES))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def dlls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("ildlls")
    wanted = {"start_info", "asmx_method", "core_action", "fixed_log", "core_action_fixed"}
    return {n: compile_cs(tmp, n, src, core=core) for n, src, core, *_ in SHELLS + TWINS if n in wanted}  # type: ignore[operator]


def _il(result: ScanResult) -> dict[str, list[str]]:
    """File name -> the IL rule ids of its finding."""
    out: dict[str, list[str]] = {}
    for f in result.findings:
        for e in f.evidence:
            reason = str(e.fields.get("reason", ""))
            if reason.startswith("WF-IL-"):
                out.setdefault(e.source.replace("\\", "/").rsplit("/", 1)[-1], []).append(reason)
    return out


def test_compiled_pages_bin_folders_and_core_sites_are_read_as_il(tmp_path: Path, dlls: dict[str, Path]) -> None:
    ev = tmp_path / "ev"
    temp = ev.joinpath(*_TEMP)
    temp.mkdir(parents=True)
    shutil.copy(dlls["start_info"], temp / "App_Web_k2j4h1xq.dll")
    shutil.copy(dlls["fixed_log"], temp / "App_Web_quiet01.dll")
    shutil.copy(dlls["start_info"], temp / "Shadow.Copy.dll")  # not a compiled page's name: not read as IL
    site = ev / "C" / "inetpub" / "wwwroot" / "intranet"
    (site / "bin").mkdir(parents=True)
    shutil.copy(dlls["asmx_method"], site / "bin" / "Intranet.Services.dll")
    (site / "img").mkdir()
    shutil.copy(dlls["asmx_method"], site / "img" / "logo.dll")  # not a bin folder
    shop = ev / "C" / "inetpub" / "wwwroot" / "shop"
    shop.mkdir(parents=True)
    (shop / "web.config").write_text(_CORE_CONFIG)
    shutil.copy(dlls["core_action"], shop / "Shop.Web.dll")
    shutil.copy(dlls["core_action_fixed"], shop / "Shop.Status.dll")
    shutil.copy(dlls["core_action"], shop / "Microsoft.Extensions.Ops.dll")  # a package's name: not read as IL
    (shop / "Microsoft.AspNetCore.Stub.dll").write_bytes((dlls["core_action"].parent / "Microsoft.AspNetCore.Stub.dll").read_bytes())
    result = _scan(ev)
    found = _il(result)
    assert set(found) == {"App_Web_k2j4h1xq.dll", "Intranet.Services.dll", "Shop.Web.dll"}, found
    assert found["App_Web_k2j4h1xq.dll"] == ["WF-IL-PROCESS"]
    finding = next(f for f in result.findings if any("App_Web_k2j4h1xq" in p for p in f.indicators.paths))
    assert finding.outcome == Outcome.WEBSHELL and finding.severity.label() == "high"
    evidence = next(e for e in finding.evidence if e.fields.get("reason") == "WF-IL-PROCESS")
    assert evidence.fields["source"] == "System.Web.HttpRequest::get_Form"
    assert evidence.fields["sink"] == "System.Diagnostics.Process::Start" and evidence.fields["sink_offset"].startswith("IL_")
    assert evidence.fields["method"] == "Handler::ProcessRequest" and "get_Form" in evidence.raw
    notes = " ".join(result.coverage.families["webfiles"].notes)
    assert "5 compiled .NET assemblies read as IL" in notes and "3 flows found" in notes
    assert "2 framework or package assemblies of ASP.NET Core sites" in notes
    assert "Core site's code runs from its compiled assemblies, which YARA and the IL analysis read" in notes


def test_exchange_dlls_the_baseline_vouches_for_are_not_read(tmp_path: Path, dlls: dict[str, Path]) -> None:
    """An Exchange web folder's bin file: read as IL only when no baseline vouches for it (and the baseline covers
    the build); a vouched-for one is counted as not read. Without a covering baseline none is read."""
    ev = tmp_path / "ev"
    generate(ev, scenario="clean", size="1MB", layout="kape", seed=9, events=False)
    root = ev / "C" / "Program Files" / "Microsoft" / "Exchange Server" / "V15"
    owa_bin = root / "ClientAccess" / "Owa" / "bin"
    owa_bin.mkdir(parents=True, exist_ok=True)
    shutil.copy(dlls["fixed_log"], owa_bin / "Microsoft.Exchange.Clients.Owa2.Server.dll")
    base_csv = write_baseline(root, tmp_path / "baseline.csv")
    shutil.copy(dlls["start_info"], owa_bin / "Microsoft.Exchange.Owa.Helper.dll")  # in no baseline
    result = _scan(ev, extra={"webfiles_baseline": [str(base_csv)]})
    assert result.extras["webfiles"]["baseline"]["covers_this_build"]
    assert set(_il(result)) == {"Microsoft.Exchange.Owa.Helper.dll"}
    notes = " ".join(result.coverage.families["webfiles"].notes)
    assert "1 compiled .NET assembly read as IL" in notes and "vouched for by the known-good baseline" in notes
    plain = _scan(ev)
    assert not _il(plain)
    assert "the baseline does not cover this build" in " ".join(plain.coverage.families["webfiles"].notes)


#: A native PE file's headers: MZ, e_lfanew 0x40, PE, a 32-bit optional header whose data directories are empty.
NATIVE = b"MZ" + b"\0" * 58 + b"\x40\0\0\0" + b"PE\0\0" + b"\x4c\x01" + b"\0" * 18 + b"\x0b\x01" + b"\0" * 400


def test_a_native_dll_in_bin_is_named_as_read_by_yara_only(tmp_path: Path) -> None:
    site = tmp_path / "ev" / "C" / "inetpub" / "wwwroot" / "app" / "bin"
    site.mkdir(parents=True)
    (site / "sqlite3.dll").write_bytes(NATIVE)
    result = _scan(tmp_path / "ev")
    notes = " ".join(result.coverage.families["webfiles"].notes)
    assert "0 compiled .NET assemblies read as IL" in notes and "1 DLL with no .NET metadata" in notes
    assert "unreadable" not in notes
    assert not _il(result)


def test_a_cut_assembly_or_an_mz_file_is_unreadable_not_native_nor_screened(tmp_path: Path, dlls: dict[str, Path]) -> None:
    """A truncated copy whose metadata is cut could name a request type in its missing part, and an MZ file with no
    PE header behind it is no native code: both are named as unreadable as .NET metadata (YARA read them)."""
    site = tmp_path / "ev" / "C" / "inetpub" / "wwwroot" / "app" / "bin"
    site.mkdir(parents=True)
    whole = dlls["start_info"].read_bytes()
    (site / "Cut.dll").write_bytes(whole[: whole.index(b"BSJB") + 64])
    (site / "Garbage.dll").write_bytes(b"MZ" + b"\x90" * 600)
    (site / "sqlite3.dll").write_bytes(NATIVE)
    result = _scan(tmp_path / "ev")
    notes = " ".join(result.coverage.families["webfiles"].notes)
    assert "0 compiled .NET assemblies read as IL" in notes and "1 DLL with no .NET metadata (native code)" in notes
    assert "2 files unreadable as .NET metadata (read by YARA only): " in notes
    said = notes.split("unreadable as .NET metadata (read by YARA only): ", 1)[1]
    assert "Cut.dll" in said and "Garbage.dll" in said and "sqlite3" not in said.split(".", 1)[0]
    assert "name no request type" not in notes and "names no request type" not in notes
    assert not _il(result)


def test_one_process_or_several_give_the_same_findings(
    tmp_path: Path, dlls: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The IL analysis runs in worker processes beside the main one when there is enough of it; the findings
    and the coverage come in the selection's order whichever process analysed which DLL."""
    site = tmp_path / "ev" / "C" / "inetpub" / "wwwroot" / "intranet" / "bin"
    site.mkdir(parents=True)
    for name in ("start_info", "asmx_method", "fixed_log", "core_action", "core_action_fixed"):
        shutil.copy(dlls[name], site / f"{name}.dll")
    shutil.copy(dlls["core_action"].parent / "Microsoft.AspNetCore.Stub.dll", site / "Microsoft.AspNetCore.Stub.dll")
    started: list[int] = []
    real = webfiles_il.worker_context

    def counted() -> object:
        started.append(1)
        return real()

    def scan(jobs: int) -> ScanResult:
        return run_scan(str(tmp_path / "ev"), ScanOptions(jobs=jobs), stages=list(STAGES))

    one = scan(1)
    monkeypatch.setattr(webfiles_il, "PARALLEL_MIN_IL", 0)
    monkeypatch.setattr(webfiles_il, "MAIN_ANALYSES", False)  # every DLL to the workers
    monkeypatch.setattr(webfiles_il, "worker_context", counted)
    two = scan(2)
    assert started, "no worker pool for the IL analysis"
    assert _il(one) == _il(two) and set(_il(one)) == {"start_info.dll", "asmx_method.dll", "core_action.dll"}
    il_notes = [n for n in one.coverage.families["webfiles"].notes if "read as IL" in n]
    assert il_notes == [n for n in two.coverage.families["webfiles"].notes if "read as IL" in n]
    assert [(e.fields, e.raw) for f in one.findings for e in f.evidence if str(e.fields.get("reason", "")).startswith("WF-IL-")] == [
        (e.fields, e.raw) for f in two.findings for e in f.evidence if str(e.fields.get("reason", "")).startswith("WF-IL-")
    ]
