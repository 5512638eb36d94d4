"""What the IL analysis costs on large assemblies (issue 14/18, IL2, session 21): the reader reads the metadata
tables' columns from the raw stream (dnfile's row objects cost ~1-1.6 CPU-s a MB), a method's summary keeps one
entry per operation reached (not one per call path), an assembly with no request input is not walked, and the
walk ends at a work bound (deterministic, beside the time limit). The C# is written for these tests (mcs)."""

from __future__ import annotations

from pathlib import Path

import dnfile.base
import pytest

from extriage.detections.webfiles.assembly import analysis, reader

from .assembly_build import compile_cs, needs_mcs

pytestmark = needs_mcs

_USING = "using System; using System.IO; using System.Web;\n"


def _lattice(levels: int, width: int) -> str:
    """A handler handing the request to level 0 of a lattice: each level calls ``width`` methods that each call
    the next level (width ** levels call paths), the last deletes the file it is given."""
    lines = [
        _USING,
        "public class Handler : IHttpHandler { public bool IsReusable { get { return false; } }",
        '  public void ProcessRequest(HttpContext ctx) { Chain.L0(ctx.Request["p"]); } }',
        "public static class Chain {",
    ]
    for i in range(levels):
        calls = " ".join(f"W{i}_{j}(x);" for j in range(width))
        lines.append(f"  public static void L{i}(string x) {{ {calls} }}")
        for j in range(width):
            lines.append(f"  public static void W{i}_{j}(string x) {{ L{i + 1}(x); }}")
    lines.append(f"  public static void L{levels}(string x) {{ File.Delete(x); }}")
    lines.append("}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def lattice(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return compile_cs(tmp_path_factory.mktemp("cost"), "lattice", _lattice(8, 3)).read_bytes()


def _flows(report: analysis.Report) -> list[tuple[str, str, str]]:
    return sorted((h.rule.id, h.method, h.entry.method if h.entry else "") for h in report.hits if h.confidence == "high")


def test_the_reader_builds_no_dnfile_rows(lattice: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """dnfile's full row parse (flags, heap items, coded indexes as objects) is what cost a second a MB."""

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("dnfile parsed a metadata row")

    monkeypatch.setattr(dnfile.base.MDTableRow, "parse", refuse)
    asm = reader.read(lattice, "lattice")
    assert not asm.problems
    assert {m.full for m in asm.methods.values()} >= {"Chain::L0", "Chain::L8", "Handler::ProcessRequest"}
    assert _flows(analysis.trace(asm, analysis.vocabulary())) == [("file-write", "Chain::L8", "Handler::ProcessRequest")]


def test_a_summary_keeps_one_entry_per_operation_not_per_path(lattice: bytes) -> None:
    """3 ** 8 call paths reach File.Delete: the walk is linear in the program, not in its paths."""
    report = analysis.analyse(lattice, "lattice")
    assert _flows(report) == [("file-write", "Chain::L8", "Handler::ProcessRequest")]
    assert report.steps < 3_000, report.steps
    summary = analysis.Summary()
    rule = analysis.vocabulary().sinks["System.IO.File::Delete"][0]
    for via in (("a",), ("b",), ("a", "c")):
        summary.reach(analysis.Reach(0, rule, "System.IO.File::Delete", "Chain::L8", 1, via))
    assert [r.via for r in summary.reaches.values()] == [("a",)]


def test_the_walk_ends_at_its_work_bound_the_same_way_every_time(lattice: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analysis, "MAX_STEPS", 40)
    first, again = analysis.analyse(lattice, "lattice"), analysis.analyse(lattice, "lattice")
    assert any("work bound (40 steps)" in p for p in first.problems), first.problems
    assert (first.steps, first.walked, _flows(first)) == (again.steps, again.walked, _flows(again))
    assert first.steps < 80
    monkeypatch.setattr(analysis, "MAX_STEPS", 2_000_000)
    monkeypatch.setattr(analysis, "MAX_METHOD_STEPS", 3)
    cut = analysis.analyse(lattice, "lattice")
    assert any("per-method work bound" in p for p in cut.problems), cut.problems


def test_an_assembly_with_no_request_input_is_not_walked(tmp_path: Path) -> None:
    """Operations, and HttpRequest named (by a method that never reads it), but no source call or request-bound
    parameter: no request value can reach the operations."""
    source = (
        _USING + "public class Tool { public static void Wipe(string f) { File.Delete(f); }\n"
        "  public static string Kind(HttpRequest r) { return \"request\"; } }\n"
    )
    report = analysis.analyse(compile_cs(tmp_path, "tool", source).read_bytes(), "tool")
    assert not report.screened and report.walked == 0 and not report.hits
    reading = source.replace('return "request";', 'Wipe(r.QueryString["f"]); return "request";')
    report = analysis.analyse(compile_cs(tmp_path, "tool2", reading).read_bytes(), "tool2")
    assert report.walked >= 2 and _flows(report) == [("file-write", "Tool::Wipe", "Tool::Kind")]


def test_an_assembly_defining_the_request_type_is_the_framework(tmp_path: Path) -> None:
    """System.Web.dll defines HttpRequest: its internals read as request input reaching its compilers and
    factories (mono's: 6 flows once walked to the end). Request input comes from another assembly's type."""
    tool = "public class Tool { public static void Run(System.Web.HttpRequest r) { System.Diagnostics.Process.Start(r.QueryString[\"c\"]); } }\n"
    own = (
        "namespace System.Web { public class HttpRequest {\n"
        "  public System.Collections.Specialized.NameValueCollection QueryString { get { return null; } } } }\n"
    )
    report = analysis.analyse(compile_cs(tmp_path, "framework", own + tool).read_bytes(), "framework")
    assert not report.hits and report.walked == 0
    report = analysis.analyse(compile_cs(tmp_path, "app", tool).read_bytes(), "app")
    assert [h.rule.id for h in report.hits if h.confidence == "high"] == ["process"]
