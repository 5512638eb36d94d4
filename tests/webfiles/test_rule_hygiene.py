"""The shipped YARA rules say what their authors meant: yara-x compiles each file without a warning.

A pattern set such as ``2 of ($a*)`` also takes every later string whose name starts with ``$a``; two
rules had that slip (``EXT_WEBSHELL_EDR_Checker`` counted its ``$asp`` tag as an EDR agent name, so one
agent name and ``<%`` fired it; ``EXT_WEBSHELL_SQL_Console`` counted ``$conn`` as a connection class).
yara-x names such slips (``unintended_pattern_in_set``) and other doubtful constructs as warnings, so a
warning in a shipped file fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import content
from extriage.detections.webfiles.knowledge import builtin_rule_files
from extriage.detections.webfiles.rules import new_compiler

from .rule_tables import yara_rules

RULE_FILES = builtin_rule_files()


@pytest.mark.parametrize(("name", "source"), RULE_FILES, ids=[name for name, _ in RULE_FILES])
def test_shipped_rule_file_compiles_without_warnings(name: str, source: str) -> None:
    compiler = new_compiler()
    compiler.add_source(source, origin=name)
    assert [w.get("text", w) for w in compiler.warnings()] == []


def _edr_page(names: list[str]) -> str:
    checks = "\n".join(f'  if (File.Exists(@"C:\\Program Files\\{n}")) Response.Write("{n}");' for n in names)
    return f'<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<%\n{checks}\n%>'


def test_edr_checker_needs_two_agent_names(tmp_path: Path, params: content.ContentParams) -> None:
    """A reconnaissance page reports which of several EDR agents exist; one support page checking for one
    agent is not that (before the fix ``<%`` counted as the second name)."""
    rule = "EXT_WEBSHELL_EDR_Checker"
    assert rule in yara_rules(tmp_path, "help.aspx", _edr_page(["xagt.exe", "MsSense.exe"]), params)
    assert rule not in yara_rules(tmp_path, "status.aspx", _edr_page(["MsSense.exe"]), params)


def test_sql_console_still_takes_a_connection_built_from_the_request(
    tmp_path: Path, params: content.ContentParams
) -> None:
    """Renaming the connection classes kept what the rule found: a provider connection opened on a
    request-supplied connection string (no SqlConnection/OleDb/Odbc name in the page) still counts."""
    page = (
        '<%@ Page Language="C#" %>\n<%\n'
        'var c = new OracleConnection(Request.Form["cs"]);\n'
        'var r = new OracleCommand("select 1 from dual", c).ExecuteReader();\n%>'
    )
    assert "EXT_WEBSHELL_SQL_Console" in yara_rules(tmp_path, "db.aspx", page, params)
