"""No green ``no_evidence`` on evidence that was not read: unrelated folders, archives inside folders,
disk images, unreadable logs, FIFOs; every file not read is named with why."""

from __future__ import annotations

import io
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from core.builders import IIS_HEADER, INSTALL, build_server, core_stages, hp_header, iis_line, ssrf, write
from extriage.cli.main import _register, app
from extriage.detections.verdict import decide
from extriage.evidence import source
from extriage.evidence.images import image_kind
from extriage.findings import Confidence, Finding, Indicators, Outcome, ScanResult, Severity, Verdict
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.schema import load_schema

_register()
runner = CliRunner()


def scan(path: Path) -> ScanResult:
    source.close_archives()
    return run_scan(str(path), ScanOptions(jobs=1), stages=core_stages())


def validate(result: ScanResult) -> None:
    data = json.loads(json.dumps(result.to_dict(), default=str))
    validator = jsonschema.Draft202012Validator(load_schema(), format_checker=jsonschema.FormatChecker())
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(data)]
    assert not errors, errors[:5]


def _zip_tree(root: Path, archive: Path, prefix: str = "") -> None:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(root.rglob("*")):
            if p.is_file():
                zf.write(p, prefix + p.relative_to(root).as_posix())


def test_folder_with_one_stray_text_file_is_inconclusive_exit_3(tmp_path: Path) -> None:
    write(tmp_path / "ev", "readme.txt", "handed over by the admin\n")
    result = scan(tmp_path / "ev")
    assert result.verdict == Verdict.INCONCLUSIVE
    assert "Could not decide" in result.verdict_reason and "Collect" in result.verdict_reason
    assert any(s.path.endswith("readme.txt") and "no reader" in s.reason for s in result.coverage.skipped)
    validate(result)
    res = runner.invoke(app, ["scan", str(tmp_path / "ev"), "-j", "1"])
    assert res.exit_code == 3 and "INCONCLUSIVE" in res.output and "Traceback" not in res.output


def test_clean_server_is_no_evidence_and_says_what_was_checked(tmp_path: Path) -> None:
    result = scan(build_server(tmp_path, "clean"))
    assert result.verdict == Verdict.NO_EVIDENCE, result.verdict_reason
    assert "checked for ProxyLogon" in result.verdict_reason
    assert "ProxyShell" in result.verdict_reason and "could not be checked" in result.verdict_reason
    assert result.waves["proxylogon"] == Verdict.NO_EVIDENCE
    assert result.waves["proxyshell"] == Verdict.INCONCLUSIVE
    assert "httpproxy" in result.coverage.waves["proxylogon"]["sources"]
    assert result.coverage.waves["proxyshell"]["sources"] == [] and result.coverage.waves["proxyshell"]["collect"]
    validate(result)


@pytest.mark.parametrize("scenario", ["compromised", "clean"])
def test_zip_inside_a_folder_is_read_in_place_like_the_folder(tmp_path: Path, scenario: str) -> None:
    server = build_server(tmp_path / "server", scenario)
    share = tmp_path / "share"
    share.mkdir()
    _zip_tree(server, share / "exch01-collection.zip")
    before = {p.name: p.read_bytes() for p in share.iterdir()}
    folder, zipped = scan(server), scan(share)
    assert zipped.verdict == folder.verdict
    assert sorted(f.rule_id for f in zipped.findings) == sorted(f.rule_id for f in folder.findings)
    assert {k: v.lines for k, v in zipped.coverage.families.items()} == \
        {k: v.lines for k, v in folder.coverage.families.items()}
    assert sorted(r.sha256 for r in zipped.files) == sorted(r.sha256 for r in folder.files)
    assert all("!" in r.path for r in zipped.files)
    assert {p.name: p.read_bytes() for p in share.iterdir()} == before  # nothing extracted beside it


def test_nested_zips_are_read_to_three_levels_and_deeper_ones_named(tmp_path: Path) -> None:
    server = build_server(tmp_path / "server", "compromised")
    inner = io.BytesIO()
    _zip_tree(server, tmp_path / "l3.zip")
    data = (tmp_path / "l3.zip").read_bytes()
    for level in (2, 1):  # l1.zip holds l2.zip holds l3.zip holds the server
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as zf:
            zf.writestr(f"inside/l{level + 1}.zip", data)
        data = inner.getvalue()
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / "l1.zip").write_bytes(data)
    assert scan(tmp_path / "share").verdict == Verdict.COMPROMISED  # three levels: read
    deeper = io.BytesIO()
    with zipfile.ZipFile(deeper, "w") as zf:
        zf.writestr("l1.zip", data)
    (tmp_path / "share" / "l1.zip").unlink()
    (tmp_path / "share" / "l0.zip").write_bytes(deeper.getvalue())
    result = scan(tmp_path / "share")
    assert result.verdict == Verdict.INCONCLUSIVE
    assert any("nested more than 3 levels" in s.reason for s in result.coverage.skipped)


