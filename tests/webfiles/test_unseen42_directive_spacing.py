"""Rules from the forty-second unseen collection: pages embedded in 2025-2026 attack tools (issue 14, helper X42).

On first sight (BENCHMARKS.md, "Unseen shells, forty-second collection") the own rules found every page, and the
YARA rules every page but one of the second part: ShellForge, a 2025 shell generator, writes its ASPX page as
``<% @ Page Language="C#" %>`` - white space between ``<%`` and ``@``, which ASP.NET's directive parser allows
(``<%\\s*@``). ``EXT_WEBSHELL_Process_Exec`` knew a server page by ``<%@`` (or ``runat=server``), so only the
behaviour analysis named it. Every ``<%@`` page marker of the shipped rules now takes the space (17 markers in
ten files), and the four rules that told a code block by ``"<% "`` no longer take such a directive for code (a help
page writing its directive ``<% @ Page`` would otherwise have counted as server code).

The pages below are harmless files in that shape, written here (nothing is run by the tests, none is a copy of the
collected page). The second pair of tests holds every rule table of ``tests/webfiles`` to the same spelling: each
shell written with ``<%@`` is still found, and each ordinary page still left alone, when its directives are written
``<% @``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, rule_tables, yara_rules

_PROCESS = "EXT_WEBSHELL_Process_Exec"

SPACED_DIRECTIVE_SHELLS: list[Page] = [
    (
        "cs-spaced-page-directive-inline-block",
        ".aspx",
        '<% @ Page Language="C#" %><% var q = Request.Form["q"]; if (q != null) '
        'System.Diagnostics.Process.Start("cmd.exe", "/c echo " + q); %>',
    ),
    (
        "vb-tab-spaced-page-directive",
        ".aspx",
        '<%\t@ Page Language="VB" %>\n<%\n'
        'Dim i As New System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " & Request.QueryString("q"))\n'
        "i.UseShellExecute = False\nSystem.Diagnostics.Process.Start(i)\n%>\n",
    ),
    (
        "cs-spaced-handler-directive",
        ".ashx",
        '<%  @ WebHandler Language="C#" Class="Probe" %>\n'
        "using System.Web;\npublic class Probe : IHttpHandler {\n"
        "  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        '    var p = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + c.Request["q"]);\n'
        "    System.Diagnostics.Process.Start(p);\n  }\n}\n",
    ),
]

SPACED_DIRECTIVE_ORDINARY: list[Page] = [
    (
        "cs-spaced-directive-echo-page",
        ".aspx",
        '<% @ Page Language="C#" %><% var q = Request.Form["q"]; %>\n'
        "<html><body><p>You searched for <%: q %></p></body></html>\n",
    ),
    (
        "cs-spaced-directive-fixed-report-tool",
        ".aspx",
        '<% @ Page Language="C#" %>\n<% int page = int.Parse(Request.QueryString["page"] ?? "1");\n'
        'var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(@"C:\\Tools\\report.exe")'
        " { RedirectStandardOutput = true, UseShellExecute = false });\n"
        'Response.Write(Server.HtmlEncode(p.StandardOutput.ReadToEnd()) + " (page " + page + ")"); %>\n',
    ),
]

CASES: list[RuleCase] = [(_PROCESS, SPACED_DIRECTIVE_SHELLS, SPACED_DIRECTIVE_ORDINARY)]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)

#: The rule tables of the other web file test modules (each holds ``CASES``).
_TABLE_MODULES = (
    "test_benign12",
    "test_unseen7",
    "test_unseen8_reports",
    "test_unseen8_tools",
    "test_unseen12_found",
    "test_unseen13_intl",
    "test_unseen14_found",
    "test_unseen15_kits",
    "test_unseen16_sample",
    "test_unseen18_big",
    "test_unseen19_notes",
    "test_unseen20_new",
    "test_unseen21_names",
    "test_unseen22_kinds",
    "test_unseen23_threads",
    "test_unseen24_generated",
    "test_unseen25_datasets",
    "test_unseen26_hidden",
    "test_unseen29_small",
    "test_unseen30_sites",
    "test_unseen31_classic",
    "test_unseen32_memshells",
    "test_unseen33_products",
    "test_unseen34_ordinary",
    "test_unseen36_tunnels",
    "test_unseen37_sharepoint",
    "test_unseen38_markup",
    "test_unseen39_razor",
    "test_unseen40_sample",
    "test_unseen41_sample",
)


def _spaced(shells: bool) -> list[tuple[str, str, str, str]]:
    """(rule, file name, extension, page with every ``<%@`` written ``<% @``) of every table page holding one."""
    rows = []
    for name in _TABLE_MODULES:
        cases: list[RuleCase] = importlib.import_module(f"{__package__}.{name}").CASES
        for rule, found, ordinary in cases:
            for case, ext, page in found if shells else ordinary:
                if "<%@" in page:
                    rows.append((rule, f"{name}-{case}", ext, page.replace("<%@", "<% @")))
    return rows


_SPACED_SHELLS = _spaced(shells=True)
_SPACED_ORDINARY = _spaced(shells=False)


def test_the_tables_hold_spaced_pages() -> None:
    """The two tests below check something: most table pages carry a directive to rewrite."""
    assert len(_SPACED_SHELLS) > 150
    assert len(_SPACED_ORDINARY) > 200


@pytest.mark.parametrize(("rule", "case", "ext", "page"), _SPACED_SHELLS, ids=[r[1] for r in _SPACED_SHELLS])
def test_shell_with_spaced_directive_is_found(
    tmp_path: Path, params: content.ContentParams, rule: str, case: str, ext: str, page: str
) -> None:
    assert rule in yara_rules(tmp_path, f"{case}{ext}", page, params)


@pytest.mark.parametrize(
    ("rule", "case", "ext", "page"), _SPACED_ORDINARY, ids=[r[1] for r in _SPACED_ORDINARY]
)
def test_ordinary_page_with_spaced_directive_is_not_flagged(
    tmp_path: Path, params: content.ContentParams, rule: str, case: str, ext: str, page: str
) -> None:
    assert rule not in yara_rules(tmp_path, f"{case}{ext}", page, params)
