"""Issue 13, "zero green no_evidence", and issue 19's damage table, through the installed command.

Each case builds its evidence from the generated attacked server, runs ``extriage scan`` with a
timeout, and checks the exit code against the verdict, that the verdict is never ``no_evidence``
on evidence the scan could not read, that the attacker is still found where the lines are still
there, and that the evidence is byte-identical afterwards."""

from __future__ import annotations

import gzip
import io
import json
import os
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import EXIT, Generated, load, run, snapshot

MB = 1024 * 1024


def scan(root: Path, out: Path, *extra: str) -> tuple[dict[str, Any], str]:
    """Scan ``root`` (evidence unchanged, exit code = verdict); the result JSON and the terminal text."""
    before = snapshot(root)
    r = run("scan", root, "-j", "1", "--json", out, *extra)
    assert out.is_file(), f"no result JSON (exit {r.rc}): {r.tail()}"
    result = load(out)
    assert r.rc == EXIT[result["verdict"]], (r.rc, result["verdict"], r.tail())
    assert snapshot(root) == before, "the evidence changed"
    return result, r.out + r.err


def attacker_found(result: dict[str, Any], attackers: list[str]) -> bool:
    text = json.dumps(result["findings"])
    return result["verdict"] == "compromised" and any(ip in text for ip in attackers)


def skipped_paths(result: dict[str, Any]) -> dict[str, str]:
    return {Path(s["path"]).name: s["reason"] for s in result["coverage"]["skipped"]}


def logs(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() == ".log")


# --------------------------------------------------------------------------------------------
# Issue 13: zero green no_evidence


def test_baseline_attacked_server_is_compromised(attacked: Path, generated: Generated, tmp_path: Path) -> None:
    result, _ = scan(attacked, tmp_path / "r.json")
    assert attacker_found(result, generated.attackers), result["verdict_reason"]


def test_gzipped_logs_alone_in_a_folder(attacked: Path, generated: Generated, tmp_path: Path) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    for p in logs(attacked):
        (flat / (p.name + ".gz")).write_bytes(gzip.compress(p.read_bytes(), mtime=0))
    result, _ = scan(flat, tmp_path / "r.json")
    assert result["verdict"] != "no_evidence", result["verdict_reason"]
    assert attacker_found(result, generated.attackers), result["verdict_reason"]


def test_bz2_xz_zstd_logs_alone_in_a_folder(attacked: Path, generated: Generated, tmp_path: Path) -> None:
    """Every log compressed with another codec; none of them may be left unread."""
    import bz2
    import lzma

    import zstandard

    flat = tmp_path / "flat"
    flat.mkdir()
    codecs: list[tuple[str, Callable[[bytes], bytes]]] = [
        (".bz2", bz2.compress),
        (".xz", lzma.compress),
        (".zst", zstandard.ZstdCompressor().compress),
    ]
    names = []
    for i, p in enumerate(logs(attacked)):
        ext, pack = codecs[i % len(codecs)]
        names.append(p.name + ext)
        (flat / names[-1]).write_bytes(pack(p.read_bytes()))
    result, _ = scan(flat, tmp_path / "r.json")
    assert attacker_found(result, generated.attackers), result["verdict_reason"]
    assert not set(names) & set(skipped_paths(result)), result["coverage"]["skipped"]


def test_gzipped_logs_in_a_drive_tree(attacked: Path, generated: Generated, tmp_path: Path) -> None:
    for p in logs(attacked):
        p.with_name(p.name + ".gz").write_bytes(gzip.compress(p.read_bytes(), mtime=0))
        p.unlink()
    result, _ = scan(attacked, tmp_path / "r.json")
    assert attacker_found(result, generated.attackers), result["verdict_reason"]


