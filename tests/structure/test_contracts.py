"""Stage contracts: the pipeline orders stages from what they provide and require, and refuses
contracts that cannot be met before reading any evidence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from extriage.scan.contracts import ContractError, Facts, Gathered, is_gathered, order_stages
from extriage.scan.facts import Correlations, Detections, FindingIds
from extriage.scan.pipeline import plan, run_scan
from extriage.scan.registry import STAGES, default_stages


def _check_respected(ordered: list[Any]) -> None:
    """Every stage runs after each provider of what it requires (all contributors of a milestone)."""
    at = {id(s): i for i, s in enumerate(ordered)}
    for s in ordered:
        for fact in s.requires:
            for p in ordered:
                if p is not s and fact in p.provides:
                    assert at[id(p)] < at[id(s)], f"{s.name} runs before {p.name}, which provides {fact.__name__}"


def test_registered_stages_are_ordered_by_their_contracts() -> None:
    """The registry lists the stages in an order their contracts allow, so it reads as the run
    order (number-findings right after the last detector); the scan JSON depends on that order
    (warnings and files are listed as stages add them)."""
    ordered = plan()
    _check_respected(ordered)
    names = [s.name for s in ordered]
    listed = [s.name for s in default_stages()]
    assert [n for n in names if n != "number-findings"] == listed
    first_after = min(i for i, s in enumerate(ordered) if FindingIds in s.requires)
    assert names[first_after - 1] == "number-findings"


def test_the_order_does_not_depend_on_the_list() -> None:
    """Listed backwards, the stages still run after what they need: events-correlate before correlate
    (its judgement of admin events must come first), numbering before every consumer of ids, the
    verdict after every stage that correlates."""
    ordered = plan(list(reversed(default_stages())))
    _check_respected(ordered)
    names = [s.name for s in ordered]
    assert names.index("events-correlate") < names.index("correlate")
    assert names.index("number-findings") < min(names.index(n) for n in ("events-correlate", "correlate"))
    assert names.index("verdict") > max(names.index(n) for n in ("identity", "webfiles-link", "waves-stories"))
    assert names[-1] == "waves-summary"


def test_every_stage_declares_facts() -> None:
    for stage in plan():
        for fact in (*stage.requires, *stage.provides):
            assert isinstance(fact, type), (stage.name, fact)
    assert len({e for e in STAGES}) == len(STAGES)


@dataclass
class _A:
    pass


@dataclass
class _B:
    pass


class _Done(Gathered):
    pass


@dataclass
class _S:
    name: str
    requires: tuple[type, ...] = ()
    provides: tuple[type, ...] = ()
    log: list[str] | None = None

    def run(self, ctx: Any) -> None:
        if self.log is not None:
            self.log.append(self.name)


def test_a_cycle_is_an_error() -> None:
    with pytest.raises(ContractError, match="cycle: a, b"):
        order_stages([_S("a", requires=(_B,), provides=(_A,)), _S("b", requires=(_A,), provides=(_B,))])


def test_a_missing_provider_is_an_error() -> None:
    with pytest.raises(ContractError, match="Stage a requires _B, which no stage provides"):
        order_stages([_S("a", requires=(_B,))])
    # a hand-picked subset (tests, benchmarks) may leave it out: the consumer gets an empty _B
    assert [s.name for s in order_stages([_S("a", requires=(_B,))], strict=False)] == ["a"]


def test_two_providers_of_one_fact_are_an_error_unless_gathered() -> None:
    with pytest.raises(ContractError, match="_A is provided by more than one stage"):
        order_stages([_S("a", provides=(_A,)), _S("b", provides=(_A,))])
    ordered = order_stages([_S("c", requires=(_Done,)), _S("a", provides=(_Done,)), _S("b", provides=(_Done,))])
    assert [s.name for s in ordered] == ["a", "b", "c"]
    assert is_gathered(_Done) and not is_gathered(_A)


def test_only_fact_types_can_be_declared() -> None:
    with pytest.raises(ContractError, match="not a fact type"):
        order_stages([_S("a", provides=(str,))])
    with pytest.raises(ContractError, match="'attacker_ips'"):
        order_stages([_S("a", requires=("attacker_ips",))])  # type: ignore[arg-type]


def test_contract_errors_come_before_reading_evidence(tmp_path: Path) -> None:
    bad = [_S("a", requires=(_B,), provides=(_A,)), _S("b", requires=(_A,), provides=(_B,))]
    with pytest.raises(ContractError):
        run_scan(str(tmp_path / "does-not-exist"), stages=bad)  # type: ignore[arg-type]


def test_facts_default_when_no_stage_left_one() -> None:
    facts = Facts([_A()])
    assert isinstance(facts.get(_A), _A) and facts.has(_A)
    assert not facts.has(_B)
    b = facts.get(_B)
    assert facts.get(_B) is b  # one empty default, kept
    with pytest.raises(ContractError, match="milestone"):
        facts.put(_Done())


def test_numbering_comes_after_the_detectors_and_a_failing_provider_leaves_empty_facts(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("nothing\n")
    log: list[str] = []
    seen: dict[str, Any] = {}

    class Boom:
        name = "boom"
        requires = ()
        provides = (_A, Detections)

        def run(self, ctx: Any) -> None:
            log.append("boom")
            raise RuntimeError("simulated")

    class Reader:
        name = "reader"
        requires = (_A, FindingIds)
        provides = (Correlations,)

        def run(self, ctx: Any) -> None:
            log.append("reader")
            seen["a"] = ctx.facts.get(_A)

    stages: list[Any] = [Reader(), Boom(), _S("late", requires=(Correlations,), log=log)]
    result = run_scan(str(tmp_path), stages=stages)
    assert log == ["boom", "reader", "late"]
    assert isinstance(seen["a"], _A)
    assert "boom" in result.extras["stage_errors"]
