"""What the tests of rules written from unseen shells share: the shipped rules as content parameters,
what one page written to disk sets off, and the three tables every such rule is held to - its shells
found, its ordinary pages not flagged, a web server log quoting its shell not a page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from extriage.detections.webfiles import content
from extriage.detections.webfiles.rules import build_ruleset

#: (case name, extension, page text)
Page = tuple[str, str, str]
#: (rule name, its shells, the ordinary pages it must leave alone)
RuleCase = tuple[str, Sequence[Page], Sequence[Page]]


def shipped_params() -> content.ContentParams:
    rs = build_ruleset([])
    assert not rs.errors
    return content.ContentParams(rs.serialized, 1024 * 1024, 5.0)


def page_hits(
    tmp_path: Path, name: str, page: str, params: content.ContentParams, encoding: str = "utf-8"
) -> list[dict[str, Any]]:
    """Every hit of one page written to ``tmp_path`` as the web file stage examines it."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(page.encode(encoding))
    t = content.Target(str(path), str(path).lower(), str(path), path.name, path.stat().st_size, None)
    found: list[dict[str, Any]] = content.examine(t, content.DEEP, params).data.get("hits", [])
    return found


def yara_rules(tmp_path: Path, name: str, page: str, params: content.ContentParams) -> set[str]:
    return {str(h["rule"]) for h in page_hits(tmp_path, name, page, params) if h["check"] == "yara"}


def rule_tables(cases: Sequence[RuleCase], log_url: str = "/x.aspx") -> tuple[Callable[..., None], ...]:
    """The three tests of ``cases``, to be bound to ``test_*`` names in the calling module."""
    found = [(rule, *shell) for rule, shells, _ in cases for shell in shells]
    not_flagged = [(rule, *page) for rule, _, benign in cases for page in benign]

    @pytest.mark.parametrize(("rule", "case", "ext", "page"), found, ids=[f[1] for f in found])
    def shell_is_found(
        tmp_path: Path, params: content.ContentParams, rule: str, case: str, ext: str, page: str
    ) -> None:
        assert rule in yara_rules(tmp_path, f"{case}{ext}", page, params)

    @pytest.mark.parametrize(("rule", "case", "ext", "page"), not_flagged, ids=[b[1] for b in not_flagged])
    def ordinary_page_is_not_flagged(
        tmp_path: Path, params: content.ContentParams, rule: str, case: str, ext: str, page: str
    ) -> None:
        assert rule not in yara_rules(tmp_path, f"{case}{ext}", page, params)

    @pytest.mark.parametrize(("rule", "shells"), [(r, s) for r, s, _ in cases], ids=[r for r, _, _ in cases])
    def rule_needs_a_server_page(
        tmp_path: Path, params: content.ContentParams, rule: str, shells: Sequence[Page]
    ) -> None:
        """A web server log quoting the same code is not a page: the rule stays silent."""
        log = f"#Fields: date time cs-method cs-uri-stem\n2026-12-06 01:00:00 POST {log_url}\n" + shells[0][2]
        assert rule not in yara_rules(tmp_path, "u_ex261206.log", log, params)

    return shell_is_found, ordinary_page_is_not_flagged, rule_needs_a_server_page
