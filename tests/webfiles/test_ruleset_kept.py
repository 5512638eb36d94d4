"""The compiled YARA rule set is kept per process by the rule texts: the same texts are not compiled
again (the scan's preparation thread compiles, the stage finds it), a changed text is."""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import rules

GOOD = 'rule kept_test { strings: $a = "kept-marker" condition: $a }\n'


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts every compiler made (one per build or per external file checked alone)."""
    made: list[int] = []
    real = rules.new_compiler

    def counting() -> object:
        made.append(1)
        return real()

    monkeypatch.setattr(rules, "new_compiler", counting)
    monkeypatch.setattr(rules, "_BUILT", {})
    monkeypatch.setattr(rules, "_CHECKED", {})
    return made


def test_same_texts_are_compiled_once(compiles: list[int], tmp_path: Path) -> None:
    (tmp_path / "a.yar").write_text(GOOD, encoding="utf-8")
    first = rules.build_ruleset([str(tmp_path)])
    n = len(compiles)
    again = rules.build_ruleset([str(tmp_path)])
    assert len(compiles) == n == 2  # the external file alone, then the whole set
    assert again.serialized == first.serialized and again.rule_count == first.rule_count
    assert again.sources == first.sources and again.errors == first.errors == []
    assert again.sources is not first.sources  # each call has lists of its own


def test_a_changed_rule_file_is_compiled_again(compiles: list[int], tmp_path: Path) -> None:
    path = tmp_path / "a.yar"
    path.write_text(GOOD, encoding="utf-8")
    first = rules.build_ruleset([str(tmp_path)])
    path.write_text(GOOD.replace("kept_test", "kept_test_2"), encoding="utf-8")
    second = rules.build_ruleset([str(tmp_path)])
    assert len(compiles) == 4 and second.serialized != first.serialized
    matched = {m.identifier for m in rules.load_serialized(second.serialized).scan(b"kept-marker").matching_rules}
    assert "kept_test_2" in matched and "kept_test" not in matched


def test_a_broken_file_is_named_every_time(compiles: list[int], tmp_path: Path) -> None:
    (tmp_path / "bad.yar").write_text("rule broken { condition: nope }\n", encoding="utf-8")
    first = rules.build_ruleset([str(tmp_path)])
    second = rules.build_ruleset([str(tmp_path)])
    assert len(first.errors) == 1 and "does not compile" in first.errors[0]
    assert second.errors == first.errors and not any(s.external for s in second.sources)


def test_the_cache_stays_small(compiles: list[int], tmp_path: Path) -> None:
    path = tmp_path / "a.yar"
    for i in range(rules._KEEP * 2):
        path.write_text(GOOD.replace("kept_test", f"kept_test_{i}"), encoding="utf-8")
        rules.build_ruleset([str(tmp_path)])
    assert len(rules._BUILT) <= rules._KEEP and len(rules._CHECKED) <= rules._KEEP
