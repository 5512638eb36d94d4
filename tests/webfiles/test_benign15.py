"""Hard negatives met in a fourth unseen benign set, kept silent (issue 14, helper B4).

The fourth benign set (``/tmp/benign15``, never in the project; BENCHMARKS.md, "False positives on unseen
benign applications IV") holds the server files of project scaffolding templates as a package registry
ships them (npm ``generator-aspnet`` 0.3.3: Razor views, controllers, models, migrations and IIS
``web.config`` files of ASP.NET Core projects, still carrying the generator's own ``<%= namespace %>``
placeholders), a jQuery file tree connector and a uWSGI Mono test page. It raised no finding, own rules
or signature-base, on first sight; no rule or engine change was made from it.

The files below are written for these tests (no line is copied from the packages) in the shapes of the
set that sit closest to a page a rule could read wrongly - template placeholders in the ``<%= %>``
syntax of an ASP.NET code block inside Razor views and C# files, and an IIS configuration that names the
program the ASP.NET Core module starts - and must raise no finding at all. Nothing is compiled or run.
"""

from __future__ import annotations

from .rule_tables import Page, quiet_pages_test

#: Scaffolding files of the set's shapes: no YARA rule and no behaviour sink may fire on them.
QUIET_PAGES: list[Page] = [
    (
        "razor-layout-with-template-placeholders",
        ".cshtml",
        "@using <%= namespace %>.Models\n<!DOCTYPE html>\n<html>\n<head>\n"
        '    <meta charset="utf-8" />\n    <title>@ViewData["Title"] - <%= namespace %></title>\n'
        '    <link rel="stylesheet" href="~/css/site.css" />\n</head>\n<body>\n'
        '    <nav><a asp-controller="Home" asp-action="Index"><%= namespace %></a></nav>\n'
        '    <div class="container">@RenderBody()</div>\n'
        "    <footer><p>&copy; 2017 - <%= namespace %></p></footer>\n"
        '    @RenderSection("Scripts", required: false)\n</body>\n</html>\n',
    ),
    (
        "razor-sign-in-view-with-template-model",
        ".cshtml",
        "@model <%= namespace %>.Models.AccountViewModels.SignInModel\n"
        '@{ ViewData["Title"] = "Sign in"; }\n<h2>@ViewData["Title"]</h2>\n'
        '<form asp-controller="Account" asp-action="SignIn" method="post">\n'
        '    <div asp-validation-summary="All" class="text-danger"></div>\n'
        '    <input asp-for="Email" class="form-control" />\n'
        '    <input asp-for="Password" class="form-control" />\n'
        '    <button type="submit" class="btn">Sign in</button>\n</form>\n'
        '@section Scripts { @{ await Html.RenderPartialAsync("_ValidationScriptsPartial"); } }\n',
    ),
    (
        "App_Code/controller-with-template-namespace",
        ".cs",
        "using System.Threading.Tasks;\nusing Microsoft.AspNetCore.Mvc;\nusing <%= namespace %>.Services;\n\n"
        "namespace <%= namespace %>.Controllers\n{\n    public class ProfileController : Controller\n    {\n"
        "        private readonly INotifier _notifier;\n"
        "        public ProfileController(INotifier notifier) { _notifier = notifier; }\n\n"
        "        [HttpPost]\n        public async Task<IActionResult> Save(string displayName)\n        {\n"
        "            if (!ModelState.IsValid) { return View(); }\n"
        '            await _notifier.SendAsync("profile saved for " + displayName);\n'
        '            return RedirectToAction("Index");\n        }\n    }\n}\n',
    ),
    (
        "migration-with-template-entity-names",
        ".cs",
        "using Microsoft.EntityFrameworkCore.Migrations;\n\n"
        "namespace <%= namespace %>.Data.Migrations\n{\n    public partial class StartSchema : Migration\n    {\n"
        "        protected override void Up(MigrationBuilder mb)\n        {\n"
        '            mb.Sql("CREATE INDEX IX_Users_Name ON Users (NormalizedName)");\n'
        '            mb.DropTable(name: "OldSessions");\n        }\n    }\n}\n',
    ),
    (
        "web-aspnetcore-module-launcher",
        ".config",
        '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <system.webServer>\n    <handlers>\n'
        '      <add name="aspNetCore" path="*" verb="*" modules="AspNetCoreModule" resourceType="Unspecified" />\n'
        "    </handlers>\n"
        '    <aspNetCore processPath="%LAUNCHER_PATH%" arguments="%LAUNCHER_ARGS%" stdoutLogEnabled="false"\n'
        '                stdoutLogFile=".\\logs\\stdout" forwardWindowsAuthToken="false" />\n'
        "  </system.webServer>\n</configuration>\n",
    ),
]


test_scaffolding_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
