"""Logical Windows paths for every drive of a KAPE or Velociraptor collection."""

from __future__ import annotations

import zipfile
from pathlib import Path

from extriage.evidence.locate import build_inventory
from extriage.evidence.source import open_source


def _touch(root: Path, rel: str, data: bytes = b"x\n") -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)


def _logicals(path: Path) -> dict[str, tuple[str, str]]:
    inv = build_inventory(open_source(path), lambda *a: None)
    return {f.ref.member: (f.logical, f.key) for f in inv.files}


def test_kape_drive_folders_without_standard_top_folder_get_their_letter(tmp_path: Path) -> None:
    dest = tmp_path / "kape"
    _touch(dest, "C/Windows/System32/inetsrv/config/applicationHost.config")
    _touch(dest, "D/IISLogs/W3SVC1/u_ex210305.log")
    _touch(dest, "E/ExchangeLogs/HttpProxy/Ecp/HttpProxy_2021030501-1.LOG")
    _touch(dest, "notes.txt")
    found = _logicals(dest)
    assert found["D/IISLogs/W3SVC1/u_ex210305.log"] == ("D:\\IISLogs\\W3SVC1\\u_ex210305.log",
                                                        "d:/iislogs/w3svc1/u_ex210305.log")
    assert found["E/ExchangeLogs/HttpProxy/Ecp/HttpProxy_2021030501-1.LOG"][0].startswith("E:\\ExchangeLogs\\")
    assert found["notes.txt"][0] == "notes.txt"  # not a drive folder
    inv = build_inventory(open_source(dest), lambda *a: None)
    assert inv.layout == "kape" and inv.drives == ["C", "D", "E"]


def test_single_letter_folder_in_a_plain_log_folder_is_not_a_drive(tmp_path: Path) -> None:
    _touch(tmp_path, "logs/D/IISLogs/u_ex210305.log")
    assert _logicals(tmp_path)["logs/D/IISLogs/u_ex210305.log"][0] == "logs/D/IISLogs/u_ex210305.log"


def test_kape_any_drive_inside_a_zip_with_a_top_folder(tmp_path: Path) -> None:
    z = tmp_path / "collection.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("EXCH01/C/Program Files/Microsoft/Exchange Server/V15/bin/x.txt", "x")
        zf.writestr("EXCH01/F/Logs/W3SVC2/u_ex210306.log", "x")
    found = _logicals(z)
    assert found["EXCH01/F/Logs/W3SVC2/u_ex210306.log"][0] == "F:\\Logs\\W3SVC2\\u_ex210306.log"


def test_velociraptor_ntfs_device_path_for_another_drive(tmp_path: Path) -> None:
    _touch(tmp_path, "uploads/ntfs/%5C%5C.%5CD%3A/IISLogs/W3SVC1/u_ex210305.log")
    _touch(tmp_path, "uploads/auto/E%3A/Exchange/Logging/HttpProxy/Owa/HttpProxy_2021030501-1.LOG")
    found = _logicals(tmp_path)
    assert found["uploads/ntfs/%5C%5C.%5CD%3A/IISLogs/W3SVC1/u_ex210305.log"][0] == "D:\\IISLogs\\W3SVC1\\u_ex210305.log"
    assert found["uploads/auto/E%3A/Exchange/Logging/HttpProxy/Owa/HttpProxy_2021030501-1.LOG"][0].startswith(
        "E:\\Exchange\\Logging\\")


def test_symlinks_out_of_the_evidence_are_not_followed_but_inner_ones_are(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _touch(outside, "secret.log", b"not evidence\n")
    ev = tmp_path / "ev"
    _touch(ev, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log")
    (ev / "C/escape").symlink_to(outside, target_is_directory=True)
    (ev / "C/file-escape.log").symlink_to(outside / "secret.log")
    (ev / "C/inner").symlink_to(ev / "C/inetpub", target_is_directory=True)
    skipped: list[tuple[str, str]] = []
    inv = build_inventory(open_source(ev), lambda p, why: skipped.append((Path(p).name, why)))
    members = {f.ref.member for f in inv.files}
    assert not any("secret" in m for m in members)
    assert "C/inner/logs/LogFiles/W3SVC1/u_ex210305.log" in members or "C/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log" in members
    reasons = dict(skipped)
    assert "outside the evidence" in reasons["escape"] and "outside the evidence" in reasons["file-escape.log"]
