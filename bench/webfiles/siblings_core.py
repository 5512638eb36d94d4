"""The Razor and ASP.NET Core axis of ``siblings.py``: each seed whose behaviour exists in ASP.NET Core, written in
Core's containers and read from Core's request (issue 14, helper X47).

X44's siblings vary the WebForms ways (``.aspx``, handlers, code-behind, App_Code); a shell on an Exchange server's
IIS may as well be a Razor view or a Core site's source. This writes a seed's baseline sink spelling (its WebForms
request objects turned into Core's: ``Request.Query``, ``Response.WriteAsync``, the body stream) into:

* ``cshtml-block``     - a Razor view, the code in ``@{ }`` (members in ``@functions``);
* ``cshtml-functions`` - the code in a ``@functions`` method the view calls;
* ``razor-page``       - ``@page`` with its handler ``OnGet(string x)`` in ``@functions`` (the page is its model);
* ``page-model``       - ``@page`` + ``@model`` view beside a ``PageModel`` in ``.cshtml.cs``;
* ``vbhtml``           - an ASP.NET Web Pages VB view (``@Code``/``@Functions``; the seed's VB spelling);
* ``mvc-controller``   - ``Controllers/RunController.cs``, an action ``public IActionResult Run(string x)``;
* ``minimal-api``      - ``Program.cs``, ``app.MapGet("/x", (HttpContext ctx, string x) => ...)``;
* ``middleware``       - ``Program.cs``, ``app.Use(async (context, next) => ...)`` reading ``context.Request``.

and varies the request source in a view (``cshtml-block``: an expression) and in a controller (expressions and
bound parameters: ``[FromQuery]``, ``[FromForm]``, ``[FromBody]``, ``[FromHeader]``, ``IFormFile``). A ``.cs``
outside ``App_Code`` is read by YARA only, as ``extriage scan`` does (ASP.NET compiles no Core source at run time:
it is in the site's DLL); a ``.cshtml``/``.vbhtml`` by YARA and the behaviour analysis. Twins as in
``siblings.py``: the request value a literal (a bound parameter stays declared, unused).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from siblings import SEEDS, Seed, Sibling, Spelling, _in_handler, _prog, body

from extriage.detections.webfiles import content

#: Seeds whose behaviour exists in Core (no WebForms-only API: Session objects, XsltSettings scripts, CodeDom
#: compiling, WindowsIdentity.Impersonate, COM certificate enrolment, ConfigurationManager).
CORE_SEEDS = (
    "pinvoke-process", "roslyn-script", "tcp-listener", "pipe-relay", "upload-app-root", "wmi-process",
    "reflected-load", "request-to-page", "sql-xp-cmdshell", "powershell", "process-program", "cmd-output",
    "aes-load", "helper-load", "native-delegate", "com-download",
)  # fmt: skip
#: A Core spelling where the seed's first one is WebForms' own API.
CORE_SPELLING: dict[str, Spelling] = {
    # X13's COM download (XMLHTTP + ADODB.Stream.SaveToFile) as Core writes an outbound fetch into the site
    "com-download": body(
        "var h = new System.Net.Http.HttpClient();",
        'File.WriteAllBytes(Path.Combine(AppContext.BaseDirectory, "wwwroot", "n.cshtml"), '
        "h.GetByteArrayAsync({v}).Result);",
    ),
    "upload-app-root": body(
        "using (var f = new FileStream(Path.Combine(AppContext.BaseDirectory, {v}), FileMode.Create)) "
        "Request.Form.Files[0].CopyTo(f);"
    ),
}
CONTAINERS = ("cshtml-block", "cshtml-functions", "razor-page", "page-model", "mvc-controller", "minimal-api",
              "middleware")  # fmt: skip
#: Request sources: (expression or parameter declaration, value). A declaration makes the source a bound
#: parameter of the action (containers with an action only).
SOURCES: dict[str, tuple[str, str]] = {
    "query": ("", 'Request.Query["x"]'),
    "form": ("", 'Request.Form["x"]'),
    "headers": ("", 'Request.Headers["X-Token"]'),
    "httpcontext-request": ("", 'HttpContext.Request.Query["x"]'),
    "context-request": ("", 'Context.Request.Form["x"]'),
    "body": ("", "new StreamReader(Request.Body).ReadToEndAsync().Result"),
    "form-file": ("", "new StreamReader(Request.Form.Files[0].OpenReadStream()).ReadToEnd()"),
    "form-file-name": ("", "Request.Form.Files[0].FileName"),
    "webpages-index": ("", 'Request["x"]'),
    "bound": ("string x", "x"),
    "from-query": ("[FromQuery] string x", "x"),
    "from-form": ('[FromForm(Name = "c")] string x', "x"),
    "from-body": ("[FromBody] string x", "x"),
    "from-header": ('[FromHeader(Name = "X-Token")] string x', "x"),
    "iformfile-name": ("IFormFile x", "x.FileName"),
}
_VIEW_SOURCES = (
    "query",
    "form",
    "headers",
    "context-request",
    "body",
    "form-file",
    "form-file-name",
    "webpages-index",
)
_USINGS = ("System", "System.IO", "System.Text", "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Mvc")
_MARKUP = "<html><body><pre>done</pre></body></html>\n"
#: Seeds that start a command interpreter whatever its text: in a Razor view that is a shell by design (X39's
#: ``razor-interpreter`` and ``EXT_WEBSHELL_Razor_Page_Starts_Interpreter`` name a view running ``cmd /c whoami``).
_VIEW_SHELLS = frozenset({"cmd-output"})
_VIEWS = frozenset({"cshtml-block", "cshtml-functions", "razor-page", "vbhtml"})


def _paren_end(text: str, start: int) -> int:
    """The index after the parenthesis closing the one opened at ``start`` (strings skipped)."""
    depth, i, quote = 0, start, ""
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def core_text(text: str) -> str:
    """WebForms request objects in Core's spelling: the query, the body stream, ``Response.WriteAsync``, a path
    under the content root for ``Server.MapPath``."""
    text = re.sub(r"\bRequest\.QueryString\b", "Request.Query", text)
    text = text.replace(
        "Request.BinaryRead(Request.ContentLength)",
        "new BinaryReader(Request.Body).ReadBytes((int)Request.ContentLength)",
    )
    text = re.sub(r"(?<![\w.])Server\.MapPath\(", "Path.GetFullPath(", text)
    out, at = [], 0
    for m in re.finditer(r"(?<![\w.])Response\.Write\(", text):
        if m.start() < at:
            continue
        end = _paren_end(text, m.end() - 1)
        out += [
            text[at : m.start()],
            f"Response.WriteAsync(Convert.ToString({text[m.end() : end - 1]})).Wait()",
        ]
        at = end
    return "".join(out) + text[at:]


def _cs_files(
    container: str, members: str, stmts: str, param: str, imports: list[str]
) -> tuple[tuple[str, str, str | None], ...]:
    using = "".join(f"using {i};\n" for i in [*_USINGS, *imports])
    at_using = "".join(f"@using {i}\n" for i in imports)
    if container == "cshtml-block":
        funcs = f"@functions {{\n{members}\n}}\n" if members.strip() else ""
        return (("Views/Home/Run.cshtml", f"{at_using}{funcs}@{{\n{stmts}\n}}\n{_MARKUP}", None),)
    if container == "cshtml-functions":
        return (("Views/Home/Run.cshtml", f"{at_using}@functions {{\n{members}\nvoid Run()\n{{\n{stmts}\n}}\n}}\n"
                 f"@{{ Run(); }}\n{_MARKUP}", None),)  # fmt: skip
    if container == "razor-page":
        return (("Pages/Run.cshtml", f"@page\n{at_using}@functions {{\n{members}\npublic void OnGet({param})\n"
                 f"{{\n{stmts}\n}}\n}}\n{_MARKUP}", None),)  # fmt: skip
    if container == "page-model":
        view = "@page\n@model RunModel\n<html><body><pre>@Model.Output</pre></body></html>\n"
        code = (
            f"{using}using Microsoft.AspNetCore.Mvc.RazorPages;\n\npublic class RunModel : PageModel\n{{\n"
            f'public string Output {{ get; set; }} = "";\n{members}\npublic void OnGet({param})\n{{\n{stmts}\n}}\n}}\n'
        )
        return (("Pages/Run.cshtml", view, None), ("Pages/Run.cshtml.cs", code, None))  # fmt: skip
    if container == "mvc-controller":
        return (("Controllers/RunController.cs", f"{using}\npublic class RunController : Controller\n{{\n{members}\n"
                 f"public IActionResult Run({param})\n{{\n{stmts}\nreturn Content(\"\");\n}}\n}}\n", None),)  # fmt: skip
    head = f"{using}\nvar builder = WebApplication.CreateBuilder(args);\nvar app = builder.Build();\n"
    tail = f"app.Run();\n\npublic partial class Program\n{{\n{members}\n}}\n"
    if container == "minimal-api":
        params = ", ".join(p for p in ("HttpContext ctx", param) if p)
        code = _in_handler(stmts, "cs", "ctx")
        return (
            (
                "Program.cs",
                f'{head}app.MapGet("/x", ({params}) =>\n{{\n{code}\nreturn "";\n}});\n{tail}',
                None,
            ),
        )
    if container == "middleware":
        code = _in_handler(stmts, "cs", "context")
        return (
            (
                "Program.cs",
                f"{head}app.Use(async (context, next) =>\n{{\n{code}\nawait next();\n}});\n{tail}",
                None,
            ),
        )
    raise ValueError(container)


def _vbhtml(members: str, stmts: str, imports: list[str]) -> tuple[tuple[str, str, str | None], ...]:
    at_imports = "".join(f"@Imports {i}\n" for i in imports)
    funcs = f"@Functions\n{members}\nEnd Functions\n" if members.strip() else ""
    return (("Run.vbhtml", f"{at_imports}{funcs}@Code\n{stmts}\nEnd Code\n{_MARKUP}", None),)


def _one(seed: Seed, axis: str, container: str, source: str) -> Sibling:
    spelling = CORE_SPELLING.get(seed.name) or next(iter(seed.cs.values()))
    param, value = SOURCES[source]
    if param and container in ("cshtml-block", "cshtml-functions"):
        raise ValueError(f"{container} has no action to bind {source}")

    def files(v: str) -> tuple[tuple[str, str, str | None], ...]:
        prog = _prog(seed, "cs", spelling, v)
        members = core_text("\n".join(prog.members))
        stmts = core_text("\n".join(prog.body))
        return _cs_files(container, members, stmts, param, prog.imports)

    quiet = seed.twin_quiet and not (seed.name in _VIEW_SHELLS and container in _VIEWS)
    return Sibling(seed.name, axis, f"cs:{container}/{source}", quiet, files(value), files(seed.lit))


def _one_vb(seed: Seed) -> Sibling:
    spelling = next(iter(seed.vb.values()))

    def files(v: str) -> tuple[tuple[str, str, str | None], ...]:
        prog = _prog(seed, "vb", spelling, v)
        return _vbhtml("\n".join(prog.members), "\n".join(prog.body), prog.imports)

    quiet = seed.twin_quiet and seed.name not in _VIEW_SHELLS
    return Sibling(seed.name, "core-container", "vb:vbhtml/querystring", quiet,
                   files('Request.QueryString("x")'), files(seed.lit))  # fmt: skip


def core_siblings(names: list[str] | None = None, sources_read: bool = False) -> Iterator[Sibling]:
    """Every Core seed in every Core container (its baseline source: ``Request.Query`` in a view, a bound
    parameter where there is an action), then every source in a view and in a controller. ``sources_read``: what
    if a Core source (``.cs``) were behaviour-analysed as ASP.NET's own compiled sources are (not what the scan
    does: a measure for deciding whether it should)."""
    for sib in _core_siblings(names):
        if sources_read:
            sib = replace(sib, files=_as_compiled(sib.files), twin=_as_compiled(sib.twin))
        yield sib


def _as_compiled(files: tuple[tuple[str, str, str | None], ...]) -> tuple[tuple[str, str, str | None], ...]:
    return tuple((n, t, content.APP_CODE if n.endswith(".cs") else c) for n, t, c in files)


def _core_siblings(names: list[str] | None) -> Iterator[Sibling]:
    for seed in SEEDS:
        if seed.name not in CORE_SEEDS or (names and seed.name not in names):
            continue
        for c in CONTAINERS:
            # (a middleware binds no parameter: it reads the request itself)
            yield _one(seed, "core-container", c, "query" if c.startswith("cshtml") or c == "middleware" else "bound")
        if seed.vb:
            yield _one_vb(seed)
        for s in _VIEW_SOURCES:
            if s != "query" and (s != "form-file-name" or seed.source == "files-name"):
                yield _one(seed, "core-source", "cshtml-block", s)
        for s in SOURCES:
            if s != "bound" and (not s.endswith("-name") or seed.source == "files-name"):
                yield _one(seed, "core-source", "mvc-controller", s)
