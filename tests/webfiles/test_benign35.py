"""ASP.NET Core code beside its views: closest quiet shapes (issue 14, helper B20).

The benign set of session 17 (``/tmp/benign35``, never in the project; BENCHMARKS.md, "False positives on unseen
benign pages XIX: ASP.NET Core code") is made of real ASP.NET Core files of many applications: controllers, Razor
PageModels, middleware, a minimal-API ``Program.cs``, services beside them, two views and a Blazor code-behind,
drawn in two strata - seeded strings in the order the index returned them, and the files most likely to look like
a shell (controllers that start ffmpeg, git, a deploy script or ``ps``; uploads; request proxies; an API tester; a
browser C# compiler). On first sight nothing in it raised a finding, own rules or signature-base.

The files below are written for these tests (no line is copied from the applications) in the shapes of the set's
files that sit closest to a shell: a controller running a fixed tool on arguments it checks against a list, an
``IFormFile`` upload stored under a generated name in a fixed folder, a typed ``HttpClient`` on a configured base
address, and the same tool and client used from single-file Razor Pages (which IIS compiles at run time, so the
behaviour analysis reads them). They must raise no finding at all. Each has a one-line variant (``MUTANTS``) that
hands the request to the sink - the command interpreter, the path written, the URL fetched - and must be found, so
the tests can fail. The upload stored under a generated name from a single-file Razor Page is the one Core shape
the behaviour analysis misread (``file-write-content``, where the classic ``SaveAs``/``CopyTo`` of the same shape
stays quiet) until A10 read a name's extension alone as naming no file (session 17).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import content

from .rule_tables import Page, behaviour_sinks, page_hits, quiet_pages_test, shown, yara_rules

_EP = "EXT_WEBSHELL_Core_Endpoint_Runs_Shell_Text"

_REPORT_CONTROLLER_RUNS_A_FIXED_TOOL = (
    "using System;\n"
    "using System.Diagnostics;\n"
    "using Microsoft.AspNetCore.Mvc;\n"
    "\n"
    "[ApiController]\n"
    '[Route("api/reports")]\n'
    "public class ReportsController : ControllerBase\n"
    "{\n"
    '    private static readonly string[] Formats = { "pdf", "png" };\n'
    "\n"
    '    [HttpPost("render/{id:int}")]\n'
    "    public IActionResult Render(int id, string format)\n"
    "    {\n"
    "        if (Array.IndexOf(Formats, format) < 0) return BadRequest();\n"
    '        var psi = new ProcessStartInfo("wkhtmltopdf") { RedirectStandardError = true };\n'
    '        psi.ArgumentList.Add($"https://localhost/reports/{id}");\n'
    '        psi.ArgumentList.Add($"/var/reports/{id}.{format}");\n'
    "        using var p = Process.Start(psi);\n"
    "        p!.WaitForExit(30000);\n"
    "        return Ok(new { id, format });\n"
    "    }\n"
    "}\n"
)

_AVATAR_UPLOAD_UNDER_A_GENERATED_NAME = (
    "using System;\n"
    "using System.IO;\n"
    "using System.Threading.Tasks;\n"
    "using Microsoft.AspNetCore.Hosting;\n"
    "using Microsoft.AspNetCore.Http;\n"
    "using Microsoft.AspNetCore.Mvc;\n"
    "\n"
    "[ApiController]\n"
    '[Route("api/avatars")]\n'
    "public class AvatarsController : ControllerBase\n"
    "{\n"
    '    private static readonly string[] Allowed = { ".jpg", ".png" };\n'
    "    private readonly IWebHostEnvironment _env;\n"
    "\n"
    "    public AvatarsController(IWebHostEnvironment env) => _env = env;\n"
    "\n"
    "    [HttpPost]\n"
    "    public async Task<IActionResult> Upload(IFormFile file)\n"
    "    {\n"
    "        var ext = Path.GetExtension(file.FileName).ToLowerInvariant();\n"
    "        if (Array.IndexOf(Allowed, ext) < 0 || file.Length > 2_000_000) return BadRequest();\n"
    '        var name = Guid.NewGuid().ToString("N") + ext;\n'
    '        var path = Path.Combine(_env.WebRootPath, "avatars", name);\n'
    "        await using var stream = new FileStream(path, FileMode.Create);\n"
    "        await file.CopyToAsync(stream);\n"
    '        return Ok(new { url = "/avatars/" + name });\n'
    "    }\n"
    "}\n"
)

_TYPED_CLIENT_ON_A_CONFIGURED_BASE_ADDRESS = (
    "using System;\n"
    "using System.Net.Http;\n"
    "using System.Threading.Tasks;\n"
    "using Microsoft.AspNetCore.Mvc;\n"
    "using Microsoft.Extensions.Configuration;\n"
    "\n"
    "public class WeatherClient\n"
    "{\n"
    "    private readonly HttpClient _http;\n"
    "\n"
    "    public WeatherClient(HttpClient http, IConfiguration config)\n"
    "    {\n"
    "        _http = http;\n"
    '        _http.BaseAddress = new Uri(config["Weather:BaseUrl"]!);\n'
    "    }\n"
    "\n"
    "    public Task<string> ForecastAsync(string city) =>\n"
    '        _http.GetStringAsync("forecast?city=" + Uri.EscapeDataString(city));\n'
    "}\n"
    "\n"
    "[ApiController]\n"
    '[Route("api/weather")]\n'
    "public class WeatherController : ControllerBase\n"
    "{\n"
    "    private readonly WeatherClient _client;\n"
    "\n"
    "    public WeatherController(WeatherClient client) => _client = client;\n"
    "\n"
    '    [HttpGet("{city}")]\n'
    "    public async Task<IActionResult> Get(string city) =>\n"
    '        Content(await _client.ForecastAsync(city), "application/json");\n'
    "}\n"
)

_RAZOR_PAGE_RUNS_A_FIXED_TOOL = (
    "@page\n"
    "@using System.Diagnostics\n"
    "@functions {\n"
    '    public string Version { get; set; } = "";\n'
    "\n"
    "    public void OnGet()\n"
    "    {\n"
    '        var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true };\n'
    '        psi.ArgumentList.Add("--version");\n'
    "        using var p = Process.Start(psi);\n"
    "        Version = p!.StandardOutput.ReadToEnd().Trim();\n"
    "    }\n"
    "}\n"
    "<h1>Build agent</h1>\n"
    "<p>@Version</p>\n"
)

_RAZOR_PAGE_USES_THE_TYPED_CLIENT = (
    "@page\n"
    "@inject WeatherClient Weather\n"
    "@functions {\n"
    '    public string Forecast { get; set; } = "";\n'
    "\n"
    "    public async Task OnGetAsync(string city)\n"
    "    {\n"
    "        if (string.IsNullOrWhiteSpace(city) || city.Length > 60) return;\n"
    "        Forecast = await Weather.ForecastAsync(city);\n"
    "    }\n"
    "}\n"
    '<form method="get"><input name="city" /><button>Show</button></form>\n'
    "<pre>@Forecast</pre>\n"
)

_RAZOR_PAGE_UPLOAD_UNDER_A_GENERATED_NAME = (
    "@page\n"
    "@using System.IO\n"
    "@inject Microsoft.AspNetCore.Hosting.IWebHostEnvironment Env\n"
    "@functions {\n"
    "    public async Task OnPostAsync(IFormFile upload)\n"
    "    {\n"
    "        var ext = Path.GetExtension(upload.FileName).ToLowerInvariant();\n"
    '        if (ext != ".jpg" && ext != ".png") return;\n'
    '        var name = Guid.NewGuid().ToString("N") + ext;\n'
    '        var path = Path.Combine(Env.WebRootPath, "uploads", name);\n'
    "        using var fs = new FileStream(path, FileMode.Create);\n"
    "        await upload.CopyToAsync(fs);\n"
    "    }\n"
    "}\n"
    '<form method="post" enctype="multipart/form-data"><input type="file" name="upload" /><button>Send</button></form>\n'
)

QUIET_PAGES: list[Page] = [
    ("report-controller-runs-a-fixed-tool", ".cs", _REPORT_CONTROLLER_RUNS_A_FIXED_TOOL),
    ("avatar-upload-under-a-generated-name", ".cs", _AVATAR_UPLOAD_UNDER_A_GENERATED_NAME),
    ("typed-client-on-a-configured-base-address", ".cs", _TYPED_CLIENT_ON_A_CONFIGURED_BASE_ADDRESS),
    ("razor-page-runs-a-fixed-tool", ".cshtml", _RAZOR_PAGE_RUNS_A_FIXED_TOOL),
    ("razor-page-uses-the-typed-client", ".cshtml", _RAZOR_PAGE_USES_THE_TYPED_CLIENT),
]


def _variant(page: str, line: str, new: str) -> str:
    """``page`` with its one line ``line`` replaced by ``new`` (the line must be there, exactly once)."""
    assert page.count(line) == 1, line
    return page.replace(line, new)


#: (case, extension, check, rule or sink that must be found, page): one line of a quiet page changed so the
#: request reaches the sink.
MUTANTS: list[tuple[str, str, str, str, str]] = [
    (
        "report-controller-hands-the-format-to-cmd",
        ".cs",
        "yara",
        _EP,
        _variant(
            _REPORT_CONTROLLER_RUNS_A_FIXED_TOOL,
            '        var psi = new ProcessStartInfo("wkhtmltopdf") { RedirectStandardError = true };\n',
            '        var psi = new ProcessStartInfo("cmd.exe", "/c " + format) { RedirectStandardError = true };\n',
        ),
    ),
    (
        "razor-page-runs-the-query",
        ".cshtml",
        "behaviour",
        "process",
        _variant(
            _RAZOR_PAGE_RUNS_A_FIXED_TOOL,
            '        var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true };\n',
            '        var psi = new ProcessStartInfo(Request.Query["p"]) { RedirectStandardOutput = true };\n',
        ),
    ),
    (
        "razor-page-fetches-the-query-url",
        ".cshtml",
        "behaviour",
        "http-out",
        _variant(
            _RAZOR_PAGE_USES_THE_TYPED_CLIENT,
            "        Forecast = await Weather.ForecastAsync(city);\n",
            '        Forecast = await new System.Net.Http.HttpClient().GetStringAsync(Request.Query["u"]);\n',
        ),
    ),
    (
        "razor-page-writes-where-the-form-says",
        ".cshtml",
        "behaviour",
        "file-write",
        _variant(
            _RAZOR_PAGE_UPLOAD_UNDER_A_GENERATED_NAME,
            '        var path = Path.Combine(Env.WebRootPath, "uploads", name);\n',
            '        var path = Request.Form["to"].ToString();\n',
        ),
    ),
]

test_core_shape_beside_its_views_raises_no_finding = quiet_pages_test(QUIET_PAGES)


@pytest.mark.parametrize(("case", "ext", "check", "expected", "page"), MUTANTS, ids=[m[0] for m in MUTANTS])
def test_one_line_variant_of_a_quiet_core_shape_is_found(
    tmp_path: Path, params: content.ContentParams, case: str, ext: str, check: str, expected: str, page: str
) -> None:
    name = f"{case}{ext}"
    found = (
        yara_rules(tmp_path, name, page, params)
        if check == "yara"
        else behaviour_sinks(tmp_path, name, page, params)
    )
    assert expected in found, found


def test_each_variant_changes_one_line_of_a_quiet_page() -> None:
    """A variant that equals its quiet page (or changes more than one line) would not show the tests can fail."""
    bases = [page for _, _, page in QUIET_PAGES] + [_RAZOR_PAGE_UPLOAD_UNDER_A_GENERATED_NAME]
    for case, _, _, _, page in MUTANTS:
        changed = [
            sum(a != b for a, b in zip(base.splitlines(), page.splitlines(), strict=True))
            for base in bases
            if len(base.splitlines()) == len(page.splitlines())
        ]
        assert 1 in changed, case


def test_core_upload_controller_source_is_quiet_where_the_set_has_it(
    tmp_path: Path, params: content.ContentParams
) -> None:
    """The set's upload controllers sit in Controllers/ (compiled into the site's DLL): even one that keeps the
    client's file name - a real upload capability of ordinary sites (three of the set's six) - raises nothing
    there; only YARA reads such a source and no rule is about uploads."""
    page = _variant(
        _AVATAR_UPLOAD_UNDER_A_GENERATED_NAME,
        '        var path = Path.Combine(_env.WebRootPath, "avatars", name);\n',
        '        var path = Path.Combine(_env.WebRootPath, "avatars", file.FileName);\n',
    )
    assert page_hits(tmp_path, "Controllers/AvatarsController.cs", page, params) == []


def test_razor_page_upload_under_a_generated_name_raises_no_finding(
    tmp_path: Path, params: content.ContentParams
) -> None:
    hits = page_hits(tmp_path, "upload.cshtml", _RAZOR_PAGE_UPLOAD_UNDER_A_GENERATED_NAME, params)
    assert hits == [], shown(hits)
