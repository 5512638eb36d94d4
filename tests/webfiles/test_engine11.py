"""Behaviour engine, session 11 (issue 14, A4): the whole file is analysed, not its first 4 MB.

The analysis read a page's first 4 MB of text only, so a shell whose code came after more than 4 MB of
markup was named "partly analysed" and not found; and the markup between code spans was kept as its line
breaks, so a page of a few megabytes of blank lines ran past the 5 s per-file limit. The markup between
two code spans is now one line break in the code (lines mapped back to the file's), so the analysis
costs the code, not the page. The pages were written for these tests: placeholder commands, nothing is
compiled or run, none is a copy of a real shell.
"""

from __future__ import annotations

import time

import pytest

from extriage.detections.webfiles import behaviour
from extriage.detections.webfiles.behaviour import _FileLines

MB = 1 << 20
HEAD = '<%@ Page Language="C#" %>\n'
CMD = (
    '<script runat="server">\nvoid Page_Load(object sender, EventArgs e) {\n'
    '  string c = Request.Form["c"];\n'
    '  System.Diagnostics.Process.Start("cmd.exe", "/c " + c);\n}\n</script>\n'
)
QUIET = (
    '<script runat="server">\nvoid Page_Load(object sender, EventArgs e) {\n'
    '  string c = Request.Form["c"];\n  Response.Write(Server.HtmlEncode(c));\n}\n</script>\n'
)
VB_CMD = (
    '<script runat="server">\nSub Page_Load(sender As Object, e As EventArgs)\n'
    '  Dim c As String = Request.Form("c")\n'
    '  System.Diagnostics.Process.Start("cmd.exe", "/c " & c)\nEnd Sub\n</script>\n'
)


