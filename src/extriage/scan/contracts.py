"""Stage contracts: what each scan stage provides and requires, as types, and the order they imply.

A *fact* is a dataclass one stage leaves for later stages (the attacker addresses of the web logs,
the IPs seen in events…). A stage declares ``provides`` and ``requires`` as tuples of fact types;
:func:`order_stages` runs every stage after the providers of what it requires (a topological sort;
stages that do not depend on each other keep the order they are listed in, which only decides the
order of their coverage warnings in the report). A fact type that derives from :class:`Gathered` is
a *milestone* many stages contribute to ("findings detected", "findings judged"): a stage requiring
it runs after all of its contributors. Every other fact has exactly one provider.

Errors at start-up (:class:`ContractError`), before any evidence is read: a cycle, a fact with two
providers, and — for the shipped pipeline — a required fact no stage provides. A scan run on a
hand-picked subset of stages (tests, benchmarks) may leave facts without a provider: their
consumers then get the fact's empty default, as when a provider stops early.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")
S = TypeVar("S")


class Gathered:
    """Base of milestone facts: any number of stages contribute (no instance is stored); a stage
    requiring one runs after all of them."""


class ContractError(Exception):
    """The stages' declared contracts cannot be satisfied (a cycle, two providers, no provider)."""


def requires_of(stage: object) -> tuple[type, ...]:
    return tuple(getattr(stage, "requires", ()))


def provides_of(stage: object) -> tuple[type, ...]:
    return tuple(getattr(stage, "provides", ()))


def stage_name(stage: object) -> str:
    return str(getattr(stage, "name", type(stage).__name__))


def is_gathered(fact: type) -> bool:
    return issubclass(fact, Gathered)


def order_stages(stages: Sequence[S], *, strict: bool = True) -> list[S]:
    """``stages`` in an order where each runs after the providers of what it requires; among stages
    free to run, the one listed first. ``strict``: a required fact without a provider is an error."""
    providers: dict[type, list[int]] = {}
    for i, stage in enumerate(stages):
        for fact in provides_of(stage):
            _check_fact(fact, stage)
            providers.setdefault(fact, []).append(i)
    for fact, idx in providers.items():
        if len(idx) > 1 and not is_gathered(fact):
            names = ", ".join(stage_name(stages[i]) for i in idx)
            raise ContractError(f"{fact.__name__} is provided by more than one stage ({names}); only "
                                "Gathered milestones may have several.")
    after: list[set[int]] = [set() for _ in stages]  # stage -> the stages it waits for
    for i, stage in enumerate(stages):
        for fact in requires_of(stage):
            _check_fact(fact, stage)
            idx = providers.get(fact, [])
            if not idx and strict and not is_gathered(fact):
                raise ContractError(f"Stage {stage_name(stage)} requires {fact.__name__}, which no stage provides.")
            after[i].update(j for j in idx if j != i)
    waiting = [len(a) for a in after]
    then: list[list[int]] = [[] for _ in stages]
    for i, a in enumerate(after):
        for j in a:
            then[j].append(i)
    ready = [i for i, n in enumerate(waiting) if n == 0]
    heapq.heapify(ready)
    out: list[S] = []
    while ready:
        i = heapq.heappop(ready)
        out.append(stages[i])
        for k in then[i]:
            waiting[k] -= 1
            if waiting[k] == 0:
                heapq.heappush(ready, k)
    if len(out) < len(stages):
        stuck = [stage_name(stages[i]) for i, n in enumerate(waiting) if n]
        raise ContractError("The stages' contracts form a cycle: " + ", ".join(stuck)
                            + " each wait for a fact the others provide.")
    return out


def _check_fact(fact: object, stage: object) -> None:
    if not isinstance(fact, type) or not (dataclasses.is_dataclass(fact) or issubclass(fact, Gathered)):
        raise ContractError(f"Stage {stage_name(stage)} declares {fact!r}, which is not a fact type "
                            "(a dataclass or a Gathered milestone).")


class Facts:
    """The facts of one scan, by type. A stage reads what it requires with :meth:`get` and leaves
    what it provides with :meth:`put`."""

    def __init__(self, given: Iterable[object] = ()) -> None:
        self._facts: dict[type, object] = {}
        for fact in given:
            self._facts[type(fact)] = fact

    def put(self, fact: object) -> None:
        if isinstance(fact, Gathered):
            raise ContractError(f"{type(fact).__name__} is a milestone: it is declared, never stored.")
        self._facts[type(fact)] = fact

    def get(self, cls: type[T]) -> T:
        """The fact of type ``cls``; its empty default when no stage left one (the provider stopped
        early or failed, or the stage subset run has none)."""
        fact = self._facts.get(cls)
        if fact is None:
            fact = self._facts[cls] = cls()
        return fact  # type: ignore[return-value]

    def has(self, cls: type) -> bool:
        return cls in self._facts

    def fill(self, facts: Iterable[type]) -> None:
        """Give each of ``facts`` (a stage's declared provides) its empty default if it left none."""
        for cls in facts:
            if not is_gathered(cls) and cls not in self._facts:
                self._facts[cls] = cls()
