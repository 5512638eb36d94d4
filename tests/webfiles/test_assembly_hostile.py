"""Hostile and broken assemblies given to the IL analysis (issue 14, IL1, session 20): not a PE, a PE with no
CLR header, a truncated file, a method header claiming a 2 GB body, a metadata table claiming 16 million
rows, random byte flips. Each is read without an exception other than ``AssemblyError`` (the file is named
as not read), in bounded time, and what can be read is still read."""

from __future__ import annotations

import random
import struct
import time
from pathlib import Path

import pytest

from extriage.detections.webfiles.assembly import analysis, reader

from .assembly_build import compile_cs, needs_mcs

pytestmark = needs_mcs

_SHELL = (
    "using System; using System.Web; using System.Diagnostics;\n"
    "public class H : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
    '  public void ProcessRequest(HttpContext ctx) { string c = ctx.Request.Form["c"];'
    ' try { Process.Start("cmd.exe", "/c " + c); } catch (Exception e) { ctx.Response.Write(e.Message); } }\n'
    "  public static int Other(int a) { int s = 0; for (int i = 0; i < a; i++) { s += i * a; } return s; }\n}\n"
)


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return compile_cs(tmp_path_factory.mktemp("hostile"), "h", _SHELL).read_bytes()


def _read(data: bytes) -> analysis.Report | None:
    """The report, or None when the reader refused the file (the only exception allowed)."""
    try:
        return analysis.analyse(data, "x.dll")
    except reader.AssemblyError:
        return None


def test_the_intact_file_is_found(shell: bytes) -> None:
    report = _read(shell)
    assert report is not None and [h.rule.id for h in report.hits] == ["process"] and not report.problems


def test_files_that_are_no_assembly_are_refused() -> None:
    for data in (b"", b"MZ", b"MZ" + b"\0" * 200, b"<%@ Page %>", bytes(range(256)) * 40):
        with pytest.raises(reader.AssemblyError):
            analysis.analyse(data, "x.dll")


def test_a_pe_without_a_clr_header_is_refused(shell: bytes) -> None:
    data = bytearray(shell)
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    magic = struct.unpack_from("<H", data, pe + 24)[0]
    directories = pe + 24 + (96 if magic == 0x10B else 112)
    struct.pack_into("<II", data, directories + 14 * 8, 0, 0)  # the COM descriptor entry
    with pytest.raises(reader.AssemblyError):
        analysis.analyse(bytes(data), "x.dll")


def test_truncated_files_never_raise(shell: bytes, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"):
        for cut in range(64, len(shell), max(1, len(shell) // 40)):
            _read(shell[:cut])
    assert not [r for r in caplog.records if "dnfile" in r.pathname]  # (dnfile's own warnings: not on stderr)


def test_a_body_claiming_two_gigabytes_is_skipped_and_named(shell: bytes) -> None:
    asm = reader.read(shell)
    target = next(m for m in asm.methods.values() if m.name == "ProcessRequest")
    data = bytearray(shell)
    at = shell.find(target.code) - 12  # the method's fat header (it has a try block: fat)
    assert data[at] & 3 == 3
    struct.pack_into("<I", data, at + 4, 0x7FFFFFFF)
    report = _read(bytes(data))
    assert report is not None and not report.hits
    assert any("not read" in p and "ProcessRequest" in p for p in report.problems)


def _tables_stream(data: bytes) -> int:
    """File offset of the metadata tables stream (``#~``), from the metadata root's stream headers."""
    root = data.find(b"BSJB")
    length = struct.unpack_from("<I", data, root + 12)[0]
    at = root + 16 + length + 2
    count = struct.unpack_from("<H", data, at)[0]
    at += 2
    for _ in range(count):
        offset, _size = struct.unpack_from("<II", data, at)
        end = data.index(b"\0", at + 8)
        name = data[at + 8 : end]
        if name == b"#~":
            return root + offset
        at = (end + 4) & ~3
    raise AssertionError("no #~ stream")


def test_a_table_claiming_millions_of_rows_is_bounded(shell: bytes) -> None:
    start = _tables_stream(shell)
    assert shell[start + 4] == 2  # the tables stream's major version
    for table in range(3):  # the first three tables present (Module, TypeRef, TypeDef) in turn
        data = bytearray(shell)
        struct.pack_into("<I", data, start + 24 + 4 * table, 0x00FFFFFF)
        began = time.monotonic()
        _read(bytes(data))
        assert time.monotonic() - began < 10


def test_random_flips_never_raise(shell: bytes) -> None:
    rng = random.Random(20)
    began = time.monotonic()
    for _ in range(150):
        data = bytearray(shell)
        for _ in range(rng.randint(1, 12)):
            data[rng.randrange(0x80, len(data))] = rng.randrange(256)
        _read(bytes(data))
    assert time.monotonic() - began < 60


def test_a_walk_past_its_deadline_stops_and_says_so(shell: bytes) -> None:
    report = analysis.analyse(shell, "x.dll", deadline=0.5, clock=lambda: 1.0)
    assert any("time limit" in p for p in report.problems)


def test_names_from_the_metadata_are_capped_in_findings(tmp_path: Path) -> None:
    from extriage.detections.webfiles.assembly import finding

    long = "A" * 500
    source = "namespace " + long + "." + long + " {\n" + _SHELL.replace("public class H ", f"public class {long} ") + "}\n"
    report = analysis.analyse(compile_cs(tmp_path, "long", source).read_bytes(), "long.dll")
    (reason,) = finding.reasons(report, finding.WHY_BIN)
    assert len(reason.raw) <= 600 and len(reason.fields["method"]) <= 600 and long not in reason.title
    assert len(report.hits[0].method) > 1500  # (the names themselves are kept whole in the report)