def _rows(size: int) -> str:
    row = '<tr class="c1"><td>item</td><td><a href="#" onclick="return f(this)">open</a></td></tr>\n'
    return row * (size // len(row) + 1)


def _padding(kind: str, size: int) -> str:
    if kind == "rows":
        return _rows(size)
    if kind == "comments":
        line = "<!-- padding padding padding -->\n"
        return line * (size // len(line) + 1)
    if kind == "blank-lines":
        return "\n" * size
    return "<p>" + "x" * size + "</p>\n"  # one line


def _found(page: str, budget: float = 5.0) -> tuple[behaviour.Analysis, float]:
    t0 = time.thread_time()
    result = behaviour.analyse(page.encode(), ".aspx", budget=budget)
    return result, time.thread_time() - t0


@pytest.mark.parametrize("size", [5 * MB, 20 * MB], ids=["5MB", "20MB"])
@pytest.mark.parametrize("kind", ["rows", "comments", "blank-lines", "one-line"])
def test_a_shell_after_megabytes_of_markup_is_found(kind: str, size: int) -> None:
    page = HEAD + _padding(kind, size) + CMD
    result, elapsed = _found(page)
    assert result.problem is None, result.problem
    hits = [h for h in result.hits if h["sink"] == "process"]
    assert hits, result.hits
    lines = page.split("\n")
    assert hits[0]["line"] == next(i for i, x in enumerate(lines) if "Process.Start" in x) + 1
    assert "Process.Start" in hits[0]["raw"]
    assert hits[0]["source_line"] == next(i for i, x in enumerate(lines) if "Request.Form" in x) + 1
    assert "Request.Form" in hits[0]["source_raw"]
    assert elapsed < 4.0  # (0.02-0.1 s on a quiet machine)


def test_a_vb_shell_between_megabytes_of_markup_is_found() -> None:
    page = '<%@ Page Language="VB" %>\n' + _rows(5 * MB) + VB_CMD + _rows(2 * MB)
    result, _ = _found(page)
    assert result.problem is None
    assert "process" in {h["sink"] for h in result.hits}


def test_a_shell_of_many_blocks_between_markup_keeps_its_lines() -> None:
    # code in three <% %> blocks, each after a megabyte of blank lines: lines are the file's
    page = (
        HEAD
        + "\n" * MB
        + '<% string c = Request.Form["c"]; %>\n'
        + "\n" * MB
        + '<% string d = "/c " + c; %>\n'
        + "\n" * MB
        + '<% System.Diagnostics.Process.Start("cmd.exe", d); %>\n'
    )
    result, _ = _found(page)
    hit = next(h for h in result.hits if h["sink"] == "process")
    lines = page.split("\n")
    assert hit["line"] == next(i for i, x in enumerate(lines) if "Process.Start" in x) + 1
    assert hit["source_line"] == next(i for i, x in enumerate(lines) if "Request.Form" in x) + 1


def test_a_page_after_megabytes_of_markup_without_a_dangerous_operation_is_silent() -> None:
    result, _ = _found(HEAD + _rows(5 * MB) + QUIET)
    assert result.hits == [] and result.problem is None


@pytest.mark.parametrize(
    "data",
    [
        b'<%@ Page Language="C#" %><% ' + b"a" * (20 * MB) + b" %>",  # 20 MB of code on one line
        b'<%@ Page Language="C#" %><% var x = ' + b"(" * (20 * MB) + b" %>",  # deep nesting
        b'<%@ Page Language="C#" %><% new ExampleBar("k"); %>' + b"<a " * (5 * MB),  # unclosed tags
        b"<% " + b"\xc3\x28\xa0\xa1" * (2 * MB) + b" Process.Start(Request[1]) %>",  # invalid UTF-8
        b"MZ\x90\x00" + bytes(range(256)) * (20 * 1024),  # a binary named .aspx
        b"\xff\xfe<\x00%\x00" + bytes(range(256)) * (20 * 1024),  # invalid UTF-16
    ],
    ids=["20MB-one-line", "deep-nesting", "unclosed-tags", "invalid-utf8", "binary", "utf16-junk"],
)
def test_big_hostile_pages_stay_bounded_and_named(data: bytes) -> None:
    t0 = time.thread_time()
    result = behaviour.analyse(data, ".aspx", budget=2.0)
    assert time.thread_time() - t0 < 8.0
    if result.problem is None:
        # analysed whole within the limit: nothing is left unsaid
        assert isinstance(result.hits, list)
    else:
        assert "time limit" in result.problem or "only its start" in result.problem


@pytest.mark.parametrize(
    "data", [b"", b"a", b"\n", b"a\nb\n", b"x\xff\n\xc3\n\n\xc3\xa9z\r\nend", b"\n" * 5000 + b"last"]
)
def test_file_lines_are_those_of_the_whole_text(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = data.decode("utf-8", errors="replace").split("\n")
    for chunk in (1, 3, 1 << 20):
        monkeypatch.setattr(_FileLines, "_CHUNK", chunk)
        lines = _FileLines(data)
        assert [lines[n] for n in range(1, len(expected) + 1)] == expected
        assert lines[0] == "" and lines[len(expected) + 1] == ""


# --- B5's request (session 11): a FileStream opened to read is no file write -----------------------------

#: B5's harmless reproduction of an image handler (Subtext's CruiseControl dashboard image.ashx shape): it
#: opens a chart the request names read-only and sends it re-encoded as JPEG.
CHART = """<%@ WebHandler Language="C#" Class="BuildChart" %>
using System;
using System.Drawing;
using System.Drawing.Imaging;
using System.IO;
using System.Web;

public class BuildChart : IHttpHandler
{
    public bool IsReusable { get { return true; } }
    public void ProcessRequest(HttpContext ctx)
    {
        string name = ctx.Request.QueryString["name"];
        string project = ctx.Request.QueryString["project"];
        string folder = System.Configuration.ConfigurationManager.AppSettings["chartFolder"];
        if (folder == null || folder.Length == 0)
        {
            folder = @"..\\builds\\{0}\\charts";
        }
        folder = string.Format(folder, project);
        using (FileStream fs = new FileStream(Path.Combine(folder, name), FileMode.Open, FileAccess.Read))
        {
            using (Image img = Image.FromStream(fs))
            {
                ctx.Response.ContentType = "image/jpeg";
                img.Save(ctx.Response.OutputStream, ImageFormat.Jpeg);
            }
        }
    }
}
"""
_OPEN = "FileMode.Open, FileAccess.Read)"


def _sinks(page: str, ext: str = ".ashx") -> set[str]:
    return {h["sink"] for h in behaviour.analyse(page.encode(), ext).hits}


@pytest.mark.parametrize(
    "mode",
    [
        "FileMode.Open, FileAccess.Read)",
        "FileMode.Open)",
        "System.IO.FileMode.Open, System.IO.FileAccess.Read, FileShare.Read)",
    ],
)
def test_a_file_stream_opened_to_read_is_a_read(mode: str) -> None:
    # (the chart's bytes sent back as they are: decoded as an image only, the read is silent since session 15)
    sent = CHART.replace("using (Image img = Image.FromStream(fs))", "fs.CopyTo(ctx.Response.OutputStream);\n            ")
    sinks = _sinks(sent.replace(_OPEN, mode))
    assert "file-write" not in sinks and "file-read" in sinks, sinks


@pytest.mark.parametrize(
    "mode",
    [
        "FileMode.Create, FileAccess.Write)",
        "FileMode.Open, FileAccess.ReadWrite)",
        "FileMode.OpenOrCreate)",
        "FileMode.Append)",
        "mode)",
    ],
)
def test_a_file_stream_opened_to_write_stays_a_write(mode: str) -> None:
    page = (
        CHART.replace(_OPEN, mode)
        .replace("Image.FromStream(fs)", "Image.FromStream(ctx.Request.InputStream)")
        .replace("img.Save(ctx.Response.OutputStream, ImageFormat.Jpeg);", "img.Save(fs, ImageFormat.Jpeg);")
    )
    assert "file-write" in _sinks(page), mode


def test_a_vb_file_stream_opened_to_read_is_a_read() -> None:
    page = (
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load(sender As Object, e As EventArgs)\n'
        '  Dim fs As New FileStream(Request.QueryString("n"), FileMode.Open, '
        "FileAccess.Read)\n  fs.CopyTo(Response.OutputStream)\nEnd Sub\n</script>\n"
    )
    sinks = _sinks(page, ".aspx")
    assert "file-write" not in sinks, sinks
    assert "file-write" in _sinks(page.replace("FileMode.Open, FileAccess.Read", "FileMode.Create"), ".aspx")


# --- small-by-design rules, by behaviour: padding does not hide them -----------------------------------
# EXT_WEBSHELL_Custom_Class_Stub_Page (< 16 KB) and EXT_WEBSHELL_EDR_Checker (< 100 KB) stay small by
# design (test_padded_pages.SMALL_BY_DESIGN); the behaviour analysis reads their shapes at any size.

#: ~2.5 MB of client markup (as test_padded_pages)
PADDING = ("<!-- " + "x" * 80 + " -->\n<p>" + "y" * 80 + "</p>\n") * 13_000


def _edr(names: list[str]) -> str:
    checks = "\n".join(
        f'  if (File.Exists(@"C:\\Program Files\\Agent\\{n}")) Response.Write("{n}");' for n in names
    )
    return f'<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<%\n{checks}\n%>\n'


STUBS = [
    ("cs-private-dotted-field", '<%@ Page Language="C#" %>\n<script runat="server">\n'
     '    private Example.Tools.Runner r = new Example.Tools.Runner("0000example");\n</script>\n'),
    ("cs-undotted-field", '<%@ Page Language="C#" %>\n<script runat="server">ExampleTool t = new ExampleTool();</script>\n'),
    ("cs-inline", '<%@ Page Language="C#" %><% var x = new ExampleTool("k"); %>\n'),
    ("vb-private-as-new", '<%@ Page Language="VB" %>\n<script runat="server">\n Private t As New Example.Tools.Runner("k")\n</script>\n'),
    ("vb-dim-typed", '<%@ Page Language="VB" %>\n<script runat="server">\n Dim t As Runner = New Runner()\n</script>\n'),
    ("edr-checker", _edr(["xagt.exe", "MsSense.exe", "csfalconservice.exe"])),
]  # fmt: skip
QUIET_SMALL = [
    ("stub-used-in-expression", '<%@ Page Language="C#" %>\n<script runat="server">Catalog c = new Catalog();</script>\n'
     "<h1><%= c.Title %></h1>\n"),
    ("framework-type-only", '<%@ Page Language="VB" %>\n<script runat="server">\n Private sb As New StringBuilder()\n</script>\n'),
    ("one-edr-agent", _edr(["MsSense.exe"])),
    ("the-same-agent-twice", _edr(["MsSense.exe", "MsSense.exe"])),
    ("agents-named-in-markup-only", '<%@ Page Language="C#" %>\n<p>Supported agents: xagt.exe, MsSense.exe</p>\n'
     '<% if (File.Exists(Server.MapPath("~/app.config"))) Response.Write("ok"); %>\n'),
]  # fmt: skip


def _sink_of(case: str) -> str:
    return "edr-check" if case.startswith("edr") else "dropped-class"


@pytest.mark.parametrize("where", ["small", "padded-after", "padded-before"])
@pytest.mark.parametrize(("case", "page"), STUBS, ids=[c for c, _ in STUBS])
def test_small_by_design_shapes_are_found_at_any_size(case: str, page: str, where: str) -> None:
    if where == "padded-after":
        page = page + PADDING
    elif where == "padded-before":  # between the page directive and the code
        first = page.index("%>") + 2
        page = page[:first] + "\n" + PADDING + page[first:]
    sinks = {h["sink"] for h in behaviour.analyse(page.encode(), ".aspx").hits}
    assert _sink_of(case) in sinks, sinks


@pytest.mark.parametrize("padded", [False, True])
@pytest.mark.parametrize(("case", "page"), QUIET_SMALL, ids=[c for c, _ in QUIET_SMALL])
def test_ordinary_small_pages_stay_silent(case: str, page: str, padded: bool) -> None:
    result = behaviour.analyse((page + PADDING if padded else page).encode(), ".aspx")
    assert not {h["sink"] for h in result.hits} & {"dropped-class", "edr-check"}, result.hits


# --- X19's requests (session 11): native functions emitted at run time, an extension handed to asp.dll ---
# (the reproductions are X19's, in test_unseen19_notes; the YARA rules there cover them as well)
from .test_unseen19_notes import (  # noqa: E402
    CLASSIC_ASP_MAPPING,
    CLASSIC_ASP_MAPPING_ORDINARY,
    DYNAMIC_PINVOKE,
    DYNAMIC_PINVOKE_ORDINARY,
)

_X19_FOUND = [(c, e, p, "pinvoke") for c, e, p in DYNAMIC_PINVOKE] + [
    (c, e, p, "config-handler") for c, e, p in CLASSIC_ASP_MAPPING
]
#: (since session 12 also the static DllImport of LogonUser fed by a login form and *.htm handed to asp.dll)
_X19_QUIET = [(c, e, p, "pinvoke") for c, e, p in DYNAMIC_PINVOKE_ORDINARY] + [
    (c, e, p, "config-handler") for c, e, p in CLASSIC_ASP_MAPPING_ORDINARY
]


@pytest.mark.parametrize(("case", "ext", "page", "sink"), _X19_FOUND, ids=[c[0] for c in _X19_FOUND])
def test_x19_shapes_are_named_by_behaviour(case: str, ext: str, page: str, sink: str) -> None:
    assert sink in {h["sink"] for h in behaviour.analyse(page.encode(), ext).hits}


@pytest.mark.parametrize(("case", "ext", "page", "sink"), _X19_QUIET, ids=[c[0] for c in _X19_QUIET])
def test_x19_ordinary_pages_stay_silent(case: str, ext: str, page: str, sink: str) -> None:
    assert sink not in {h["sink"] for h in behaviour.analyse(page.encode(), ext).hits}


# --- B5's request (17:16): a path a method of the code returns only in part ---------------------------------
# B5's reproduction is in test_benign19 (icon-cache-path-from-a-helper); these are the shapes around it.

_HELPER = (
    '<%@ WebHandler Language="C#" Class="Files" %>\nusing System.IO;\nusing System.Web;\n'
    "public class Files : IHttpHandler {\n    public bool IsReusable { get { return false; } }\n"
    "    public void ProcessRequest(HttpContext context) {\n"
    '        string name = context.Request.QueryString["name"];\n'
    "        string path = PathOf(context, name);\n        context.Response.WriteFile(path);\n    }\n"
    "    private string PathOf(HttpContext context, string name) {\n        RETURN\n    }\n}\n"
)


@pytest.mark.parametrize(
    "ret",
    [
        'return context.Server.MapPath(Path.Combine("~/App_Data/cache", name + ".png"));',
        'string f = string.Format("{0}.png", name);\n        return context.Server.MapPath("~/icons/" + f);',
    ],
)
def test_a_path_a_helper_builds_below_a_folder_is_no_file_read(ret: str) -> None:
    assert "file-read" not in _sinks(_HELPER.replace("RETURN", ret))


@pytest.mark.parametrize(
    "ret",
    ["return name;", "return name.Trim();", "return HttpUtility.UrlDecode(name);"],
)
def test_a_path_a_helper_returns_whole_stays_a_file_read(ret: str) -> None:
    assert "file-read" in _sinks(_HELPER.replace("RETURN", ret))


# --- one bracket scanner (arguments._args, normalise._arg_spans, _Analyser._operand, arguments._leading) ---------


def test_the_bracket_scanner_skips_literals_and_nested_brackets() -> None:
    from extriage.detections.webfiles.behaviour.arguments import _args, _leading
    from extriage.detections.webfiles.behaviour.normalise import _arg_spans
    from extriage.detections.webfiles.behaviour.syntax import top_level

    code = 'f(a, "x,)", g(b, c), d[1, 2]) + e'
    start = 2
    assert top_level(code, start, len(code), ",") == ([3, 10, 19], 28)
    assert top_level(code, start, len(code), ",", first=True) == ([3], -1)
    spans = [code[a:b] for a, b in _args(code, start)]
    assert spans == ["a", ' "x,)"', " g(b, c)", " d[1, 2]"]
    assert _arg_spans(code, start) == _args(code, start)
    assert _arg_spans("f(a, b", 2) == [] and _args("f(a, b", 2) == [(2, 3), (4, 6)]  # not closed
    assert _leading(code, 0, len(code)) == code.index("+")
    assert _leading('"a+b" & c', 0, 9) == 6


# --- B5's request (17:16, 3): an enum member parsed from the request is bounded like a number -------------

_ENUM_CS = (
    '<%@ Page Language="C#" %>\n<script runat="server">\nenum Tool { hostname, whoami }\n'
    "void Page_Load(object s, EventArgs e) {\n  var t = VALUE;\n"
    "  System.Diagnostics.Process.Start(t.ToString());\n}\n</script>\n"
)


@pytest.mark.parametrize(
    "value",
    [
        '(Tool)Enum.Parse(typeof(Tool), Request["t"])',
        'Enum.Parse<Tool>(Request["t"])',
        'System.Enum.Parse(typeof(Tool), Request["t"], true)',
    ],
)
def test_an_enum_member_parsed_from_the_request_names_no_program(value: str) -> None:
    assert "process" not in _sinks(_ENUM_CS.replace("VALUE", value), ".aspx")


@pytest.mark.parametrize(
    "value",
    [
        'Request["t"]',
        'Enum.GetName(typeof(Tool), 1) + Request["t"]',
        'Request["t"] + Enum.Parse(typeof(Tool), "a")',
    ],
)
def test_request_text_beside_an_enum_still_names_the_program(value: str) -> None:
    assert "process" in _sinks(_ENUM_CS.replace("VALUE", value), ".aspx")


# --- X19's request 3 (17:35): JScript eval of glued literals, "<%@PageLanguage=Jscript%>" -------------------
from .test_unseen19_notes import FRAGMENTED_EVAL, FRAGMENTED_EVAL_ORDINARY  # noqa: E402


@pytest.mark.parametrize(("case", "ext", "page"), FRAGMENTED_EVAL, ids=[c[0] for c in FRAGMENTED_EVAL])
def test_jscript_eval_of_glued_literals_is_named(case: str, ext: str, page: str) -> None:
    assert "eval-unsafe" in _sinks(page, ext)


@pytest.mark.parametrize(
    ("case", "ext", "page"), FRAGMENTED_EVAL_ORDINARY, ids=[c[0] for c in FRAGMENTED_EVAL_ORDINARY]
)
def test_glued_literals_without_an_unsafe_eval_stay_silent(case: str, ext: str, page: str) -> None:
    assert not {"eval", "eval-unsafe"} & _sinks(page, ext)


def test_a_directive_name_run_into_its_language_still_names_the_language() -> None:
    from extriage.detections.webfiles.behaviour import extract

    assert set(extract("<%@PageLanguage=VB%>\n<% Response.Write(1) %>", ".aspx").code) == {"vb"}
    assert set(extract("<%@PageTitle=VB%>\n<% Response.Write(1) %>", ".aspx").code) == {"cs"}


# --- code padding: past 1 MB of code, its start and its end are analysed ------------------------------------


def _blocks(size: int) -> str:
    block = '<td><%= Eval("Name") %></td>\n'
    return block * (size // len(block) + 1)


@pytest.mark.parametrize("where", ["after", "before"])
def test_a_shell_beside_megabytes_of_code_blocks_is_found_and_named(where: str) -> None:
    page = HEAD + (_blocks(5 * MB) + CMD if where == "after" else CMD + _blocks(5 * MB))
    # what is checked is what the analysis reads, not its speed (1.3 s on a quiet machine, BENCHMARKS
    # "Behaviour engine: whole files, padding, requests"): a budget a loaded machine cannot run out of
    result, _ = _found(page, budget=120.0)
    hits = [h for h in result.hits if h["sink"] == "process"]
    assert hits, result.problem
    assert result.problem is not None and "only its start and its end" in result.problem
    lines = page.split("\n")
    assert hits[0]["line"] == next(i for i, x in enumerate(lines) if "Process.Start" in x) + 1
    assert hits[0]["source_line"] == next(i for i, x in enumerate(lines) if "Request.Form" in x) + 1