def _mbr() -> bytes:
    sector = bytearray(512)
    sector[446:462] = bytes([0x80, 0, 0, 0, 0x07, 0, 0, 0]) + struct.pack("<II", 2048, 204800)
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)


IMAGES = {
    "server.E01": b"EVF\x09\x0d\x0a\xff\x00" + b"\x01" * 100,
    "disk.vhdx": b"vhdxfile" + b"\x00" * 100,
    "disk-flat.vmdk": b"KDMV" + b"\x00" * 100,
    "disk.vmdk": b"# Disk DescriptorFile\nversion=1\n",
    "disk.qcow2": b"QFI\xfb" + b"\x00" * 100,
    "fixed.vhd": b"\x00" * 8192 + b"conectix" + b"\x00" * 504,
    "mbr.raw": _mbr() + b"\x00" * 4096,
    "volume.dd": b"\xebR\x90NTFS    " + b"\x00" * 499 + b"\x55\xaa",
    "gpt.img": _mbr() + b"EFI PART" + b"\x00" * 504,
}


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_unreadable_disk_images_are_named_and_never_no_evidence(tmp_path: Path, name: str) -> None:
    """Images cut after their header (readable ones: tests/images) are named as not read."""
    write(tmp_path / "ev", name, IMAGES[name])
    result = scan(tmp_path / "ev")
    assert result.verdict == Verdict.INCONCLUSIVE
    reasons = [s.reason for s in result.coverage.skipped if Path(s.path).name.startswith(name)]
    assert reasons and all("disk image" in r or "NTFS volume" in r for r in reasons), reasons
    assert not result.files  # not "1 evidence file read"
    # beside readable clean logs too: the image is a gap
    build_server(tmp_path / "ev", "clean")
    assert scan(tmp_path / "ev").verdict == Verdict.INCONCLUSIVE


def test_image_kind_does_not_take_random_sectors_for_an_mbr() -> None:
    junk = bytearray(os.urandom(512))
    junk[510:512] = b"\x55\xaa"
    junk[446] = 0x33  # not a partition status byte
    assert image_kind(bytes(junk)) == ""
    assert image_kind(b"#Software: Microsoft Internet Information Services 10.0\n") == ""


def test_unreadable_log_beside_clean_logs_is_inconclusive(tmp_path: Path) -> None:
    root = build_server(tmp_path, "clean")
    write(root, "C/inetpub/logs/LogFiles/W3SVC2/u_ex210303.log", os.urandom(20000).replace(b"\n", b"") + b"\x00" * 10)
    result = scan(root)
    assert result.verdict == Verdict.INCONCLUSIVE
    assert "could not be read" in result.verdict_reason and "u_ex210303.log" in result.verdict_reason
    assert result.waves["proxylogon"] == Verdict.INCONCLUSIVE


def test_archive_with_duplicate_names_reads_every_copy(tmp_path: Path) -> None:
    hp = f"{INSTALL}/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"
    attacked = hp_header("plain") + ssrf("2021-03-03T06:49:46.210Z", "/ecp/proxyLogon.ecp?#", "241") + "\n"
    clean = hp_header("plain") + "\n"
    archive = tmp_path / "dup.zip"
    with zipfile.ZipFile(archive, "w") as zf, pytest.warns(UserWarning):
        zf.writestr(hp, attacked)  # the attacked first copy
        zf.writestr(hp, clean)
    result = scan(archive)
    assert result.verdict == Verdict.COMPROMISED
    assert len([r for r in result.files if "HttpProxy_2021030306-1.LOG" in r.path]) == 2
    assert any(r.path.endswith("[copy 2]") for r in result.files)


def test_member_with_an_invalid_utf8_name_is_named_not_the_archive_refused(tmp_path: Path) -> None:
    hp = f"{INSTALL}/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(hp, hp_header("plain") + ssrf("2021-03-03T06:49:46.210Z", "/ecp/proxyLogon.ecp?#", "241") + "\n")
        zf.writestr("badXname.log", "x\n")
    data = bytearray(buf.getvalue().replace(b"badXname", b"bad\xffname"))
    for sig, flag_at in ((b"PK\x03\x04", 7), (b"PK\x01\x02", 9)):  # claim UTF-8 names everywhere
        i = data.find(sig)
        while i >= 0:
            data[i + flag_at] |= 0x08
            i = data.find(sig, i + 4)
    (tmp_path / "ev.zip").write_bytes(bytes(data))
    result = scan(tmp_path / "ev.zip")
    assert result.verdict == Verdict.COMPROMISED  # the good member was read
    bad = [s for s in result.coverage.skipped if "not valid UTF-8" in s.reason]
    assert len(bad) == 1 and "bad\\xffname.log" in bad[0].path
    json.dumps(result.to_dict(), default=str).encode("utf-8")  # the name can be written


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_named_like_a_log_or_config_is_listed_and_never_blocks(tmp_path: Path) -> None:
    root = build_server(tmp_path, "clean")
    os.mkfifo(root / "C/inetpub/logs/LogFiles/W3SVC1/u_ex210306.log")
    os.mkfifo(root / "C/applicationHost.config")
    done: list[ScanResult] = []
    worker = threading.Thread(target=lambda: done.append(scan(root)), daemon=True)
    worker.start()
    worker.join(60)
    assert done, "the scan hung on a FIFO"
    result = done[0]
    reasons = {Path(s.path).name: s.reason for s in result.coverage.skipped}
    assert "FIFO" in reasons["u_ex210306.log"] and "FIFO" in reasons["applicationHost.config"]
    assert result.verdict == Verdict.INCONCLUSIVE


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_swapped_in_after_the_listing_is_refused_when_opened(tmp_path: Path) -> None:
    log = write(tmp_path, "u_ex210303.log", "x\n")
    spec = source.open_source(tmp_path)
    (ref,) = [r for r in source.iter_files(spec, lambda p, w: None)]
    log.unlink()
    os.mkfifo(log)
    with pytest.raises(OSError, match="FIFO"):
        source.open_artifact(ref)


