"""Rules from the twenty-ninth unseen collection: small pages that hide one sink (issue 14, helper X29).

On first sight (BENCHMARKS.md, "Unseen shells, twenty-ninth collection: small pages that hide one sink") the
own rules missed 10 of 29 small classic-ASP pages taken from bypass write-ups, one-liner variant notes and a
one-liner generator. Two were Script Encoder pages damaged as stored; the other eight hide their one sink in
three shapes (``data/rules/classic_asp_hidden_code.yar``):

- ``EXT_WEBSHELL_ASP_ScriptControl_Given_Request``: the page creates the Script Control (its ProgID often
  assembled from ``Chr()`` pieces), hands it the ASP ``Request`` object with ``AddObject`` and runs text in it
  (``ExecuteStatement``/``AddCode``/``Eval``/``Run``), so nothing runs in the page's own engine.
- ``EXT_WEBSHELL_ASP_UTF7_Source_Page``: ``<%@ CodePage=65000 %>`` makes the page's source UTF-7, so the server
  code can be written as shift sequences (``+AFIAZQ...-``, or ``R+j-e+j-s``) and no keyword of it is in the file.
- ``EXT_WEBSHELL_VBS_Runs_Assembled_Text``: VBScript's ``Execute``/``Eval`` runs text the line assembles from
  literal pieces - six or more one- or two-character literals joined with ``&``, three or more ``Chr(n)``
  joined, ``Execute(Unescape(...))``, or a decoder called on a long hex literal.

The shells below are harmless pages in those shapes: the code they hide writes a fixed text or the time, or
echoes a request value HTML-encoded (``_utf7`` and ``_hex`` encode a text the way the pages do). The ordinary
pages are the closest everyday code: the Script Control evaluating a stored formula with its own objects, a
UTF-8 page doing arithmetic, an output code page set at run time, HTML built from short literals and
``Chr(13)``, SQL handed to ``conn.Execute`` as ``Chr()`` codes or quoted with ``""&sql&""`` (a chat game's real line), browser script decoding a mail address with
``eval(unescape(...))``, and a URL decoder beside the classic dynamic include. Nothing is compiled or run,
and none is a copy of a real shell.
"""

from __future__ import annotations

import base64

from .rule_tables import Page, RuleCase, rule_tables

_SC_RULE = "EXT_WEBSHELL_ASP_ScriptControl_Given_Request"
_UTF7_RULE = "EXT_WEBSHELL_ASP_UTF7_Source_Page"
_TEXT_RULE = "EXT_WEBSHELL_VBS_Runs_Assembled_Text"

_ECHO = 'Response.Write Server.HTMLEncode(Request("q"))'


def _utf7(text: str) -> str:
    """``text`` as one UTF-7 shift sequence: ``+`` base64 of its UTF-16 code units ``-`` (every character shifted)."""
    return "+" + base64.b64encode(text.encode("utf-16-be")).decode("ascii").rstrip("=") + "-"


def _hex(text: str) -> str:
    """``text`` as hexadecimal character codes, two digits each."""
    return "".join(f"{ord(c):02X}" for c in text)


def _chr_codes(text: str, join: str) -> str:
    """``text`` as ``Chr(n)`` calls joined with ``join``."""
    return join.join(f"Chr({ord(c)})" for c in text)


