"""Rules from the thirty-first unseen collection: classic ASP shells of every size (issue 14, helper X31).

On first sight (BENCHMARKS.md, "Unseen shells, thirty-first collection: a seeded sample of classic ASP shells of
every size") the own rules missed 4 of 12 classic ASP pages sampled from the ASP folders of tennc/webshell and of
YSRC's webshell-sample. Two of the misses are covered here:

- ``EXT_WEBSHELL_ASP_Writes_And_Runs_Downloader_Script`` (``data/rules/download_and_run.yar``): the page reads no
  request at all; it writes a VBScript downloader into a file line by line - ``.write "Set x =
  CreateObject(""Microsoft.XMLHTTP"")"``, an ADODB.Stream, ``.SaveToFile`` - and starts the file with its own
  ``WScript.Shell.Run``.
- ``EXT_WEBSHELL_VBS_Runs_Assembled_Text`` (``data/rules/classic_asp_hidden_code.yar``), one more shape:
  ``execute(d(6)&d(10)&d(9)&...)`` where ``d(s) = Mid(literal, s, 1)`` picks the characters of the hidden
  statement out of a scrambled literal.

The other two misses (writable-directory scanners: ``CreateTextFile``/``DeleteFile`` of a temporary file under
request-supplied folders, recursing) went to the behaviour engine's owner as a request.

The shells below are harmless pages in those shapes: the written script fetches a text file from
``example.invalid`` into a text file and the page then runs the written script; the hidden statement echoes a
request value HTML-encoded. The ordinary pages are the closest everyday code: a feed fetched and saved by the
page's own XMLHTTP and ADODB.Stream, an admin page running a fixed command, a tutorial that prints downloader
code with ``Response.Write``, a log writer, and menus and calculations built from array items. Nothing is
compiled or run, and none is a copy of a real shell.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, rule_tables

_DROP_RULE = "EXT_WEBSHELL_ASP_Writes_And_Runs_Downloader_Script"
_TEXT_RULE = "EXT_WEBSHELL_VBS_Runs_Assembled_Text"


def _picks(statement: str) -> tuple[str, str]:
    """A scrambled literal holding ``statement``'s characters and the ``d(i)&d(j)&...`` expression that picks them
    back in order (``d(s) = Mid(literal, s, 1)``, 1-based). Quotes in the statement are doubled in the literal."""
    pool = sorted(set(statement), key=lambda c: (ord(c) * 7919) % 101)
    literal = "".join(pool).replace('"', '""')
    picks = "&".join(f"d({pool.index(c) + 1})" for c in statement)
    return literal, picks


_ECHO = 'Response.Write Server.HTMLEncode(Request("q"))'
_LIT, _PICKS = _picks(_ECHO)

DROP_SHELLS: list[Page] = [
    (
        "writes-fetch-script-and-runs-it",
        ".asp",
        '<%\nSet fs = CreateObject("Scripting.FileSystemObject")\n'
        'Set f = fs.CreateTextFile("c:\\temp\\fetch.vbs", True)\n'
        'f.write "Set h = CreateObject(""Microsoft.XMLHTTP"")" & vbcrlf\n'
        'f.write "h.Open ""GET"",""http://example.invalid/a.txt"",False" & vbcrlf\n'
        'f.write "h.Send" & vbcrlf\n'
        'f.write "Set s = CreateObject(""ADODB.Stream"")" & vbcrlf\n'
        'f.write "s.Type = 1 : s.Open : s.Write h.ResponseBody" & vbcrlf\n'
        'f.write "s.SaveToFile ""c:\\temp\\a.txt"", 2" & vbcrlf\n'
        "f.close\n"
        'Set w = CreateObject("WScript.Shell")\nw.Run "c:\\temp\\fetch.vbs", 0, false\n%>',
    ),
    (
        "writeline-serverxmlhttp-exec",
        ".asp",
        '<%\nSet fso = Server.CreateObject("Scripting.FileSystemObject")\n'
        'Set t = fso.OpenTextFile(Server.MapPath("/") & "\\u.vbs", 2, True)\n'
        't.WriteLine("Set x = CreateObject(""MSXML2.ServerXMLHTTP.6.0"")")\n'
        't.WriteLine("x.open ""GET"", ""http://example.invalid/b.txt"", false : x.send")\n'
        't.WriteLine("x.responseBody.SaveToFile ""b.txt""")\n'
        "t.Close\n"
        'Set sh = Server.CreateObject("WScript.Shell")\nsh.Exec("cscript //nologo " & Server.MapPath("/") & "\\u.vbs")\n%>',
    ),
]
DROP_ORDINARY: list[Page] = [
    (
        "feed-fetched-and-saved-by-the-page",
        ".asp",
        '<%\nSet h = Server.CreateObject("MSXML2.ServerXMLHTTP")\n'
        'h.open "GET", "https://example.invalid/rates.xml", False\nh.send\n'
        'Set s = Server.CreateObject("ADODB.Stream")\ns.Type = 1\ns.Open\ns.Write h.responseBody\n'
        's.SaveToFile Server.MapPath("/data/rates.xml"), 2\ns.Close\n'
        'Set fs = Server.CreateObject("Scripting.FileSystemObject")\n'
        'Set lg = fs.OpenTextFile(Server.MapPath("/data/fetch.log"), 8, True)\n'
        'lg.WriteLine "rates fetched " & Now()\nlg.Close\n%>',
    ),
    (
        "admin-page-runs-fixed-command",
        ".asp",
        '<%\nIf Session("admin") = True Then\n  Set sh = Server.CreateObject("WScript.Shell")\n'
        '  sh.Run "cmd /c iisreset /status > c:\\logs\\iis.txt", 0, True\n'
        '  Set fs = Server.CreateObject("Scripting.FileSystemObject")\n'
        '  Set f = fs.OpenTextFile("c:\\logs\\iis.txt", 1)\n  Response.Write Server.HTMLEncode(f.ReadAll)\n'
        "End If\n%>",
    ),
    (
        "tutorial-prints-download-code",
        ".asp",
        "<html><body><h2>Fetching a file with VBScript</h2><pre>\n<%\n"
        'Response.Write "Set x = CreateObject(""Microsoft.XMLHTTP"")" & vbCrLf\n'
        'Response.Write "x.Open ""GET"", url, False : x.Send" & vbCrLf\n'
        'Response.Write "Set s = CreateObject(""ADODB.Stream"")" & vbCrLf\n'
        'Response.Write "s.SaveToFile path, 2" & vbCrLf\n%>\n</pre></body></html>',
    ),
]

