"""Pages of expressions only, with no directive, keep their rules (issue 14, helper X49, session 20).

X46 (session 19) made a code block (``<%`` then code) a page marker beside the directive and ``runat=server``:
ASP.NET compiles a page with no directive in the site's ``defaultLanguage``. A page whose only server code is
expressions (``<%= ... %>``, ``<%: ... %>``) compiles the same way, but the marker left expressions out, so such a
page lost every rule that wants a page marker (X46's left item). The marker (``$block`` in each rule file) now
takes an expression too; bindings (``<%#``), directives, expression builders (``<%$``) and comments stay out. The
JScript eval rules' code-block marker (X49, same session) takes an expression holding ``eval`` likewise.

The shells below are harmless one-line pages in the shapes of the rules' own shells (nothing is compiled or run);
the ordinary pages are expression-only pages an application writes.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, quiet_pages_test, rule_tables

PROCESS: list[Page] = [
    (
        "cs-expression-process-output",
        ".aspx",
        '<%= System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + Request["c"])'
        " { UseShellExecute = false, RedirectStandardOutput = true }).StandardOutput.ReadToEnd() %>\n",
    ),
]
LOADERS: list[Page] = [
    (
        "cs-expression-assembly-load",
        ".aspx",
        '<%= System.Reflection.Assembly.Load(Convert.FromBase64String(Request.Form["a"])).CreateInstance("P")'
        ".Equals(Context) %>\n",
    ),
]
KEYS: list[Page] = [
    (
        "cs-encoded-expressions-machine-keys",
        ".aspx",
        "<%: ((System.Web.Configuration.MachineKeySection)System.Web.Configuration.WebConfigurationManager"
        '.GetSection("system.web/machineKey")).ValidationKey %>\n'
        "<%: ((System.Web.Configuration.MachineKeySection)System.Web.Configuration.WebConfigurationManager"
        '.GetSection("system.web/machineKey")).DecryptionKey %>\n',
    ),
]
SECRETS: list[Page] = [
    (
        "cs-expression-connection-string",
        ".aspx",
        '<html><body><%: System.Configuration.ConfigurationManager.ConnectionStrings[Request["n"]].ConnectionString %>'
        "</body></html>\n",
    ),
]
JSCRIPT: list[Page] = [
    ("js-expression-eval-unsafe", ".aspx", '<%= eval(Request.Item["c"], "unsafe") %>\n'),
]

#: Expression-only pages an application writes: each rule must leave them alone.
ORDINARY: list[Page] = [
    ("cs-expression-date-and-encoded-query", ".aspx", '<p><%= DateTime.Now.ToString("d") %> <%: Request.QueryString["q"] %></p>\n'),
    ("cs-expression-app-setting", ".aspx", '<p><%: System.Configuration.ConfigurationManager.AppSettings["Title"] %></p>\n'),
    ("vb-expression-server-name", ".aspx", "<p><%= Server.HtmlEncode(Environment.MachineName) %></p>\n"),
    ("js-binding-eval-of-a-field", ".aspx", '<asp:Repeater runat="server"><ItemTemplate><%# Eval("Name") %></ItemTemplate></asp:Repeater>\n'),
    ("template-of-another-engine", ".html", "<ul><% items.forEach(function (i) { %><li><%= i.name %></li><% }); %></ul>\n"),
]  # fmt: skip

CASES: list[RuleCase] = [
    ("EXT_WEBSHELL_Process_Exec", PROCESS, ORDINARY),
    ("EXT_WEBSHELL_Assembly_Load_Base64", LOADERS, ORDINARY),
    ("EXT_WEBSHELL_MachineKey_Theft", KEYS, ORDINARY),
    ("EXT_WEBSHELL_Connection_String_Named_By_Request", SECRETS, ORDINARY),
    ("EXT_WEBSHELL_JScript_Eval_Security_Option", JSCRIPT, ORDINARY),
]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)

#: The application's expression-only pages raise nothing at all.
test_ordinary_page_raises_no_finding = quiet_pages_test(ORDINARY)