def test_real_file_for_an_archive_member_is_a_temporary_copy_removed_after(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "ev.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Security.evtx", b"ElfFile\x00" + b"\x01" * 100_000)
    spec = source.open_source(tmp_path / "ev.zip")
    (ref,) = list(source.iter_files(spec, lambda p, w: None))
    with source.real_file(ref) as path:
        assert not path.startswith(str(tmp_path))  # outside the evidence
        assert Path(path).read_bytes()[:7] == b"ElfFile"
    assert not Path(path).exists()
    with pytest.raises(OSError, match="limit"):
        source.materialise(ref, 10)


def _f(rule: str, title: str, outcome: Outcome, sev: Severity, ts: str) -> Finding:
    from datetime import datetime

    f = Finding(rule, title, sev, Confidence.HIGH, outcome, wave="proxylogon",
                indicators=Indicators(client_ips=["203.0.113.9"]), tags=[])
    f.touch(datetime.fromisoformat(ts))
    return f


def test_reason_quotes_the_furthest_step_reached_not_the_first() -> None:
    result = ScanResult(evidence_path="/ev")
    mapi = _f("PL-26855-SSRF", "SSRF to mapi/emsmdb", Outcome.SUCCESS, Severity.CRITICAL, "2021-03-03T06:49:44+00:00")
    mapi.tags = ["case:mapi"]
    shell = _f("WS-REQUEST", "Web shell requested: /owa/auth/x.aspx", Outcome.WEBSHELL, Severity.HIGH,
               "2021-03-03T07:10:00+00:00")
    result.findings = [mapi, shell]
    verdict, reason = decide(result)
    assert verdict == Verdict.COMPROMISED
    assert "Web shell requested" in reason and "mapi" not in reason


def _descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        for child, parent in parents.items():
            if parent == p and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_leaves_no_worker_process_behind(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    body = "".join(iis_line(f"2021-03-03 06:{m % 60:02d}:00", "GET", f"/owa/auth/logon{m}.aspx", "10.0.0.5", "200")
                   + "\n" for m in range(20000))
    for i in range(30):
        write(ev, f"C/inetpub/logs/LogFiles/W3SVC1/u_ex2103{i:02d}.log", IIS_HEADER + body)
    exe = Path(sys.executable).parent / "extriage"
    proc = subprocess.Popen([str(exe), "scan", str(ev), "-q", "-j", "2", "--json", str(tmp_path / "out.json")])
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        workers |= _descendants(proc.pid)
        if len(workers) >= 3:  # the fork server and its workers
            break
        time.sleep(0.01)
    assert proc.poll() is None and len(workers) >= 3, "the scan ended before its workers were seen"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) != 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    assert not [p for p in workers if _alive(p)]


def test_unreadable_archive_inside_a_folder_is_a_gap_not_an_all_clear(tmp_path: Path) -> None:
    root = build_server(tmp_path / "ev", "clean")
    assert scan(root).verdict == Verdict.NO_EVIDENCE
    write(root, "more-logs.zip", b"PK\x03\x04" + os.urandom(2000))  # truncated/corrupt archive
    result = scan(root)
    assert result.verdict == Verdict.INCONCLUSIVE
    reasons = {Path(s.path).name: s.reason for s in result.coverage.skipped}
    assert "archive cannot be read" in reasons["more-logs.zip"]
    assert "more-logs.zip" in result.verdict_reason


def test_temporary_copies_never_land_inside_the_evidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    server = build_server(tmp_path / "server", "compromised")
    inner = tmp_path / "inner.zip"
    _zip_tree(server, inner)
    share = tmp_path / "share"
    with zipfile.ZipFile(write(share, "outer.zip", b""), "w") as zf:  # a zip holding a zip: needs a copy
        zf.write(inner, "inner.zip")
    (share / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(share / "tmp"))  # TMPDIR pointing into the evidence
    result = scan(share)
    assert not any((share / "tmp").iterdir())
    assert any("temporary folder" in s.reason and "inside the evidence" in s.reason for s in result.coverage.skipped)
    assert result.verdict == Verdict.INCONCLUSIVE
