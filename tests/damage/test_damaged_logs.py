"""A compromised server whose logs are damaged in one way each (issue 19): the attacker is still
found in every case, and the damage is named in the coverage per file.

Every log of the built server (HttpProxy, ECP, OABGenerator, IIS) gets the same damage; the
evidence is generated here, never committed. The attack lines are the real incident lines of
``core.builders``."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard

from core.builders import IIS_HEADER, IIS_SHELL, build_server, core_stages, iis_line, write
from extriage.findings import ScanResult, Verdict
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

MB = 1024 * 1024


def _scan(root: Path) -> ScanResult:
    return run_scan(str(root), ScanOptions(jobs=1), stages=core_stages())


def _logs(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() == ".log")


def _damage_all(root: Path, damage: Callable[[bytes], bytes]) -> list[Path]:
    logs = _logs(root)
    for p in logs:
        p.write_bytes(damage(p.read_bytes()))
    return logs


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _before_last(data: bytes, insert: bytes) -> bytes:
    """``insert`` just before the last data line (the attack lines sit at the end of each log)."""
    lines = data.rstrip(b"\n").split(b"\n")
    return b"\n".join(lines[:-1]) + b"\n" + insert + lines[-1] + b"\n"


def _reasons(result: ScanResult) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in result.coverage.skipped:
        out[Path(s.path).name] = out.get(Path(s.path).name, "") + " | " + s.reason
    return out


def _assert_found(result: ScanResult) -> None:
    assert result.verdict == Verdict.COMPROMISED, result.verdict_reason
    rules = {f.rule_id for f in result.findings}
    assert any(r.startswith("PL-") for r in rules), rules  # the ProxyLogon steps of the HttpProxy/ECP logs
    shells = [f for f in result.findings if "139.162.202.236" in f.indicators.client_ips]
    assert shells, "the web shell request of the IIS log was lost"


@pytest.fixture
def server(tmp_path: Path) -> Path:
    return build_server(tmp_path / "srv", "compromised")


@pytest.mark.parametrize("size", [64 * 1024, 2 * MB, 32 * MB])
def test_nul_block_before_the_attack_lines(server: Path, size: int) -> None:
    """An unclean shutdown: pre-allocated zeros kept, the service writing on after them (the
    partial line before the block is cut by the crash)."""
    _damage_all(server, lambda d: _before_last(d[:-1], b"\x00" * size))
    result = _scan(server)
    _assert_found(result)
    reasons = _reasons(result)
    for name in ("HttpProxy_2021030306-1.LOG", "u_ex210305.log", "ECPServer20210303-1.LOG"):
        assert "damaged:" in reasons[name] and "NUL-filled" in reasons[name], reasons.get(name)
    assert f"{size:,} bytes skipped as damage" in reasons["u_ex210305.log"]


def test_nul_block_keeps_the_file_line_numbers(server: Path) -> None:
    iis = server / "C/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log"
    data = iis.read_bytes()
    iis.write_bytes(_before_last(data, b"\x00" * (3 * MB)))
    result = _scan(server)
    shell = next(f for f in result.findings if "139.162.202.236" in f.indicators.client_ips)
    line = shell.evidence[0].line
    assert _lines(iis.read_bytes())[line - 1].endswith(IIS_SHELL.encode())  # the file's own line number


def test_binary_junk_blocks_between_lines(server: Path) -> None:
    def junk(d: bytes) -> bytes:
        lines = d.rstrip(b"\n").split(b"\n")
        out = []
        for i, ln in enumerate(lines):
            out.append(ln + b"\n")
            if i % 3 == 2:
                out.append(os.urandom(5000))  # no line end of its own: it runs into the next line
        return b"".join(out)

    _damage_all(server, junk)
    result = _scan(server)
    _assert_found(result)
    assert any("damaged" in r or "junk" in r for r in _reasons(result).values())


@pytest.mark.parametrize("codec", ["utf-16-le-bom", "utf-16-le", "utf-16-be-bom", "utf-16-be"])
def test_resaved_as_utf16(server: Path, codec: str) -> None:
    name, bom = codec.removesuffix("-bom"), codec.endswith("-bom")
    mark = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[name] if bom else b""
    _damage_all(server, lambda d: mark + d.decode("utf-8").encode(name))
    result = _scan(server)
    _assert_found(result)
    notes = " ".join(n for c in result.coverage.families.values() for n in c.notes)
    assert f"UTF-16 {name[-2:].upper()} {'with' if bom else 'without'} BOM" in notes


@pytest.mark.parametrize("ends", ["cr", "mixed"])
def test_cr_only_and_mixed_line_ends(server: Path, ends: str) -> None:
    def convert(d: bytes) -> bytes:
        lines = d.rstrip(b"\n").split(b"\n")
        if ends == "cr":
            return b"\r".join(lines) + b"\r"
        seps = [b"\r", b"\n", b"\r\n"]
        return b"".join(ln + seps[i % 3] for i, ln in enumerate(lines))

    _damage_all(server, convert)
    result = _scan(server)
    _assert_found(result)
    if ends == "cr":
        notes = " ".join(n for c in result.coverage.families.values() for n in c.notes)
        assert "CR-only line ends" in notes and "u_ex210305.log" in notes
        assert result.coverage.families["iis"].lines == len(_lines((server / "C/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log")
                                                                   .read_bytes().replace(b"\r", b"\n"))) - 1


@pytest.mark.parametrize("kind", ["gzip", "bz2", "xz", "zstd"])
def test_compressed_content_under_the_log_name(server: Path, kind: str) -> None:
    pack = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress,
            "zstd": zstandard.ZstdCompressor().compress}[kind]
    _damage_all(server, pack)
    result = _scan(server)
    _assert_found(result)
    notes = " ".join(n for c in result.coverage.families.values() for n in c.notes)
    assert f"read as {kind if kind != 'bz2' else 'bzip2'}" in notes


def test_fifty_mb_line_before_the_attack(server: Path) -> None:
    _damage_all(server, lambda d: _before_last(d, b"A" * (50 * MB) + b"\n"))
    result = _scan(server)
    _assert_found(result)
    assert "longer than 1 MB" in _reasons(result)["u_ex210305.log"]


def test_attack_on_the_same_line_after_5_mb_of_junk(server: Path) -> None:
    _damage_all(server, lambda d: _before_last(d, os.urandom(5 * MB).replace(b"\n", b" ").replace(b"\r", b" ")))
    result = _scan(server)
    _assert_found(result)
    assert "longer than 1 MB" in _reasons(result)["u_ex210305.log"]


@pytest.mark.parametrize("size", [int(1.5 * MB), 3 * MB])
def test_attack_glued_after_junk_inside_one_read_chunk(server: Path, size: int) -> None:
    """The same as above with a line that fits in one 4 MiB read: it was cut to its first 1 MB and the
    rest never searched, so a web shell request glued after 1.5 MB of junk was lost while 5 MB of junk
    (a line across two reads) kept it (P8, session 18)."""
    _damage_all(server, lambda d: _before_last(d, b"A" * size))
    result = _scan(server)
    _assert_found(result)
    assert "longer than 1 MB" in _reasons(result)["u_ex210305.log"]


def test_fifty_mb_file_without_a_newline(tmp_path: Path) -> None:
    """The whole log one line: its line ends lost, the records run together after 50 MB of junk."""
    iis_lines = [iis_line("2021-03-05 02:00:00", "GET", "/owa/auth/logon.aspx", "10.0.0.5", "200"), IIS_SHELL]
    body = IIS_HEADER.encode() + b"x" * (50 * MB) + " ".join(iis_lines).encode()
    write(tmp_path, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log", body)
    result = _scan(tmp_path)
    assert any("139.162.202.236" in f.indicators.client_ips for f in result.findings)
    assert "rest searched for records" in _reasons(result)["u_ex210305.log"]


def test_five_mb_fields_header(server: Path) -> None:
    def pad(d: bytes) -> bytes:
        out = []
        for ln in d.split(b"\n"):
            if ln.startswith(b"#Fields:"):
                sep = b"," if b"," in ln else b" "
                ln = ln + sep + sep.join(b"X-Pad-%d" % i for i in range(600_000))
            out.append(ln)
        return b"\n".join(out)

    _damage_all(server, pad)
    result = _scan(server)
    _assert_found(result)
    assert "#Fields header is over 1 MB" in _reasons(result)["HttpProxy_2021030306-1.LOG"]


def test_sparse_two_gb_log_hole_then_attack(tmp_path: Path) -> None:
    p = tmp_path / "C/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log"
    p.parent.mkdir(parents=True)
    with p.open("wb") as fh:
        fh.write(IIS_HEADER.encode())
        fh.seek(2 * 1024 * MB)  # a hole: the file system stores nothing there
        fh.write((IIS_SHELL + "\n").encode())
    if os.stat(p).st_blocks * 512 > 64 * MB:
        pytest.skip("this file system does not store sparse files")
    result = _scan(tmp_path)
    assert any("139.162.202.236" in f.indicators.client_ips for f in result.findings)
    reason = _reasons(result)["u_ex210305.log"]
    assert "sparse-file hole" in reason and "NUL-filled" in reason
    rec = next(r for r in result.files if r.path.endswith("u_ex210305.log"))
    assert rec.size == p.stat().st_size  # the hash covers the hole's zeros


def test_compressed_logs_in_place_in_a_drive_tree_and_a_zip(tmp_path: Path) -> None:
    """Issue 13: IIS/HttpProxy logs gzipped (and bz2/xz/zst) by rotation, under their .gz name."""
    server = build_server(tmp_path / "srv", "compromised")
    # a later request of the web shell's user: only the pivot pass over the IIS logs finds it
    write(server, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210306.log",
          IIS_HEADER + iis_line("2021-03-06 01:00:00", "GET", "/owa/", "139.162.202.236", "200") + "\n")
    plain = _scan(server)
    packers = [(".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress),
               (".zst", zstandard.ZstdCompressor().compress)]
    for i, p in enumerate(_logs(server)):
        ext, pack = packers[i % len(packers)]
        p.with_name(p.name + ext).write_bytes(pack(p.read_bytes()))
        p.unlink()
    result = _scan(server)
    _assert_found(result)
    # the same findings as the uncompressed logs, the pivot pass over them included
    assert sorted((f.rule_id, f.outcome.value, f.count) for f in result.findings) == \
        sorted((f.rule_id, f.outcome.value, f.count) for f in plain.findings)
    assert any(f.rule_id == "XS-ATTACKER-IP-ACTIVITY" for f in result.findings)
    assert not any("not read" in s.reason for s in result.coverage.skipped if ".log." in s.path.lower())
    archive = tmp_path / "collection.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(server.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(server).as_posix())
    _assert_found(_scan(archive))


def test_gzipped_logs_alone_in_a_plain_folder(tmp_path: Path) -> None:
    server = build_server(tmp_path / "srv", "compromised")
    flat = tmp_path / "flat"
    flat.mkdir()
    for i, p in enumerate(_logs(server)):
        (flat / f"{i}-{p.name}.gz").write_bytes(gzip.compress(p.read_bytes()))
    result = _scan(flat)
    assert result.verdict == Verdict.COMPROMISED, result.verdict_reason


def test_truncated_gzip_reads_what_is_there(tmp_path: Path) -> None:
    lines = [iis_line("2021-03-05 02:00:00", "GET", "/owa/auth/logon.aspx", "10.0.0.5", "200"), IIS_SHELL]
    lines += [iis_line(f"2021-03-05 04:{m:02d}:00", "GET", "/owa/", "10.0.0.5", "200") for m in range(60)] * 200
    packed = gzip.compress((IIS_HEADER + "\n".join(lines) + "\n").encode())
    write(tmp_path, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log.gz", packed[: len(packed) // 2])
    result = _scan(tmp_path)
    assert any("139.162.202.236" in f.indicators.client_ips for f in result.findings)
    assert "gzip stream is truncated" in _reasons(result)["u_ex210305.log.gz"]


def test_headerless_iis_log_in_a_w3svc_folder(tmp_path: Path) -> None:
    """Issue 13: parsed when its lines have IIS's default layout, else listed as not read."""
    lines = [iis_line("2021-03-05 02:00:00", "GET", "/owa/auth/logon.aspx", "10.0.0.5", "200"), IIS_SHELL]
    write(tmp_path, "C/inetpub/logs/LogFiles/W3SVC1/exported-from-siem.log", "\n".join(lines) + "\n")
    write(tmp_path, "C/inetpub/logs/LogFiles/W3SVC1/notes.txt", "called the admin, he restarted IIS\n")
    result = _scan(tmp_path)
    assert any("139.162.202.236" in f.indicators.client_ips for f in result.findings)
    reasons = _reasons(result)
    assert "exported-from-siem.log" not in reasons
    assert "default field layout; not read" in reasons["notes.txt"]