SC_SHELLS: list[Page] = [
    (
        "scriptcontrol-runs-a-statement",
        ".asp",
        '<%\nSet sc = Server.CreateObject("MSScriptControl.ScriptControl")\nsc.Language = "VBScript"\n'
        'sc.AddObject "Response", Response\nsc.AddObject "Request", Request\nsc.AddObject "Server", Server\n'
        f'sc.ExecuteStatement "{_ECHO.replace(chr(34), chr(34) * 2)}"\n%>',
    ),
    (
        "progid-from-chr-pieces-addcode",
        ".asp",
        '<%\nSet e = Server.CreateObject("MSScript" & Chr(67) & "ontrol.Script" & Chr(67) & "ontrol")\n'
        'e.Language = "VB" & "Script"\ne.AddObject("r" & Chr(113), Request)\n'
        'e.AddCode "Function Q() : Q = rq(""q"") : End Function"\n'
        'Response.Write Server.HTMLEncode(e.Eval("Q()"))\n%>',
    ),
]
SC_ORDINARY: list[Page] = [
    (
        "stored-formula-evaluated",
        ".asp",
        '<%\nSet sc = Server.CreateObject("MSScriptControl.ScriptControl")\nsc.Language = "VBScript"\n'
        'Set rates = Server.CreateObject("Scripting.Dictionary")\nrates.Add "vat", 0.2\n'
        'sc.AddObject "Rates", rates\nformula = rs("price_formula")\n'
        'Response.Write FormatNumber(sc.Eval(formula), 2) & " for " & Server.HTMLEncode(Request("item"))\n%>',
    ),
    (
        "request-value-passed-not-the-object",
        ".asp",
        '<%\nSet report = Server.CreateObject("Reports.Builder")\n'
        'report.AddObject "Title", Request("title")\nreport.Run\n%>',
    ),
]
UTF7_SHELLS: list[Page] = [
    (
        "utf7-source-echo",
        ".asp",
        f"<%@ CodePage=65000 %>\n<%\n{_utf7(_ECHO)}\n%>",
    ),
    (
        "utf7-empty-shifts-between-letters",
        ".asp",
        '<%@ LANGUAGE="VBScript" CODEPAGE="65000" %>\n<%\nR+j-e+j-s+j-p+j-o+j-n+j-s+j-e.Write "ok"\n%>',
    ),
]
UTF7_ORDINARY: list[Page] = [
    (
        "utf8-page-with-arithmetic",
        ".asp",
        "<%@ CodePage=65001 %>\n<%\ntotal = price+tax-discount\nnext_i = i+1-offset\n"
        "Response.Write FormatNumber(total, 2)\n%>",
    ),
    (
        "code-page-table-in-a-help-page",
        ".asp",
        "<%@ CodePage=65001 %>\n<p>Code pages: 65001 is UTF-8, 65000 is UTF-7 (CodePage=65000 is not used here).</p>\n"
        '<%= Server.HTMLEncode(Request("q")) %>',
    ),
    (
        "output-code-page-set-at-run-time",
        ".asp",
        '<%\nResponse.CodePage = 65000\nResponse.Charset = "utf-7"\ncount = a+b-c\nResponse.Write count\n%>',
    ),
]
TEXT_SHELLS: list[Page] = [
    (
        "letters-joined-with-ampersand-executed",
        ".asp",
        '<%Execute ""&("R"&"e"&"s"&"p"&"o"&"n"&"s"&"e"&".Write "&"1")%>',
    ),
    (
        "chr-codes-executed",
        ".asp",
        f"<%\nExecute {_chr_codes('Response.Write Now()', ' & ')}\n%>",
    ),
    (
        "chr-codes-inside-nested-eval",
        ".asp",
        f"<%Response.Write Eval(Eval({_chr_codes(chr(34) + 'Now' + chr(34), '+')}))%>",
    ),
    (
        "unescaped-text-executed",
        ".asp",
        '<%\nt = Replace("Response.Wr@@ite%20%22ok%22", "@@", "")\nExecute(Unescape(t))\n%>',
    ),
    (
        "hex-literal-decoded-and-executed",
        ".asp",
        f'<%\nExecute(Hx("{_hex("Response.Write Now()")}"))\nFunction Hx(s)\n  Dim i\n'
        '  For i = 1 To Len(s) Step 2\n    Hx = Hx & Chr(CLng("&H" & Mid(s, i, 2)))\n  Next\nEnd Function\n%>',
    ),
]
TEXT_ORDINARY: list[Page] = [
    (
        "html-from-short-literals",
        ".asp",
        '<%\nrow = "<" & "t" & "r" & ">" & "<" & "t" & "d" & ">" & Chr(13) & Chr(10) & Chr(9)\n'
        'Response.Write row & Server.HTMLEncode(rs("name"))\n%>',
    ),
    (
        "sql-from-chr-codes-to-conn-execute",
        ".asp",
        f"<%\nSet rs = conn.Execute({_chr_codes('SELECT 1', ' & ')})\nResponse.Write rs(0)\n%>",
    ),
    (
        "browser-script-decodes-a-mail-address",
        ".asp",
        '<p><%= Server.HTMLEncode(Request("name")) %></p>\n<script type="text/javascript">\n'
        "eval(unescape('%64%6F%63%75%6D%65%6E%74%2E%77%72%69%74%65%28%27%6D%61%69%6C%27%29'));\n</script>",
    ),
    (
        "url-decoder-beside-dynamic-include",
        ".asp",
        "<%\nFunction UrlDecode(s)\n  Dim i, r\n  For i = 1 To Len(s)\n"
        '    If Mid(s, i, 1) = "%" Then\n      r = r & Chr(CLng("&H" & Mid(s, i + 1, 2)))\n      i = i + 2\n'
        "    Else\n      r = r & Mid(s, i, 1)\n    End If\n  Next\n  UrlDecode = r\nEnd Function\n"
        'ExecuteGlobal ReadLib("lib/format.inc")\nResponse.Write Server.HTMLEncode(UrlDecode(Request("p")))\n%>',
    ),
    (
        "sql-text-quoted-into-conn-execute",
        ".asp",
        '<%\nsql = "update users set points=0 where name=\'" & Replace(Request("n"), "\'", "\'\'") & "\'"\n'
        'conn.execute ""&sql&""\nResponse.Write "<font color=#ff0000>" & "o" & "k" & "!" & "<" & "/" & "font>"\n%>',
    ),
    (
        "three-literals-evaluated",
        ".asp",
        '<%\nn = Eval("1" & "+" & "2")\nExecute("Call Show" & "Total")\n%>',
    ),
]

CASES: list[RuleCase] = [
    (_SC_RULE, SC_SHELLS, SC_ORDINARY),
    (_UTF7_RULE, UTF7_SHELLS, UTF7_ORDINARY),
    (_TEXT_RULE, TEXT_SHELLS, TEXT_ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES, log_url="/x.asp")


def test_utf7_helper_encodes_every_character() -> None:
    """The UTF-7 repro hides every keyword, as the collected page does (no letter of the code stays plain)."""
    encoded = _utf7(_ECHO)
    assert encoded.startswith("+") and encoded.endswith("-")
    assert "Response" not in encoded and "Request" not in encoded
    assert encoded.encode("ascii").decode("utf-7") == _ECHO
