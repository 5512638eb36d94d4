"""The web shell pivot is linear (issue 19): thousands of shell URLs cost one multi-pattern search
per log and a fixed number of passes over the file list, whatever their number. Measured by
counting passes and searches, never by wall time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from extriage.formats.prefilter import Prefilter
from extriage.scan import rawsearch
from extriage.scan.context import ScanContext, ScanOptions
from extriage.scan.facts import LogPivots, WebFilePivots
from extriage.scan.pipeline import run_scan
from extriage.scan.stages import correlate, logs, verdict

from .builders import IIS_HEADER, iis_line, write

SHELLS = "C/inetpub/wwwroot/aspnet_client/system_web"


class _CountingList(list):  # type: ignore[type-arg]
    """A list that counts how often it is walked from the start."""

    passes = 0

    def __iter__(self) -> Any:
        _CountingList.passes += 1
        return super().__iter__()


@dataclass
class _PlantShells:
    """Stands in for the web file stage: N shell paths for the correlate stage to pivot on."""

    n: int
    name: str = "plant"
    requires: ClassVar[tuple[type, ...]] = (LogPivots,)
    provides: ClassVar[tuple[type, ...]] = (WebFilePivots,)

    def run(self, ctx: ScanContext) -> None:
        paths = ctx.facts.get(WebFilePivots).webshell_paths
        for i in range(self.n):
            paths.add(f"c:\\inetpub\\wwwroot\\aspnet_client\\system_web\\p{i}.aspx")
        ctx.inventory.files = _CountingList(ctx.inventory.files)
        _CountingList.passes = 0


def _run(tmp_path: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[int], Any]:
    root = tmp_path / f"n{n}"
    for i in range(n):
        write(root, f"{SHELLS}/p{i}.aspx", "<%@ Page %>")
    lines = [iis_line(f"2021-03-05 0{d}:00:00", "GET", f"/aspnet_client/system_web/p{d}.aspx", "203.0.113.9", "200")
             for d in range(3)]
    for day in range(5):
        write(root, f"C/inetpub/logs/LogFiles/W3SVC1/u_ex21030{day}.log", IIS_HEADER + "\n".join(lines) + "\n")
    literals: list[int] = []
    holds = rawsearch.holds

    def counting_holds(f: Any, pf: Prefilter) -> bool:
        literals.append(len(pf.literals))
        return bool(holds(f, pf))

    monkeypatch.setattr(logs, "holds", counting_holds)
    result = run_scan(str(root), ScanOptions(jobs=1),
                      stages=[*logs.STAGES, _PlantShells(n), *correlate.STAGES, *verdict.STAGES])
    return _CountingList.passes, literals, result


def test_pivot_searches_do_not_grow_with_the_number_of_shells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small_passes, small_searches, small = _run(tmp_path, 10, monkeypatch)
    big_passes, big_searches, big = _run(tmp_path, 1000, monkeypatch)
    # one raw search per log file, each with every shell name in one compiled prefilter
    assert len(small_searches) == len(big_searches) == 5
    assert all(n >= 1000 for n in big_searches)  # the 1,000 names (and the attacker address)
    # the file list is walked a fixed number of times, not once per shell URL
    assert big_passes == small_passes
    for result in (small, big):
        assert any("203.0.113.9" in f.indicators.client_ips for f in result.findings)
        present = result.extras["logs"]["pivots"]["webshell_files_in_evidence"]
        assert present["/aspnet_client/system_web/p2.aspx"].endswith("p2.aspx")
