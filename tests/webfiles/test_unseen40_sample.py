"""Rules from the fortieth unseen collection: a seeded uniform sample of ASP.NET shells (issue 14, helper X40).

On first sight (BENCHMARKS.md, "Unseen shells, fortieth collection: a seeded uniform sample") the own rules found 14
of the sample's 17 unseen files. One miss is a source file of an ASP.NET Core site (a middleware running ``cmd.exe``
with a header's text), named since by X39's ``EXT_WEBSHELL_Core_Endpoint_Runs_Shell_Text``. The two others get a rule
each:

- ``EXT_WEBSHELL_Page_Calls_Carried_Machine_Code`` (``shellcode_runners.yar``): a page carrying a direct-system-call
  stub as hex byte literals, copying it into memory it allocates and calling it through a C# 9 function pointer
  (``delegate* unmanaged``) starts no thread, so the shellcode-runner rule stayed silent.
- ``EXT_WEBSHELL_Page_Acts_As_Typed_Windows_Account`` (``impersonation_pages.yar``): a page logging on with the
  Windows account typed into its text boxes (advapi32 ``LogonUser``), impersonating it and, as that account, dumping
  the environment or listing any folder it is given.

The shells below are harmless pages in those shapes, written here (names, keys, bytes and texts differ from the
collected pages; nothing is run by the tests: the "machine code" is a few NOPs and a return). The ordinary pages are
the closest everyday code: a page calling a native export through a pointer from GetProcAddress, an upload check
comparing magic numbers before handing a buffer to a native image library, a CRC table, an intranet login page
checking a typed password with LogonUser, a page that impersonates a typed account to read a fixed share file and
list a fixed folder, and a page logging on with a service account from web.config.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, quiet_pages_test, rule_tables

_CODE = "EXT_WEBSHELL_Page_Calls_Carried_Machine_Code"
_AS = "EXT_WEBSHELL_Page_Acts_As_Typed_Windows_Account"

CODE_SHELLS: list[Page] = [
    (
        "function-pointer-call-of-a-carried-stub",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n'
        '<script runat="server">\n    protected void Page_Load(object sender, EventArgs e)\n    {\n'
        '        string text = Request.Form["t"];\n        if (string.IsNullOrEmpty(text)) return;\n'
        "        byte[] stub = {\n            0x90, 0x90,       // nop nop\n            0x90,             // nop\n"
        "            0xC3              // ret\n        };\n"
        "        IntPtr mem = Marshal.AllocHGlobal(stub.Length);\n        Marshal.Copy(stub, 0, mem, stub.Length);\n"
        "        IntPtr arg = Marshal.StringToHGlobalAnsi(text);\n"
        "        ((delegate* unmanaged<IntPtr, int, IntPtr>)mem)(arg, 0, IntPtr.Zero);\n"
        '        Response.Write("done");\n    }\n</script>\n',
    ),
    (
        "delegate-made-of-allocated-pointer-no-thread",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n'
        '<script runat="server">\n    [DllImport("kernel32.dll")]\n'
        "    static extern IntPtr VirtualAlloc(IntPtr a, UIntPtr size, uint type, uint protect);\n"
        "    delegate int Entry();\n    void Page_Load(object s, EventArgs e)\n    {\n"
        "        byte[] body = new byte[] { 0x90, 0x90, 0x90, 0x31, 0xC0, 0xC3 };\n"
        "        IntPtr p = VirtualAlloc(IntPtr.Zero, (UIntPtr)body.Length, 0x3000, 0x40);\n"
        "        Marshal.Copy(body, 0, p, body.Length);\n"
        "        Entry run = (Entry)Marshal.GetDelegateForFunctionPointer(p, typeof(Entry));\n"
        "        Response.Write(run());\n    }\n</script>\n",
    ),
    (
        "vb-hex-bytes-called-through-a-delegate",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n'
        '<script runat="server">\n    Delegate Function Entry() As Integer\n'
        "    Sub Page_Load(sender As Object, e As EventArgs)\n"
        "        Dim code As Byte() = {&H90, &H90, &H90, &HC3}\n"
        "        Dim p As IntPtr = Marshal.AllocHGlobal(code.Length)\n        Marshal.Copy(code, 0, p, code.Length)\n"
        "        Dim run As Entry = CType(Marshal.GetDelegateForFunctionPointer(p, GetType(Entry)), Entry)\n"
        "        Response.Write(run())\n    End Sub\n</script>\n",
    ),
]

CODE_ORDINARY: list[Page] = [
    (
        "native-export-called-through-getprocaddress",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n'
        '<script runat="server">\n    [DllImport("kernel32.dll")] static extern IntPtr LoadLibrary(string n);\n'
        '    [DllImport("kernel32.dll")] static extern IntPtr GetProcAddress(IntPtr m, string f);\n'
        "    delegate int Checksum(IntPtr data, int length);\n    void Page_Load(object s, EventArgs e)\n    {\n"
        '        byte[] text = Encoding.UTF8.GetBytes("report-2026");\n'
        "        IntPtr buf = Marshal.AllocHGlobal(text.Length);\n        Marshal.Copy(text, 0, buf, text.Length);\n"
        '        IntPtr lib = LoadLibrary(Server.MapPath("~/bin/native/crc.dll"));\n'
        '        var f = (Checksum)Marshal.GetDelegateForFunctionPointer(GetProcAddress(lib, "crc32"), typeof(Checksum));\n'
        '        Label1.Text = f(buf, text.Length).ToString("x8");\n        Marshal.FreeHGlobal(buf);\n    }\n'
        '</script>\n<asp:Label ID="Label1" runat="server" />\n',
    ),
    (
        "upload-magic-numbers-then-native-image-library",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n'
        '<script runat="server">\n    static readonly byte[] Png = { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A };\n'
        '    [DllImport("thumbs.dll")] static extern int MakeThumb(IntPtr data, int length, string target);\n'
        "    void Upload_Click(object s, EventArgs e)\n    {\n        byte[] data = Photo.FileBytes;\n"
        "        for (int i = 0; i < Png.Length; i++) if (data[i] != Png[i]) return;\n"
        "        IntPtr p = Marshal.AllocHGlobal(data.Length);\n        Marshal.Copy(data, 0, p, data.Length);\n"
        '        MakeThumb(p, data.Length, Server.MapPath("~/thumbs/latest.png"));\n        Marshal.FreeHGlobal(p);\n'
        '    }\n</script>\n<asp:FileUpload ID="Photo" runat="server" />\n',
    ),
    (
        "crc-table-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "    static readonly uint[] Table = { 0x00, 0x77, 0xEE, 0x99, 0x07, 0x70 };\n"
        '    void Page_Load(object s, EventArgs e)\n    {\n        uint c = 0;\n        foreach (char ch in Request.QueryString["v"] ?? "")\n'
        '            c = Table[(c ^ ch) % 6] ^ (c >> 8);\n        Response.Write(c.ToString("x"));\n    }\n</script>\n',
    ),
]

AS_SHELLS: list[Page] = [
    (
        "typed-account-lists-any-folder",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n'
        '<%@ Import Namespace="System.Runtime.InteropServices" %>\n<%@ Import Namespace="System.Security.Principal" %>\n'
        '<script runat="server">\n    [DllImport("advapi32.dll", SetLastError = true)]\n'
        "    static extern bool LogonUser(string user, string domain, string pass, int type, int provider, out IntPtr token);\n"
        "    void Go_Click(object s, EventArgs e)\n    {\n        IntPtr tok;\n"
        "        if (!LogonUser(Who.Text, Where.Text, Secret.Text, 9, 0, out tok)) return;\n"
        "        using (new WindowsIdentity(tok).Impersonate())\n        {\n"
        '            foreach (string f in Directory.GetFiles(Target.Text)) Out.Text += f + "<br/>";\n'
        "        }\n    }\n</script>\n"
        '<asp:TextBox ID="Who" runat="server" /><asp:TextBox ID="Where" runat="server" />'
        '<asp:TextBox ID="Secret" runat="server" /><asp:TextBox ID="Target" runat="server" />\n'
        '<asp:Button ID="Go" runat="server" OnClick="Go_Click" /><asp:Literal ID="Out" runat="server" />\n',
    ),
    (
        "vb-request-account-starts-a-process",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Diagnostics" %>\n'
        '<%@ Import Namespace="System.Security.Principal" %>\n<script runat="server">\n'
        '    Declare Auto Function LogonUser Lib "advapi32.dll" (u As String, d As String, p As String, '
        "t As Integer, pr As Integer, ByRef h As IntPtr) As Boolean\n"
        "    Sub Page_Load(sender As Object, e As EventArgs)\n        Dim h As IntPtr\n"
        '        If LogonUser(Request.Form("u"), ".", Request.Form("p"), 2, 0, h) Then\n'
        "            Dim ctx As WindowsImpersonationContext = New WindowsIdentity(h).Impersonate()\n"
        '            Process.Start("notepad.exe")\n            ctx.Undo()\n        End If\n    End Sub\n</script>\n',
    ),
    (
        "handler-impersonates-request-account-and-dumps-environment",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Env" %>\nusing System;\nusing System.Collections;\n'
        "using System.Runtime.InteropServices;\nusing System.Web;\n\npublic class Env : IHttpHandler\n{\n"
        '    [DllImport("advapi32.dll")] static extern bool LogonUserW(string u, string d, string p, int t, int v, out IntPtr h);\n'
        '    [DllImport("advapi32.dll")] static extern bool ImpersonateLoggedOnUser(IntPtr h);\n'
        "    public void ProcessRequest(HttpContext context)\n    {\n        IntPtr h;\n"
        '        LogonUserW(context.Request["n"], null, context.Request["k"], 3, 0, out h);\n'
        "        ImpersonateLoggedOnUser(h);\n"
        "        foreach (DictionaryEntry v in Environment.GetEnvironmentVariables())\n"
        '            context.Response.Write(v.Key + "=" + v.Value + "\\n");\n    }\n'
        "    public bool IsReusable { get { return false; } }\n}\n",
    ),
]

AS_ORDINARY: list[Page] = [
    (
        "intranet-login-checks-a-typed-password",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n'
        '<script runat="server">\n    [DllImport("advapi32.dll", SetLastError = true)]\n'
        "    static extern bool LogonUser(string u, string d, string p, int t, int v, out IntPtr h);\n"
        '    [DllImport("kernel32.dll")] static extern bool CloseHandle(IntPtr h);\n'
        "    void SignIn_Click(object s, EventArgs e)\n    {\n        IntPtr h;\n"
        '        if (LogonUser(UserName.Text, "CORP", Password.Text, 3, 0, out h))\n        {\n'
        "            CloseHandle(h);\n            FormsAuthentication.RedirectFromLoginPage(UserName.Text, false);\n"
        '        }\n        else Message.Text = "Wrong user name or password.";\n    }\n</script>\n',
    ),
    (
        "typed-account-reads-a-fixed-share",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n'
        '<%@ Import Namespace="System.Runtime.InteropServices" %>\n<%@ Import Namespace="System.Security.Principal" %>\n'
        '<script runat="server">\n    [DllImport("advapi32.dll")]\n'
        "    static extern bool LogonUser(string u, string d, string p, int t, int v, out IntPtr h);\n"
        "    void Show_Click(object s, EventArgs e)\n    {\n        IntPtr h;\n"
        '        if (!LogonUser(UserName.Text, "CORP", Password.Text, 9, 0, out h)) return;\n'
        "        using (new WindowsIdentity(h).Impersonate())\n        {\n"
        '            Report.Text = File.ReadAllText(@"\\\\fs01\\reports\\today.csv");\n'
        '            Drop.DataSource = Directory.GetFiles(@"\\\\fs01\\drop");\n            Drop.DataBind();\n'
        "        }\n    }\n</script>\n",
    ),
    (
        "service-account-from-web-config-lists-a-folder",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n'
        '<%@ Import Namespace="System.Runtime.InteropServices" %>\n<%@ Import Namespace="System.Security.Principal" %>\n'
        '<script runat="server">\n    [DllImport("advapi32.dll")]\n'
        "    static extern bool LogonUser(string u, string d, string p, int t, int v, out IntPtr h);\n"
        "    void Page_Load(object s, EventArgs e)\n    {\n        IntPtr h;\n"
        '        LogonUser(ConfigurationManager.AppSettings["svcUser"], "CORP", '
        'ConfigurationManager.AppSettings["svcPassword"], 9, 0, out h);\n'
        '        string folder = ConfigurationManager.AppSettings["archive"];\n'
        "        using (new WindowsIdentity(h).Impersonate())\n"
        "            Files.DataSource = Directory.GetFiles(folder);\n        Files.DataBind();\n    }\n</script>\n",
    ),
]

CASES: list[RuleCase] = [
    (_CODE, CODE_SHELLS, [*CODE_ORDINARY, *AS_ORDINARY]),
    (_AS, AS_SHELLS, [*AS_ORDINARY, *CODE_ORDINARY]),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES, log_url="/aspnet_client/s.aspx")

# the two interop pages call native code with data of their own; the behaviour analysis names that apart
# (native-input), so only the rule's silence is asserted for them above
test_quiet_pages_raise_nothing = quiet_pages_test([CODE_ORDINARY[2], *AS_ORDINARY])