def test_zip_inside_a_folder(attacked: Path, generated: Generated, tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    with zipfile.ZipFile(share / "collection.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for p in logs(attacked):
            z.write(p, p.relative_to(attacked).as_posix())
    result, _ = scan(share, tmp_path / "r.json")
    assert result["verdict"] != "no_evidence", result["verdict_reason"]
    assert attacker_found(result, generated.attackers), result["verdict_reason"]


DISK_IMAGES = {
    "server.E01": b"EVF\x09\x0d\x0a\xff\x00\x01\x01\x00\x00\x00",
    "server.vhdx": b"vhdxfile" + b"\x00" * 8,
    "server.raw": b"\xebR\x90NTFS    " + b"\x00" * 499 + b"\x55\xaa",
}


@pytest.mark.parametrize("name", sorted(DISK_IMAGES))
def test_disk_image_is_inconclusive(tmp_path: Path, name: str) -> None:
    case = tmp_path / "case"
    case.mkdir()
    with open(case / name, "wb") as f:
        f.write(DISK_IMAGES[name])
        f.truncate(8 * MB)  # sparse: the rest of the "disk"
    result, _ = scan(case, tmp_path / "r.json")
    assert result["verdict"] == "inconclusive", result["verdict_reason"]
    # the image itself, or its volume (``server.raw!volume``) when the image opens but its NTFS does not
    assert any(p == name or p.startswith(name + "!") for p in skipped_paths(result))


def test_unrelated_folder_with_one_stray_text_file(tmp_path: Path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (case / "notes.txt").write_text("meeting notes: ask IT for the Exchange logs\n")
    result, _ = scan(case, tmp_path / "r.json")
    assert result["verdict"] == "inconclusive", result["verdict_reason"]


def test_unreadable_logs_are_not_clean(attacked: Path, tmp_path: Path) -> None:
    """Every log replaced by binary garbage (a disk that lost them): nothing was read."""
    import random

    rnd = random.Random(7)
    for p in logs(attacked):
        p.write_bytes(bytes(rnd.getrandbits(8) for _ in range(20000)))
    result, _ = scan(attacked, tmp_path / "r.json")
    assert result["verdict"] == "inconclusive", result["verdict_reason"]
    skipped = skipped_paths(result)
    assert all(p.name in skipped for p in logs(attacked)), skipped


def test_headerless_iis_log_in_w3svc1(attacked: Path, generated: Generated, tmp_path: Path) -> None:
    case = tmp_path / "case" / "W3SVC1"
    case.mkdir(parents=True)
    for p in logs(attacked):
        if p.parent.name == "W3SVC1":
            lines = [ln for ln in p.read_bytes().splitlines(keepends=True) if not ln.startswith(b"#")]
            (case / p.name).write_bytes(b"".join(lines))
    result, _ = scan(case.parent, tmp_path / "r.json")
    assert result["verdict"] != "no_evidence", result["verdict_reason"]
    read = attacker_found(result, generated.attackers)
    listed = {p.name for p in case.iterdir()} <= set(skipped_paths(result))
    assert read or listed, ("neither parsed nor listed as not read", result["coverage"]["skipped"])


# --------------------------------------------------------------------------------------------
# Issue 19: damage applied to every log of the attacked server; the attacker is still found and
# the damage is named in the coverage.


def _before_last(data: bytes, insert: bytes) -> bytes:
    lines = data.rstrip(b"\n").split(b"\n")
    return b"\n".join(lines[:-1]) + b"\n" + insert + lines[-1] + b"\n"


def _every_other_line(data: bytes, junk: bytes) -> bytes:
    return b"".join(ln + (junk if i % 7 == 3 else b"") for i, ln in enumerate(data.splitlines(keepends=True)))


def _fields_5mb(data: bytes) -> bytes:
    out = []
    for ln in data.splitlines(keepends=True):
        if ln.startswith(b"#Fields:"):
            ln = ln.rstrip(b"\r\n") + b" " + b"x" * (5 * MB) + b"\r\n"
        out.append(ln)
    return b"".join(out)


def _mixed_eol(data: bytes) -> bytes:
    ends = [b"\r", b"\n", b"\r\n"]
    return b"".join(ln + ends[i % 3] for i, ln in enumerate(data.splitlines()))


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "NUL region 64 KB before the attack": lambda d: _before_last(d, b"\x00" * (64 * 1024)),
    "NUL region 4 MB mid-file": lambda d: d[: len(d) // 3] + b"\x00" * (4 * MB) + d[len(d) // 3 :],
    "UTF-16 LE with BOM": lambda d: b"\xff\xfe" + d.decode("utf-8", "replace").encode("utf-16-le"),
    "UTF-16 LE without BOM": lambda d: d.decode("utf-8", "replace").encode("utf-16-le"),
    "CR-only line ends": lambda d: d.replace(b"\r\n", b"\n").replace(b"\n", b"\r"),
    "mixed CR, LF, CRLF": _mixed_eol,
    "gzip content under the .log name": lambda d: gzip.compress(d, mtime=0),
    "one 50 MB line before the attack": lambda d: _before_last(d, b"A" * (50 * MB) + b"\n"),
    "attack on the same line after 5 MB of junk": lambda d: _before_last(d, b"J" * (5 * MB)),
    "5 MB #Fields header": _fields_5mb,
    "binary junk blocks between lines": lambda d: _every_other_line(d, bytes(range(256)) * 16),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_logs_still_show_the_attacker(attacked: Path, generated: Generated, tmp_path: Path, damage: str) -> None:
    damaged = logs(attacked)
    for p in damaged:
        st = p.stat()
        p.write_bytes(DAMAGE[damage](p.read_bytes()))
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    result, _ = scan(attacked, tmp_path / "r.json")
    assert result["verdict"] != "no_evidence", result["verdict_reason"]
    assert attacker_found(result, generated.attackers), result["verdict_reason"]
    if damage not in {"CR-only line ends", "mixed CR, LF, CRLF"}:  # line ends are not damage
        named = json.dumps(result["coverage"])
        assert all(p.name in named for p in damaged), f"damage not named in the coverage: {result['coverage']['skipped']}"


def test_50mb_file_without_newline_beside_the_attack(attacked: Path, generated: Generated, tmp_path: Path) -> None:
    """A 50 MB log with no newline at all is skipped and named; the other logs still show the attack."""
    junk = attacked / "inetpub" / "logs" / "LogFiles" / "W3SVC1" / "u_ex210309.log"
    with open(junk, "wb") as f:
        f.write(b"#Software: Microsoft Internet Information Services 10.0\r\n" + b"Z" * (50 * MB))
    result, _ = scan(attacked, tmp_path / "r.json")
    assert attacker_found(result, generated.attackers), result["verdict_reason"]
    assert "u_ex210309.log" in json.dumps(result["coverage"])


def test_sparse_2gb_log_hole_then_attack(attacked: Path, generated: Generated, tmp_path: Path) -> None:
    """A 2 GB log that is one hole and then the attack lines (an unclean shutdown on NTFS)."""
    for p in logs(attacked):
        if p.parent.name != "W3SVC1":
            p.unlink()
    for p in logs(attacked):
        data = p.read_bytes()
        head, tail = data[: len(data) // 4], data[len(data) // 4 :]
        with open(p, "wb") as f:
            f.write(head)
            f.seek(2048 * MB)
            f.write(tail)
    result, _ = scan(attacked, tmp_path / "r.json")
    assert attacker_found(result, generated.attackers), result["verdict_reason"]


# --------------------------------------------------------------------------------------------
# Issue 19: event exports that lose one record, not the file

ATTACK_EVENT: dict[str, Any] = {
    "EventID": 1,
    "Channel": "Microsoft-Windows-Sysmon/Operational",
    "SourceName": "Microsoft-Windows-Sysmon",
    "Hostname": "EXCH01.corp.local",
    "EventRecordID": 7,
    "UtcTime": "2021-03-02 10:06:27.161",
    "Image": "C:\\Windows\\System32\\cmd.exe",
    "CommandLine": "cmd /c whoami",
    "ParentImage": "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
    "ParentCommandLine": 'c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "MSExchangeOWAAppPool" -v "v4.0"',
    "User": "NT AUTHORITY\\SYSTEM",
}

FIRST_LINES = {
    "partial record": '"Channel": "Security", "EventID": 4624, "Hostname": "EXCH01"}',
    "exporter comment": "# exported by nxlog 3.2.2329 on EXCH01 at 2021-03-05",
    "null": "null",
    "truncated object": '{"EventID": 4624, "Channel": "Secu',
    "bare number": "42",
    "NUL bytes": "\x00" * 300,
}


def _w3wp_found(result: dict[str, Any]) -> bool:
    return "cmd /c whoami" in json.dumps(result["findings"]) and result["verdict"] in {"compromised", "attempted"}


@pytest.mark.parametrize("first", list(FIRST_LINES))
def test_event_export_with_a_damaged_first_line(tmp_path: Path, first: str) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (case / "sysmon.jsonl").write_text(FIRST_LINES[first] + "\n" + json.dumps(ATTACK_EVENT) + "\n", encoding="utf-8")
    result, _ = scan(case, tmp_path / "r.json")
    assert result["verdict"] != "no_evidence", result["verdict_reason"]
    assert _w3wp_found(result), result["verdict_reason"]


def test_one_line_convertto_json_array_with_the_attack_at_its_end(tmp_path: Path) -> None:
    """A ConvertTo-Json array on one line (12 MB here, issue: 100 MB) with the attack last."""
    case = tmp_path / "case"
    case.mkdir()
    benign = dict(ATTACK_EVENT, Image="C:\\Windows\\System32\\svchost.exe", CommandLine="svchost -k netsvcs",
                  ParentImage="C:\\Windows\\System32\\services.exe", ParentCommandLine="services.exe")
    one = json.dumps(benign).encode()
    n = (12 * MB) // (len(one) + 1)
    with open(case / "events.json", "wb") as f:
        f.write(b"[")
        for _ in range(n):
            f.write(one + b",")
        f.write(json.dumps(ATTACK_EVENT).encode() + b"]")
    result, _ = scan(case, tmp_path / "r.json")
    assert _w3wp_found(result), result["verdict_reason"]


def test_deeply_nested_json_export_beside_the_attack(tmp_path: Path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (case / "sysmon.jsonl").write_text(json.dumps(ATTACK_EVENT) + "\n", encoding="utf-8")
    (case / "deep.json").write_bytes(b"[" * 1_000_000 + b"]" * 1_000_000)
    (case / "deep2.jsonl").write_bytes(b'{"EventID": 1, "x": ' + b'{"a":' * 500_000 + b"1" + b"}" * 500_001 + b"\n")
    result, _ = scan(case, tmp_path / "r.json")
    assert _w3wp_found(result), result["verdict_reason"]


def test_event_dated_year_9999_beside_a_non_string_host(tmp_path: Path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    odd = [dict(ATTACK_EVENT, EventRecordID=8, UtcTime="9999-12-31T23:59:59.9999999+14:00"),
           dict(ATTACK_EVENT, EventRecordID=9, Hostname=12345),
           dict(ATTACK_EVENT, EventRecordID=10, UtcTime="0001-01-01T00:00:00-14:00", Hostname=None)]
    (case / "sysmon.jsonl").write_text("".join(json.dumps(e) + "\n" for e in [ATTACK_EVENT, *odd]), encoding="utf-8")
    result, _ = scan(case, tmp_path / "r.json")
    assert _w3wp_found(result), result["verdict_reason"]


# --------------------------------------------------------------------------------------------
# Issue 19: archives


def _zip_bytes(members: list[tuple[str, bytes]], utf8_flag: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2021, 3, 12, 0, 0, 0))
            if utf8_flag:
                info.flag_bits |= 0x800
            info.compress_type = zipfile.ZIP_DEFLATED
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "Duplicate name": wanted here
                z.writestr(info, data)
    return buf.getvalue()


def test_zip_with_duplicate_members_the_attacked_copy_first(attacked: Path, generated: Generated, tmp_path: Path) -> None:
    members: list[tuple[str, bytes]] = []
    for p in logs(attacked):
        name = p.relative_to(attacked).as_posix()
        data = p.read_bytes()
        clean = b"\n".join(ln for ln in data.split(b"\n") if not any(ip.encode() in ln for ip in generated.attackers))
        members += [(name, data), (name, clean)]  # the attacked copy first, a clean one after it
    case = tmp_path / "evidence.zip"
    case.write_bytes(_zip_bytes(members))
    result, _ = scan(case, tmp_path / "r.json")
    assert result["verdict"] != "no_evidence", result["verdict_reason"]
    assert attacker_found(result, generated.attackers), result["verdict_reason"]


def test_zip_with_one_invalid_utf8_member_name(attacked: Path, generated: Generated, tmp_path: Path) -> None:
    members = [(p.relative_to(attacked).as_posix(), p.read_bytes()) for p in logs(attacked)]
    members.append(("QQQQ-notes.txt", b"collected by hand\n"))
    raw = _zip_bytes(members, utf8_flag=True)
    assert raw.count(b"QQQQ") == 2  # local header and central directory
    case = tmp_path / "evidence.zip"
    case.write_bytes(raw.replace(b"QQQQ", b"\xff\xfe\xc3\x28"))
    result, _ = scan(case, tmp_path / "r.json")
    assert attacker_found(result, generated.attackers), result["verdict_reason"]

