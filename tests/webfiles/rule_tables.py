"""What the web file tests share: the shipped rules as content parameters, what one page written to disk
sets off, the three tables every rule written from unseen shells is held to (its shells found, its
ordinary pages not flagged, a web server log quoting its shell not a page), and a tree of pages scanned
through ``extriage scan`` with the web file findings of one file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from extriage.cli.main import _register, app
from extriage.detections.webfiles import behaviour, content
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


def sinks_of(page: str, ext: str = ".aspx", budget: float = 30.0) -> set[str]:
    """The sinks the behaviour analysis names in ``page`` alone (a generous budget: these tests ask what is
    found, the time-bound tests ask how fast)."""
    return {h["sink"] for h in behaviour.analyse(page.encode(), ext, budget=budget).hits}


def behaviour_sinks(tmp_path: Path, name: str, page: str, params: content.ContentParams) -> set[str]:
    """The behaviour analysis's sinks on one page (as :func:`page_hits` examines it)."""
    return {str(h["sink"]) for h in page_hits(tmp_path, name, page, params) if h["check"] == "behaviour"}


def shown(hits: Iterable[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    """What an assertion on a page's hits prints: check, rule and sink of each."""
    return [(h["check"], h.get("rule"), h.get("sink")) for h in hits]


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


def quiet_pages_test(pages: Sequence[Page]) -> Callable[..., None]:
    """A test, to be bound to a ``test_*`` name, that each ordinary page of ``pages`` raises no finding."""

    @pytest.mark.parametrize(("case", "ext", "page"), pages, ids=[p[0] for p in pages])
    def raises_no_finding(tmp_path: Path, params: content.ContentParams, case: str, ext: str, page: str) -> None:
        hits = page_hits(tmp_path, f"{case}{ext}", page, params)
        assert hits == [], shown(hits)

    return raises_no_finding


def sink_found_test(cases: Sequence[tuple[str, str, str, str]]) -> Callable[..., None]:
    """A test, to be bound to a ``test_*`` name, that each page of ``cases`` (name, extension, sink, page)
    raises that behaviour sink."""

    @pytest.mark.parametrize(("case", "ext", "sink", "page"), cases, ids=[c[0] for c in cases])
    def raises_its_sink(
        tmp_path: Path, params: content.ContentParams, case: str, ext: str, sink: str, page: str
    ) -> None:
        sinks = behaviour_sinks(tmp_path, f"{case}{ext}", page, params)
        assert sink in sinks, sinks

    return raises_its_sink


def variants_differ_test(
    pages: Sequence[tuple[str, str, str]], variants: Sequence[tuple[str, str, str, str]]
) -> Callable[..., None]:
    """A test, to be bound to a ``test_*`` name, that each variant (name, extension, sink, page) differs from
    every page of ``pages``: a ``replace`` that matched nothing would make a "found" test of a quiet page."""

    def each_variant_differs() -> None:
        originals = {page for _, _, page in pages}
        assert [name for name, _, _, page in variants if page in originals] == []

    return each_variant_differs


def scan_tree(base: Path, root: str, files: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Write ``files`` (path under ``root``, text) into ``base/ev`` and scan it once with ``extriage
    scan``: the JSON result."""
    _register()
    evidence = base / "ev"
    for rel, text in files:
        path = evidence / root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = base / "result.json"
    res = CliRunner().invoke(app, ["scan", str(evidence), "-q", "-j", "1", "--json", str(result)])
    assert res.exit_code in (0, 3, 10, 20), res.output
    data: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    return data


def findings_for(data: dict[str, Any], rel: str) -> list[dict[str, Any]]:
    """The web file findings of a scan result whose evidence names the file ending in ``rel``."""
    tail = rel.replace("/", "\\").lower()
    return [
        f
        for f in data["findings"]
        if f["rule_id"].startswith("WF-")
        and any(str(e.get("source", "")).replace("/", "\\").lower().endswith(tail) for e in f["evidence"])
    ]
