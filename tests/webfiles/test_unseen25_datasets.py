"""Rules from the twenty-fifth unseen collection: a seeded sample of web shell datasets (issue 14, helper X25).

On first sight (BENCHMARKS.md, "Unseen shells, twenty-fifth collection: a seeded sample of web shell
datasets") the own rules missed 9 of 31 shells, all classic ASP. Six of them hide the code they run, in two
shapes (``data/rules/classic_asp_hidden_code.yar``):

- ``EXT_WEBSHELL_VBS_Execute_Decoded_Text``: VBScript's ``Execute`` is handed the result of a decoder defined
  in the page (``StrReverse`` of a literal, ``Chr(n - 18)`` over a list of numbers, every character shifted
  with ``Asc(Mid(...)) - n``), or code decoded once and kept in ``Session`` is run from there.
- ``EXT_WEBSHELL_JScript_Eval_Taken_As_Value``: a JScript page obtains ``eval`` as a value (``return eval``,
  ``x = eval``) and calls it on the request indirectly, so no ``eval(`` call is written.

The shells below are harmless pages in those shapes (the code they hide echoes a request value; the helpers
``_reverse``, ``_codes`` and ``_shift`` encode a text the way the pages do); the ordinary pages are the
closest everyday code: the classic dynamic include (``ExecuteGlobal`` of a file read), spreadsheet column
letters from ``Chr(65 + i)``, ``conn.Execute``/``Server.Execute`` of a function's result, a reversed or
shifted string only shown, a JScript page calling ``eval`` on JSON, and browser script that aliases eval in
a VBScript page. Nothing is compiled or run, and none is a copy of a real shell.

A seventh miss, an uploader writing a request-named file with request text, lost its behaviour sink to its
password line (two request-vs-literal comparisons in one statement): found since A6's engine fix (a VB
comparison is no assignment; X25's request), beside the one-comparison form and a fixed log write that stays silent.
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, behaviour_sinks, rule_tables

_VBS_RULE = "EXT_WEBSHELL_VBS_Execute_Decoded_Text"
_JS_RULE = "EXT_WEBSHELL_JScript_Eval_Taken_As_Value"

_ECHO = 'Response.Write Server.HTMLEncode(Request("q"))'


def _reverse(text: str) -> str:
    """``text`` reversed, its double quotes written as ``|`` (the decoder puts them back)."""
    return text.replace('"', "|")[::-1]


def _codes(text: str, offset: int) -> str:
    """``text`` as %-separated character codes, each raised by ``offset``: "%89%108..."."""
    return "".join(f"%{ord(c) + offset}" for c in text)


def _shift(text: str) -> str:
    """``text`` with every character moved one code up, double quotes written as ``~``."""
    return "".join(chr(ord(c) + 1) for c in text.replace('"', "~"))


VBS_SHELLS: list[Page] = [
    (
        "reversed-literal-executed",
        ".asp",
        '<%\nFunction Rv(c)\n  Rv = Replace(StrReverse(c), "|", Chr(34))\nEnd Function\n'
        f'Execute Rv("{_reverse(_ECHO)}")\n%>',
    ),
    (
        "char-codes-minus-offset-executed",
        ".asp",
        f'<%Execute(Dc("{_codes(_ECHO, 9)}")):Function Dc(s):s=Split(s,"%"):For i=1 To UBound(s):'
        "Dc=Dc&Chr(s(i)-9):Next:End Function%>",
    ),
    (
        "shifted-characters-executeglobal",
        ".asp",
        f'<%\nsrc = "{_shift(_ECHO)}"\nExecuteGlobal(Un(src))\nFunction Un(t)\n  Dim i, r\n'
        "  For i = 1 To Len(t)\n    r = r & Chr(Asc(Mid(t, i, 1)) - 1)\n  Next\n"
        "  Un = Replace(r, Chr(126), Chr(34))\nEnd Function\n%>",
    ),
    (
        "decoded-once-kept-in-session",
        ".asp",
        '<%\nIf Session("pc") = "" Then\n'
        f'  Session("pc") = Replace(StrReverse("{_reverse(_ECHO)}"), "|", Chr(34))\nEnd If\n'
        'Execute(Session("pc"))\n%>',
    ),
    (
        "session-contents-executeglobal",
        ".asp",
        '<%\nSession.Contents("k") = Request.Form("k")\nExecuteGlobal Session.Contents("k")\n%>',
    ),
]
VBS_ORDINARY: list[Page] = [
    (
        "dynamic-include-of-a-file",
        ".asp",
        '<%\nFunction ReadLib(p)\n  Dim fso, f\n  Set fso = Server.CreateObject("Scripting.FileSystemObject")\n'
        "  Set f = fso.OpenTextFile(Server.MapPath(p), 1)\n  ReadLib = f.ReadAll\n  f.Close\nEnd Function\n"
        'ExecuteGlobal ReadLib("lib/format.inc")\nResponse.Write "<p>" & Chr(34) & "ok" & Chr(34) & "</p>"\n%>',
    ),
    (
        "spreadsheet-column-letters",
        ".asp",
        '<%\nFunction ColName(i)\n  ColName = Chr(i + 65)\nEnd Function\nSet rs = conn.Execute(BuildSql("orders"))\n'
        'For i = 0 To rs.Fields.Count - 1\n  Response.Write ColName(i) & ": " & rs.Fields(i).Name & "<br>"\nNext\n'
        'Server.Execute(PagePath("footer"))\n%>',
    ),
    (
        "reversed-and-shifted-words-shown",
        ".asp",
        '<%\nw = Request.QueryString("w")\nResponse.Write "Reversed: " & Server.HTMLEncode(StrReverse(w)) & "<br>"\n'
        "For i = 1 To Len(w)\n  s = s & Chr(Asc(Mid(w, i, 1)) + 1)\nNext\n"
        'Response.Write "Shifted: " & Server.HTMLEncode(s)\n%>',
    ),
    (
        "report-query-kept-in-session",
        ".asp",
        '<%\nIf Session("report_sql") = "" Then Session("report_sql") = "SELECT id, total FROM orders"\n'
        'Set rs = conn.Execute(Session("report_sql"))\nResponse.Write Session("user_name") & StrReverse("abc")\n%>',
    ),
]
JS_SHELLS: list[Page] = [
    (
        "function-returns-eval",
        ".asp",
        '<%@ Language="JScript" %>\n<%\nfunction pick(f) { if (f) { return Request.Form("z") + ""; } '
        "else { return eval\n} }\npick()(pick(1));\n%>",
    ),
    (
        "eval-held-in-a-variable",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<%\nvar run = eval;\nrun(Request.Item["z"]);\n%>',
    ),
]
JS_ORDINARY: list[Page] = [
    (
        "json-parsed-with-eval-call",
        ".asp",
        '<%@ Language="JScript" %>\n<%\nvar txt = String(Request.Form("data"));\n'
        'var o = eval("(" + txt + ")");\nvar total = evalTotal;\nResponse.Write(o.name);\n%>',
    ),
    (
        "browser-script-aliases-eval-in-vbscript-page",
        ".asp",
        '<%\nq = Request.QueryString("q")\n%>\n<script type="text/javascript">\nvar e = eval;\n'
        "function calc(x) { return e(x); }\n</script>\n<p><%= Server.HTMLEncode(q) %></p>",
    ),
]

CASES: list[RuleCase] = [
    (_VBS_RULE, VBS_SHELLS, VBS_ORDINARY),
    (_JS_RULE, JS_SHELLS, JS_ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES)


# The Hackyong uploader of the collection lost its behaviour sink to its password line: a statement comparing the
# request with literals twice hid every later sink (request to A6, /work/notes/to_a6.md, 22:47 UTC).
_FSO_WRITE = (
    'set fso=server.createobject("scripting.filesystemobject")\n'
    'set f=fso.createtextfile(request("p"),true)\nf.write request("d")\n'
)


def test_password_line_with_two_request_comparisons_keeps_later_sinks(
    tmp_path: Path, params: content.ContentParams
) -> None:
    page = '<%\nIf Request("pwd")="x" or Request("pwd")="y" then ok=1\n' + _FSO_WRITE + "%>"
    assert "com-file-write" in behaviour_sinks(tmp_path, "up.asp", page, params)


def test_one_request_comparison_keeps_later_sinks(tmp_path: Path, params: content.ContentParams) -> None:
    """The same uploader behind a one-comparison password line is found today (as the two-comparison form above now is)."""
    page = '<%\nIf Request("pwd")="x" then ok=1\n' + _FSO_WRITE + "%>"
    assert "com-file-write" in behaviour_sinks(tmp_path, "up.asp", page, params)


def test_fixed_log_write_behind_password_line_is_silent(
    tmp_path: Path, params: content.ContentParams
) -> None:
    page = (
        '<%\nIf Request("pwd")="x" or Request("pwd")="y" then ok=1\n'
        'set fso=server.createobject("scripting.filesystemobject")\n'
        'set f=fso.createtextfile(Server.MapPath("log.txt"),true)\nf.write Now()\n%>'
    )
    assert "com-file-write" not in behaviour_sinks(tmp_path, "log.asp", page, params)
