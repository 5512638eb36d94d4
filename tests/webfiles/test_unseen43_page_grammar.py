"""Page spellings ASP.NET's parser accepts that the rules did not (issue 14, helper X43).

``bench/webfiles/page_grammar.py`` rewrote every rule table's pages and the shared corpus in the spellings
the page grammar allows (BENCHMARKS.md, "Page grammar variants"). Four lost rules:

* a directive without a name is the file's main directive (``TemplateParser.ProcessDirective``: "Empty
  means default"), so ``<%@ Language="C#" %>`` is a page's ``<%@ Page``, and a handler's ``<%@
  Language="C#" Class="H" %>`` its ``<%@ WebHandler`` (X8 met one in an exploit kit). The page markers
  named the directive; they now also take a first token followed by ``=``, which only a nameless
  directive has (``<%@ Import Namespace=`` keeps its name);
* ``<%Response.Write(..)%>``: a code block with no blank after ``<%`` (the parser's ``<%(?!@)``); four
  rules told code by ``<%`` and white space;
* ``<% = x %>``: an expression (``<%\\s*?=``), which the key-theft rule read as ``<%=`` only;
* ``language="js"`` on a ``<script runat="server">``: a JScript name of machine.config's compilers
  (``js;jscript;javascript``), which the script-block markers of four JScript rules left out.

The pages below are harmless files in those shapes, written here (nothing is run by the tests). The
table-wide tests hold every rule table of ``tests/webfiles`` to the same spellings.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, rule_tables, yara_rules

NAMELESS_SHELLS: list[Page] = [
    (
        "cs-nameless-page-directive",
        ".aspx",
        '<%@ Language="C#" Debug="true" %>\n<% var q = Request.Form["q"]; if (q != null) '
        'System.Diagnostics.Process.Start("cmd.exe", "/c echo " + q); %>\n',
    ),
    (
        "cs-nameless-handler-directive",
        ".ashx",
        "<%@ Language=C# Class=Probe %>\nusing System.Web;\npublic class Probe : IHttpHandler {\n"
        "  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        '    var p = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + c.Request["q"]);\n'
        "    System.Diagnostics.Process.Start(p);\n  }\n}\n",
    ),
]
NAMELESS_ORDINARY: list[Page] = [
    (
        "cs-nameless-directive-fixed-tool",
        ".aspx",
        "<%@ Language='C#' %>\n<% var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("
        '@"C:\\Tools\\report.exe") { RedirectStandardOutput = true, UseShellExecute = false });\n'
        'Response.Write(Server.HtmlEncode(p.StandardOutput.ReadToEnd()) + " " + Request.Form.Count); %>\n',
    ),
    (
        "cs-nameless-directive-fixed-cmd-no-input",
        ".aspx",
        '<%@ Language="C#" %>\n<% System.Diagnostics.Process.Start("cmd.exe", @"/c C:\\Tools\\nightly.bat"); %>\n'
        "<p>Nightly job started.</p>\n",
    ),
]
TIGHT_CODE_SHELLS: list[Page] = [
    (
        "vb-tight-code-block-pool-password",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%Dim s As New System.Diagnostics.ProcessStartInfo('
        '"appcmd.exe", "list apppool /text:processModel.password")\n'
        "s.UseShellExecute = False : s.RedirectStandardOutput = True\n"
        "Response.Write(System.Diagnostics.Process.Start(s).StandardOutput.ReadToEnd())%>\n",
    ),
]
TIGHT_CODE_ORDINARY: list[Page] = [
    (
        "vb-tight-code-block-pool-names",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%Dim s As New System.Diagnostics.ProcessStartInfo('
        '"appcmd.exe", "list apppool /text:name")\n'
        "s.UseShellExecute = False : s.RedirectStandardOutput = True\n"
        "Response.Write(System.Diagnostics.Process.Start(s).StandardOutput.ReadToEnd())%>\n",
    ),
    (
        "page-writing-a-code-marker-in-a-string",
        ".aspx",
        '<%@ Page Language="VB" %>\n<p>A quoted "<%"> opens no code. A page calling Response.Write on the '
        "output of <code>appcmd.exe list apppool /text:password</code> would show pool passwords.</p>\n",
    ),
]
SPACED_EXPRESSION_SHELLS: list[Page] = [
    (
        "vb-keys-in-spaced-expressions",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n'
        '<script runat="server">Dim m As MachineKeySection = CType(WebConfigurationManager.GetSection('
        '"system.web/machineKey"), MachineKeySection)</script>\n<% = m.ValidationKey %>|<%\t= m.DecryptionKey %>\n',
    ),
]
SPACED_EXPRESSION_ORDINARY: list[Page] = [
    (
        "vb-algorithm-names-in-spaced-expressions",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n'
        '<script runat="server">Dim m As MachineKeySection = CType(WebConfigurationManager.GetSection('
        '"system.web/machineKey"), MachineKeySection)</script>\n<% = m.Validation %>|<% = m.Decryption %>\n',
    ),
]
JS_NAME_SHELLS: list[Page] = [
    (
        "js-named-script-block-split-unsafe",
        ".aspx",
        "<script runat=server language=js>\nfunction Page_Load() {\n"
        '  var t = Request.Form("t");\n  eval(t, "uns" + "afe");\n}\n</script>\n',
    ),
]
JS_NAME_ORDINARY: list[Page] = [
    (
        "js-named-script-block-client-eval",
        ".aspx",
        '<script language="js">\nfunction run() {\n  var t = document.forms[0].t.value;\n'
        '  eval(t, "uns" + "afe");\n}\n</script>\n',
    ),
]

CASES: list[RuleCase] = [
    ("EXT_WEBSHELL_Process_Exec", NAMELESS_SHELLS, NAMELESS_ORDINARY),
    ("EXT_WEBSHELL_IIS_Stored_Credential_Dump", TIGHT_CODE_SHELLS, TIGHT_CODE_ORDINARY),
    ("EXT_WEBSHELL_MachineKey_Theft", SPACED_EXPRESSION_SHELLS, SPACED_EXPRESSION_ORDINARY),
    ("EXT_WEBSHELL_JScript_Eval_Unsafe_Split", JS_NAME_SHELLS, JS_NAME_ORDINARY),
]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)

#: The directive a file type reads as its main one: the one a nameless directive stands for.
_MAIN = {
    ".aspx": "Page",
    ".ascx": "Control",
    ".master": "Master",
    ".ashx": "WebHandler",
    ".asmx": "WebService",
}


def _nameless(page: str, ext: str) -> str:
    main = _MAIN.get(ext)
    if main is None:
        return page
    return re.sub(rf"(<%\s*@\s*){main}\s+(?=\w[\w:]*\s*=)", r"\1", page, count=1, flags=re.I)


#: A main directive's attributes that can go with it (nothing else needs them for the page to compile and
#: serve); the file's main directive, by extension (X46, session 19).
_DROPPABLE = {
    "language", "debug", "validaterequest", "enableviewstate", "enableviewstatemac", "enableeventvalidation",
    "autoeventwireup", "trace", "codepage", "responseencoding", "enablesessionstate", "aspcompat", "buffer",
}  # fmt: skip
_DROPS = {".aspx": "page", ".ascx": "control", ".master": "master", ".asax": "application"}
#: The languages a site's ``defaultLanguage`` commonly names; JScript pages lose their directive in a spelling of
#: their own (a site defaulting to JScript: the JScript rules read the language from the directive until X49's
#: code-block markers, session 20).
_DEFAULT_LANGUAGES = {"vb", "vbs", "visualbasic", "vbscript", "c#", "cs", "csharp"}
_JSCRIPT = {"js", "jscript", "javascript"}
_DIRECTIVE = re.compile(r"<%\s*@(.*?)%>", re.S)
_ATTR = re.compile(r"""\s*(\w[\w:]*)(\s*=\s*("[^"]*"|'[^']*'|[^\s"'%>]*))?""")


def _no_directive(page: str, ext: str, languages: frozenset[str] = frozenset(_DEFAULT_LANGUAGES)) -> str:
    """The page without its main directive when that names nothing but droppable attributes and one of
    ``languages`` (VB or C#; JScript by name only): ASP.NET then compiles the page in ``<compilation
    defaultLanguage>`` (VB when unset; C# or JScript where set)."""

    def one(m: re.Match[str]) -> str:
        body, pos, names = m.group(1).rstrip(), 0, []
        while pos < len(body):
            a = _ATTR.match(body, pos)
            if a is None or a.end() == pos:
                return m.group(0)
            names.append((a.group(1).lower(), a.group(3)))
            pos = a.end()
        if not names or names[0][1] is not None or names[0][0] != _DROPS[ext]:
            return m.group(0)
        language = next((v.strip("\"'").lower() for n, v in names if n == "language" and v), "vb")
        keep = not {n for n, _ in names[1:]} <= _DROPPABLE or language not in languages
        return m.group(0) if keep else ""

    return _DIRECTIVE.sub(one, page) if ext in _DROPS else page


#: Each spelling as a rewrite of a table page (the page is left out where it does not change it).
SPELLINGS: dict[str, Callable[[str, str], str]] = {
    "spaced-directive": lambda page, _ext: page.replace("<%@", "<% @"),  # X42: ShellForge's '<% @ Page'
    "nameless-main-directive": _nameless,
    "tight-code-block": lambda page, _ext: re.sub(r"<%[ \t\r\n]+(?=[^@=:#$\-\s])", "<%", page),
    "spaced-expression": lambda page, _ext: page.replace("<%=", "<% ="),
    "no-directive": _no_directive,
    "no-directive-js": lambda page, ext: _no_directive(page, ext, frozenset(_JSCRIPT)),
    "js-language-name": lambda page, _ext: re.sub(
        r"""(\blanguage\s*=\s*["']?)(jscript|javascript)\b""", r"\1js", page, flags=re.I
    ),
}

#: The rule tables of the web file test modules (each holds ``CASES``), this one included.
_TABLE_MODULES = sorted(
    p.stem
    for p in Path(__file__).parent.glob("test_*.py")
    if re.search(r"^CASES\b", p.read_text(encoding="utf-8"), re.M)
)


def _rows(shells: bool) -> list[tuple[str, str, str, str]]:
    """(rule, id, extension, rewritten page) of every table page a spelling changes."""
    rows = []
    for name in _TABLE_MODULES:
        cases: list[RuleCase] = importlib.import_module(f"{__package__}.{name}").CASES
        for rule, found, ordinary in cases:
            for case, ext, page in found if shells else ordinary:
                for spelling, rewrite in SPELLINGS.items():
                    new = rewrite(page, ext)
                    if new != page:
                        rows.append((rule, f"{spelling}-{name}-{case}", ext, new))
    return rows


_SHELLS = _rows(shells=True)
_ORDINARY = _rows(shells=False)


def test_the_tables_hold_rewritten_pages() -> None:
    """The two tests below check something: each spelling rewrites table pages of both kinds."""
    for spelling in SPELLINGS:
        assert sum(r[1].startswith(spelling) for r in _SHELLS) >= 2, spelling
        assert sum(r[1].startswith(spelling) for r in _ORDINARY) >= 1, spelling
    assert len(_SHELLS) > 250


@pytest.mark.parametrize(("rule", "case", "ext", "page"), _SHELLS, ids=[r[1] for r in _SHELLS])
def test_shell_in_another_spelling_is_found(
    tmp_path: Path, params: content.ContentParams, rule: str, case: str, ext: str, page: str
) -> None:
    assert rule in yara_rules(tmp_path, f"x{ext}", page, params)


@pytest.mark.parametrize(("rule", "case", "ext", "page"), _ORDINARY, ids=[r[1] for r in _ORDINARY])
def test_ordinary_page_in_another_spelling_is_not_flagged(
    tmp_path: Path, params: content.ContentParams, rule: str, case: str, ext: str, page: str
) -> None:
    assert rule not in yara_rules(tmp_path, f"x{ext}", page, params)
