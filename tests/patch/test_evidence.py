"""Build from the evidence: real PE (mingw windres) and real hive (hivex) fixtures in server trees."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from extriage.detections.builds.evidence import collect_build_evidence
from extriage.evidence.locate import build_inventory
from extriage.evidence.source import open_source
from extriage.formats.pe_version import PeVersionError, read_pe_version
from extriage.formats.registry_hive import HiveError, read_exchange_registry

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXSETUP_9 = FIXTURES / "exsetup-15.1.2176.9.exe"
EXSETUP_2 = FIXTURES / "exsetup-15.1.2176.2.exe"
HIVE = FIXTURES / "SOFTWARE-cu19-kb5000871"
V15 = "C/Program Files/Microsoft/Exchange Server/V15"
HEADER = (
    "DateTime,RequestId,MajorVersion\r\n#Software: Microsoft Exchange Server\r\n#Version: {v}\r\n"
    "#Log-type: HttpProxy Logs\r\n#Date: 2021-03-04T00:00:00.000Z\r\n#Fields: DateTime,RequestId\r\n"
    "2021-03-04T00:00:01.000Z,1\r\n"
)


def make_tree(
    root: Path, exsetup: Path | None = EXSETUP_9, hive: Path | None = HIVE, proxy: str | None = None
) -> Path:
    if exsetup is not None:
        (root / V15 / "Bin").mkdir(parents=True)
        shutil.copy(exsetup, root / V15 / "Bin" / "ExSetup.exe")
    if hive is not None:
        (root / "C/Windows/System32/config").mkdir(parents=True)
        shutil.copy(hive, root / "C/Windows/System32/config/SOFTWARE")
    if proxy is not None:
        (root / V15 / "Logging/HttpProxy/Owa").mkdir(parents=True)
        (root / V15 / "Logging/HttpProxy/Owa/HttpProxy_2021030400-1.LOG").write_text(HEADER.format(v=proxy))
    return root


def collect(root: Path):  # type: ignore[no-untyped-def]
    skipped: list[tuple[str, str]] = []
    inv = build_inventory(open_source(str(root)), lambda p, r: skipped.append((p, r)))
    return collect_build_evidence(inv)


def test_pe_fixture_version_resource() -> None:
    info = read_pe_version(EXSETUP_9.read_bytes(), "ExSetup.exe")
    assert info.file_version == "15.1.2176.9"
    assert info.strings["FileVersion"] == "15.01.2176.009"


@pytest.mark.parametrize(
    "data",
    [b"", b"MZ", b"MZ" + b"\0" * 200, EXSETUP_9.read_bytes()[:300], b"not a pe at all", HIVE.read_bytes()],
)
def test_corrupt_pe_one_line(data: bytes) -> None:
    with pytest.raises(PeVersionError) as info:
        read_pe_version(data, "bad.exe")
    assert "bad.exe" in str(info.value) and "\n" not in str(info.value)


def test_hive_fixture() -> None:
    reg = read_exchange_registry(HIVE.read_bytes(), "SOFTWARE")
    assert reg.setup[0].cu_build() == (15, 1, 2176, 2)
    assert str(reg.setup[0].values["MsiInstallPath"]).endswith("V15\\")
    assert [u.kb for u in reg.updates] == ["KB5000871"]
    assert reg.updates[0].installed == "3/3/2021"
    assert {u.kb for u in reg.uninstall} == {"KB5000871", ""}


@pytest.mark.parametrize(
    "data", [b"", b"regf", HIVE.read_bytes()[:4096], HIVE.read_bytes()[:5000], EXSETUP_9.read_bytes()]
)
def test_corrupt_hive_one_line(data: bytes) -> None:
    with pytest.raises(HiveError) as info:
        read_exchange_registry(data, "SOFTWARE")
    assert "SOFTWARE" in str(info.value) and "\n" not in str(info.value)


def test_server_tree_consistent(tmp_path: Path) -> None:
    ev = collect(make_tree(tmp_path, proxy="15.01.2176.009"))
    assert str(ev.build) == "15.1.2176.9"
    assert ev.chosen is not None and ev.chosen.kind == "exsetup"
    assert ev.disagreements == []
    kinds = {s.kind for s in ev.sources}
    assert {"exsetup", "registry-msi", "registry-uninstall", "httpproxy-header"} <= kinds
    assert {u["kb"] for u in ev.installed_updates} == {"KB5000871"}
    assert len(ev.files_read) == 3 and all(len(f.sha256) == 64 for f in ev.files_read)


def test_failed_su_install_is_reported(tmp_path: Path) -> None:
    ev = collect(make_tree(tmp_path, exsetup=EXSETUP_2))
    assert str(ev.build) == "15.1.2176.2"
    assert any("KB5000871" in d and "failed or partial install" in d for d in ev.disagreements)


def test_zip_evidence_and_versioned_folders(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    (tree / V15 / "ClientAccess/Owa/prem/15.1.2176.9/scripts").mkdir(parents=True)
    (tree / V15 / "ClientAccess/Owa/prem/15.1.2176.9/scripts/boot.js").write_text("//")
    (tree / V15 / "ClientAccess/Owa/prem/15.1.2242.4/scripts").mkdir(parents=True)
    (tree / V15 / "ClientAccess/Owa/prem/15.1.2242.4/scripts/boot.js").write_text("//")
    archive = tmp_path / "server.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in tree.rglob("*"):
            if p.is_file():
                zf.write(p, p.relative_to(tree).as_posix())
    ev = collect(archive)
    assert str(ev.build) == "15.1.2176.9"
    # a folder of a newer build than ExSetup: an update started and not completed
    assert any("15.1.2242.4" in d and "not completed" in d for d in ev.disagreements)


def test_without_exsetup_falls_back_to_cu_only(tmp_path: Path) -> None:
    ev = collect(make_tree(tmp_path, exsetup=None))
    assert ev.build is not None and ev.build.cu_only and str(ev.build) == "15.1.2176"
    assert any("KB5000871" in n for n in ev.notes)


def test_http_proxy_header_alone(tmp_path: Path) -> None:
    ev = collect(make_tree(tmp_path, exsetup=None, hive=None, proxy="15.01.2375.007"))
    assert str(ev.build) == "15.1.2375.7"
    assert ev.chosen is not None and ev.chosen.raw == "#Version: 15.01.2375.007"


def test_corrupt_files_are_reported_by_name(tmp_path: Path) -> None:
    root = make_tree(tmp_path, exsetup=None, hive=None)
    (root / V15 / "Bin").mkdir(parents=True)
    (root / V15 / "Bin/ExSetup.exe").write_bytes(b"MZ" + b"\xff" * 64)
    (root / "C/Windows/System32/config").mkdir(parents=True)
    (root / "C/Windows/System32/config/SOFTWARE").write_bytes(b"regf" + b"\0" * 100)
    ev = collect(root)
    assert ev.build is None
    names = [p for p, _ in ev.problems]
    assert any(p.endswith("ExSetup.exe") for p in names) and any(p.endswith("SOFTWARE") for p in names)


def test_evidence_is_not_modified(tmp_path: Path) -> None:
    root = make_tree(tmp_path, proxy="15.01.2176.009")
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in root.rglob("*") if p.is_file()}
    collect(root)
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in root.rglob("*") if p.is_file()}
    assert before == after


def test_httpproxy_log_without_usable_version_header_is_named_not_silent(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "ev", exsetup=None, hive=None, proxy="not-a-version")
    logs = root / V15 / "Logging/HttpProxy/Owa"
    (logs / "HttpProxy_2021030401-1.LOG").write_bytes(bytes(range(256)) * 64)  # binary, no header
    ev = collect(root)
    assert ev.build is None
    notes = " ".join(ev.notes)
    assert "HttpProxy_2021030401-1.LOG: no #Version header" in notes
    assert "HttpProxy_2021030400-1.LOG: #Version header 'not-a-version' is not an Exchange build" in notes


def test_unreadable_build_sources_name_the_file_once(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    (root / V15 / "Bin").mkdir(parents=True)
    (root / V15 / "Bin/ExSetup.exe").write_bytes(b"\x7fELF not a PE" * 100)
    ev = collect(root)
    assert len(ev.problems) == 1
    path, reason = ev.problems[0]
    assert path.endswith("ExSetup.exe") and reason == "not a Windows executable (no MZ header)"