def test_clean_logs_report_no_damage(server: Path) -> None:
    result = _scan(server)
    _assert_found(result)
    assert not any(k in r for r in _reasons(result).values() for k in ("damaged", "junk", "1 MB", "stream"))
    assert not any(c.notes for c in result.coverage.families.values())


def test_hostile_damage_patterns_are_read_to_the_end(tmp_path: Path) -> None:
    """NUL every other byte, and an over-long line made of rule literals and record starts: each
    costs work per record or per chunk, not per byte; the attack after them is still found."""
    iis = "C/inetpub/logs/LogFiles/W3SVC1/u_ex2103{:02d}.log"
    write(tmp_path, iis.format(5), IIS_HEADER.encode() + b"\x00a" * (4 * MB) + b"\n" + IIS_SHELL.encode() + b"\n")
    flood = (b"2021-03-04 00:00:00 /ecp/y.js ServerInfo~ " * (3 * MB // 40)) + b"\n"
    write(tmp_path, iis.format(6), IIS_HEADER.encode() + flood + IIS_SHELL.replace("03-05", "03-06").encode() + b"\n")
    result = _scan(tmp_path)
    shells = [f for f in result.findings if "139.162.202.236" in f.indicators.client_ips]
    assert {e.source.rsplit("/", 1)[-1] for f in shells for e in f.evidence} >= {"u_ex210305.log", "u_ex210306.log"}
    reasons = _reasons(result)
    assert "binary bytes" in reasons["u_ex210305.log"] and "longer than 1 MB" in reasons["u_ex210306.log"]


def test_plain_folder_log_with_nuls_in_its_header_block(tmp_path: Path) -> None:
    """A loose HttpProxy log (no folder to place it) is still told by its header after NULs."""
    server = build_server(tmp_path / "srv", "compromised")
    ecp = next(p for p in _logs(server) if p.parent.name == "Mapi")  # its header opens with #Software
    data = ecp.read_bytes()
    cut = data.index(b"\n#Log-type") + 1
    flat = tmp_path / "flat"
    write(flat, "proxy.log", data[:cut] + b"\x00" * 300 + data[cut:])
    result = _scan(flat)
    assert any(f.rule_id.startswith("PL-") for f in result.findings), [s.reason for s in result.coverage.skipped]
