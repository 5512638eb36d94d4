"""Rule and kept findings from the eighteenth unseen collection: big shells of 20-110 KB (issue 14, helper X18).

Earlier collections skipped the big all-in-one pages for the cost of copying them. This one took them whole
from a defenders' sample set (YSRC's, as stored in a public mirror) and the library: a renamed ASPXSpy, the
2014 ASPXSpy with a plugin loader, a site packer with an embedded zip library, a raw-socket sniffer - all
found on first sight (BENCHMARKS.md, "Unseen shells, eighteenth collection"). One was missed: an ASPXSpy
copy whose server script block holds only 50,000 spaces - the code is gone, the form is left. The rule
``EXT_WEBSHELL_Server_Box_Preset_To_Command_Interpreter`` (``data/rules/posted_control_programs.yar``)
matches what such a form keeps and only command pages have: a server text control preset to the command
interpreter's path or to a ``cmd /c`` line. The pages below reproduce that shape and the ordinary pages
closest to it; the second group keeps big pages (padding, a long helper library before the sink) found by
the behaviour analysis, whole and within its time limit. All pages were written for these tests: nothing is
run, commands and paths are placeholders, none is a copy of a real shell.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import content
from extriage.detections.webfiles.behaviour import analyse

from .rule_tables import Page, behaviour_sinks, rule_tables

_BLANK_CODE = '<script runat="server">\n' + " " * 40_000 + "\n</script>\n"

PRESET_FORMS: list[Page] = [
    (
        "code-blanked-form-input-runat-first",
        ".aspx",
        '<%@ Page Language="C#" %>\n' + _BLANK_CODE + '<form id="f" runat="server">\nProgram:<br/>\n'
        '<input class="box" runat="server" id="exe" type="text" size="80" value="c:\\windows\\system32\\cmd.exe"/>\n'
        'Options:<br/><input runat="server" id="opt" type="text" value="/c ver"/>\n'
        '<asp:Button ID="go" runat="server" Text="Run" OnClick="Go_Click"/>\n</form>',
    ),
    (
        "powershell-path-value-before-runat",
        ".aspx",
        '<%@ Page Language="C#" %>\n<html><body><form runat="server">\n'
        '<input type="text" value="C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" id="shell" '
        'runat="server"/>\n<textarea id="script" runat="server"></textarea>\n'
        '<asp:Button runat="server" Text="Send" OnClick="Send"/>\n</form></body></html>',
    ),
    (
        "textbox-preset-command-line-no-directive",
        ".aspx",
        '<html><body><form id="main" runat="server">\n'
        '<asp:TextBox ID="Line" runat="server" Width="600px" Text="cmd.exe /c echo placeholder"></asp:TextBox>\n'
        '<asp:Button ID="Exec" runat="server" Text="Exec" OnClick="Exec_Click"/>\n</form></body></html>',
    ),
]

PRESET_FORMS_ORDINARY: list[Page] = [
    (
        "server-box-preset-to-a-report-tool",
        ".aspx",
        '<%@ Page Language="C#" %>\n<form runat="server">\n'
        '<input runat="server" id="tool" type="text" value="C:\\Program Files\\Reports\\report.exe"/>\n'
        '<asp:TextBox ID="Month" runat="server" Text="2026-12"/><asp:Button runat="server" Text="Export"/>\n</form>',
    ),
    (
        "plain-html-input-in-a-how-to-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<html><body><h1>Opening a prompt</h1>\n'
        '<p>Type this path into the Run box:</p><input type="text" readonly value="C:\\Windows\\System32\\cmd.exe"/>\n'
        "</body></html>",
    ),
    (
        "label-naming-the-interpreter",
        ".aspx",
        '<%@ Page Language="C#" %>\n<form runat="server">\n'
        '<asp:Label ID="Hint" runat="server" Text="C:\\Windows\\System32\\cmd.exe is blocked by policy"/>\n'
        '<asp:TextBox ID="Search" runat="server" Text="cmd.exe"/>\n</form>',
    ),
    (
        "help-page-quoting-the-markup-escaped",
        ".aspx",
        '<%@ Page Language="C#" %>\n<html><body><p>Shell pages often contain</p>\n'
        '<pre>&lt;input runat="server" value="c:\\windows\\system32\\cmd.exe"/&gt;</pre>\n</body></html>',
    ),
]

CASES = (("EXT_WEBSHELL_Server_Box_Preset_To_Command_Interpreter", PRESET_FORMS, PRESET_FORMS_ORDINARY),)

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)


# --- big pages: the sink after tens of KB of padding or library code stays found, and whole -------------
_HELPER = (
    "    public static int Crc{n}(byte[] b, int start, int count) {{\n"
    "        int c = {n};\n        for (int i = start; i < start + count; i++) {{ c = (c >> 8) ^ b[i]; }}\n"
    "        return c;\n    }}\n"
)
BIG_PAGES: list[tuple[str, str, str, str]] = [
    (
        "padded-script-block-then-process",
        ".aspx",
        "process",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n<script runat="server">\n'
        + " " * 60_000
        + 'void Page_Load(object s, EventArgs e) { Process.Start("cmd.exe", "/c " + Request["q"]); }\n</script>',
    ),
    (
        "long-helper-library-then-upload-to-typed-path",
        ".aspx",
        "file-write",
        '<%@ Page Language="C#" %>\n<script runat="server">\nclass Helpers {\n'
        + "".join(_HELPER.format(n=i) for i in range(400))
        + "}\nvoid Up_Click(object s, EventArgs e) { Up.PostedFile.SaveAs(Target.Text); }\n</script>\n"
        '<form runat="server"><asp:FileUpload ID="Up" runat="server"/><asp:TextBox ID="Target" runat="server"/>'
        '<asp:Button runat="server" OnClick="Up_Click" Text="Up"/></form>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "sink", "page"), BIG_PAGES, ids=[b[0] for b in BIG_PAGES])
def test_big_page_sink_stays_found(
    tmp_path: Path, params: content.ContentParams, case: str, ext: str, sink: str, page: str
) -> None:
    assert len(page) > 32 * 1024  # analysed under the real-time timer
    sinks = behaviour_sinks(tmp_path, f"{case}{ext}", page, params)
    assert sink in sinks, sinks


@pytest.mark.parametrize(("case", "ext", "sink", "page"), BIG_PAGES, ids=[b[0] for b in BIG_PAGES])
def test_big_page_is_analysed_whole(case: str, ext: str, sink: str, page: str) -> None:
    result = analyse(page.encode("utf-8"), ext)
    assert result.problem is None
    assert sink in {h["sink"] for h in result.hits}
