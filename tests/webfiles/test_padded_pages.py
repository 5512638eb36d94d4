"""A shell padded with client markup past a few MB is still found by its YARA rule.

Our page rules were written with ``filesize < 2MB`` (one with 4, one 16, one 1 MB) as a habit, while
``extriage scan`` runs content rules on every file up to its ``--max-file-size`` (64 MB by default): a
shell followed by 2 MB of HTML comments matched none of them, and if the behaviour analysis also ran out
of its per-file time on such a page, the page was found by nothing but its location. The page rules now
go up to 64 MB; the few rules that are small by design stay small (a two-line class stub page < 16 KB, an
EDR checker < 100 KB) and are left out here. One shell of every rule table of the unseen-shell tests is
padded to about 2.5 MB, after its code and before it, and must still set off its rule (YARA alone: the
behaviour analysis is not what this measures).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from extriage.detections.webfiles import content

from .rule_tables import Page, shipped_params, yara_rules

#: rules meant for small files only
SMALL_BY_DESIGN = {"EXT_WEBSHELL_Custom_Class_Stub_Page", "EXT_WEBSHELL_EDR_Checker"}

#: the test modules holding rule tables (``CASES``) written from unseen shells
_MODULES = (
    "test_benign12",
    "test_unseen7",
    "test_unseen8_reports",
    "test_unseen8_tools",
    "test_unseen12_found",
    "test_unseen13_intl",
    "test_unseen14_found",
    "test_unseen15_kits",
    "test_unseen16_sample",
)
FIRST_SHELLS: dict[str, Page] = {}
for _name in _MODULES:
    for _rule, _shells, _ in importlib.import_module(f"{__package__}.{_name}").CASES:
        if _rule not in SMALL_BY_DESIGN and _shells:
            FIRST_SHELLS.setdefault(_rule, _shells[0])

#: ~2.5 MB of client-side markup: HTML comments and paragraphs, no server code
PADDING = ("<!-- " + "x" * 80 + " -->\n<p>" + "y" * 80 + "</p>\n") * 13_000


@pytest.fixture(scope="module")
def yara_only() -> content.ContentParams:
    base = shipped_params()
    return content.ContentParams(base.rules, 64 * 1024 * 1024, base.timeout, behaviour=False)


@pytest.mark.parametrize("rule", sorted(FIRST_SHELLS))
def test_shell_padded_after_its_code_is_found(
    tmp_path: Path, yara_only: content.ContentParams, rule: str
) -> None:
    case, ext, page = FIRST_SHELLS[rule]
    assert len(page) + len(PADDING) > 2 * 1024 * 1024
    assert rule in yara_rules(tmp_path, f"{case}{ext}", page + "\n" + PADDING, yara_only)


def test_padded_shell_is_found_with_the_padding_first(tmp_path: Path, yara_only: content.ContentParams) -> None:
    page = (
        '<%@ Page Language="C#" %>\n' + PADDING + '<% System.Diagnostics.Process.Start("cmd.exe", "/c " + '
        'Request["c"]); %>\n'
    )
    assert "EXT_WEBSHELL_Process_Exec" in yara_rules(tmp_path, "pad.aspx", page, yara_only)
