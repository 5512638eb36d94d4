"""Behaviour engine, session 13 (issue 14, A6).

Machine keys compared with a literal written on the left (``"AutoGenerate" == mk.ValidationKey``,
``"x".Equals(k.DecryptionKey)``, ``String.Equals``/``Compare`` of a key and a literal) are not read out, as
the same comparison written the other way round was not (session 12); a key that goes somewhere after such a
check, and a key compared with request input (an oracle), still count.
The pages were written for these tests: nothing is compiled or run, the names and hosts are placeholders,
and none is a copy of a real shell.
"""

from __future__ import annotations

import pytest

from extriage.detections.webfiles import behaviour

Page = tuple[str, str, str]  # (case, extension, page)

_MK_CS = (
    '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n<script runat="server">\n'
    "void Page_Load(object s, EventArgs e) {\n"
    '  var mk = (MachineKeySection)WebConfigurationManager.GetSection("system.web/machineKey");\n{}\n}}\n</script>'
)
_MK_VB = (
    '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n<script runat="server">\n'
    "Sub Page_Load(s As Object, e As EventArgs)\n"
    '  Dim mk As MachineKeySection = CType(WebConfigurationManager.GetSection("system.web/machineKey"), '
    "MachineKeySection)\n{}\nEnd Sub\n</script>"
)


def _cs(body: str) -> str:
    return _MK_CS.replace("{}", body, 1).replace("}}", "}")


def _vb(body: str) -> str:
    return _MK_VB.replace("{}", body, 1)


def _sinks(page: str, ext: str) -> set[str]:
    return {h["sink"] for h in behaviour.analyse(page.encode(), ext, budget=30).hits}


KEY_LITERAL_LEFT: list[Page] = [
    ("cs-literal-eq-key", ".aspx", _cs('  if ("AutoGenerate,IsolateApps" == mk.ValidationKey) Response.Write("generated");')),
    ("cs-literal-ne-key", ".aspx", _cs('  if ("AutoGenerate,IsolateApps" != mk.DecryptionKey) Response.Write("fixed");')),
    ("cs-literal-equals-key", ".aspx", _cs('  if ("AutoGenerate".Equals(mk.ValidationKey)) Response.Write("auto");')),
    (
        "cs-string-equals-literal-first",
        ".aspx",
        _cs(
            '  if (string.Equals("AutoGenerate,IsolateApps", mk.ValidationKey, StringComparison.OrdinalIgnoreCase))'
            ' Response.Write("auto");'
        ),
    ),
    (
        "cs-string-compare-key-first",
        ".aspx",
        _cs('  if (String.Compare(mk.DecryptionKey, "AutoGenerate,IsolateApps", true) == 0) Response.Write("auto");'),
    ),
    (
        "cs-both-keys-literal-left",
        ".aspx",
        _cs(
            '  bool auto = "AutoGenerate,IsolateApps" == mk.ValidationKey && "AutoGenerate,IsolateApps"  ==  '
            'mk.DecryptionKey;\n  Response.Write(auto ? "generated" : "fixed");'
        ),
    ),
    ("vb-literal-eq-key", ".aspx", _vb('  If "AutoGenerate,IsolateApps" = mk.ValidationKey Then Response.Write("auto")')),
]

KEY_STILL_READ: list[Page] = [
    (
        "cs-literal-left-check-then-prints",
        ".aspx",
        _cs('  if ("AutoGenerate" == mk.ValidationKey) return;\n  Response.Write(mk.DecryptionKey);'),
    ),
    ("cs-key-oracle-request-on-left", ".aspx", _cs('  Response.Write(Request["k"] == mk.ValidationKey ? "1" : "0");')),
    ("cs-key-after-a-literal-prefix", ".aspx", _cs('  Response.Write("key: " + mk.ValidationKey);')),
    ("vb-key-after-a-literal-prefix", ".aspx", _vb('  Response.Write("key: " & mk.DecryptionKey)')),
]


@pytest.mark.parametrize(("case", "ext", "page"), KEY_LITERAL_LEFT, ids=[c[0] for c in KEY_LITERAL_LEFT])
def test_machine_key_compared_with_a_literal_on_the_left_is_not_read(case: str, ext: str, page: str) -> None:
    assert "machine-keys" not in _sinks(page, ext)


@pytest.mark.parametrize(("case", "ext", "page"), KEY_STILL_READ, ids=[c[0] for c in KEY_STILL_READ])
def test_machine_key_that_goes_somewhere_is_still_named(case: str, ext: str, page: str) -> None:
    assert "machine-keys" in _sinks(page, ext)