TEXT_SHELLS: list[Page] = [
    (
        "execute-characters-picked-from-literal",
        ".asp",
        f'<%\nFunction d(s):d=Mid(love,s,1):End Function:love="{_LIT}":execute({_PICKS})\n%>',
    ),
    (
        "executeglobal-picked-with-spaces",
        ".asp",
        f'<%\nk = "{_LIT}"\nFunction p(i)\n  p = Mid(k, i, 1)\nEnd Function\n'
        f"ExecuteGlobal {_PICKS.replace('d(', 'p(').replace('&', ' & ')}\n%>",
    ),
]
TEXT_ORDINARY: list[Page] = [
    (
        "menu-built-from-array-items",
        ".asp",
        '<%\nitems = Array("Home", "News", "Shop", "Help", "About", "Contact", "Login")\n'
        'Response.Write items(0) & " | " & items(1) & " | " & items(2) & " | " & items(3) & " | " & items(4)\n'
        'total = Eval(q(1) & q(2))\nFunction q(n) : q = Request.Form("v" & n) : End Function\n%>',
    ),
    (
        "execute-statement-from-own-table",
        ".asp",
        '<%\nSet rs = conn.Execute(sql(1) & sql(2) & sql(3) & sql(4) & sql(5) & sql(6))\n'
        'Execute("Call Render" & Request.QueryString("view"))\n%>',
    ),
]

CASES: list[RuleCase] = [
    (_DROP_RULE, DROP_SHELLS, DROP_ORDINARY),
    (_TEXT_RULE, TEXT_SHELLS, TEXT_ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES, log_url="/x.asp")


def test_picks_rebuild_the_statement() -> None:
    """The repro's literal and picks give back the hidden statement (as the collected page's ``d()`` does)."""
    literal = _LIT.replace('""', '"')
    indexes = [int(part[2:-1]) for part in _PICKS.split("&")]
    assert "".join(literal[i - 1] for i in indexes) == _ECHO
    assert "Request" not in _LIT
