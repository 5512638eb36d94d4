"""Behaviour engine, session 10 (issue 14, A3): the per-file time limit holds inside one regular-expression
search; requests of the session's collectors (``/work/notes/to_a3.md``) and the gaps A2 left.

The pages were written for these tests, name only ``example`` hosts and placeholder commands, are never
compiled or run and are not copies of real shells.
"""

from __future__ import annotations

import re
import signal
import threading
import time

import pytest

from extriage.detections.webfiles import behaviour
from extriage.detections.webfiles.behaviour import budget, taint
from extriage.detections.webfiles.behaviour.budget import Timeout, bounded

# --- the time limit inside one search -----------------------------------------------------------------

#: A stub-class page (short code, a class of no namespace) after 300,000 unclosed ``<a`` tags: the search
#: for a server control in the markup read ~2,000 characters per tag, 12-17 s in ONE search (session 9).
UNCLOSED_TAGS = b'<%@ Page Language="C#" %><% new ExampleBar("k"); %>' + b"<a " * 300_000
#: 40,000 unclosed ``<asp:ObjectDataSource`` tags: the declared-call pattern read up to 20,000 characters
#: of body for each (past the 5 s limit in one search).
UNCLOSED_DATA_SOURCES = (
    b'<%@ Page Language="C#" %><% Process.Start("hostname", Request["x"]); %>'
    + b"<asp:ObjectDataSource a>" * 40_000
)


@pytest.mark.parametrize(
    "page", [UNCLOSED_TAGS, UNCLOSED_DATA_SOURCES], ids=["unclosed-tags", "unclosed-ods"]
)
def test_worst_case_markup_is_linear(page: bytes) -> None:
    t0 = time.monotonic()
    result = behaviour.analyse(page, ".aspx", budget=30.0)
    assert time.monotonic() - t0 < 4.0  # (0.1 s on a quiet machine; 12-17 s before)
    assert result.problem is None
    assert result.hits  # still analysed: the stub, the process start


def test_the_limit_holds_inside_one_search(monkeypatch: pytest.MonkeyPatch) -> None:
    # the old, quadratic server-control pattern put back: ONE search of ~15 s; the limit is 0.5 s
    monkeypatch.setattr(
        taint,
        "_SERVER_CONTROL",
        re.compile(r"<(?!script\b)[\w:]+\b[^>]{0,2000}?\brunat\s*=\s*[\"']?server", re.I),
    )
    t0 = time.monotonic()
    result = behaviour.analyse(UNCLOSED_TAGS, ".aspx", budget=0.5)
    elapsed = time.monotonic() - t0
    assert elapsed < 3.0, elapsed
    assert result.problem is not None and "time limit" in result.problem
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL  # the process's handler back
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0


def test_bounded_interrupts_a_backtracking_search() -> None:
    t0 = time.monotonic()
    with pytest.raises(Timeout):
        with bounded(time.monotonic() + 0.2):
            re.match(r"(a+)+$", "a" * 40 + "b")  # (minutes of backtracking)
    assert time.monotonic() - t0 < 2.0


def test_bounded_leaves_a_timer_or_handler_of_others_alone() -> None:
    seen: list[int] = []
    old = signal.signal(signal.SIGALRM, lambda s, f: seen.append(s))
    try:
        with bounded(time.monotonic() + 0.01):
            time.sleep(0.05)  # not ours to take: nothing raised
        assert signal.getsignal(signal.SIGALRM) is not signal.SIG_DFL
    finally:
        signal.signal(signal.SIGALRM, old)
    assert seen == []


def test_analysis_outside_the_main_thread_still_works() -> None:
    out: list[behaviour.Analysis] = []
    page = (
        b'<%@ Page Language="C#" %><% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); %>'
    )
    th = threading.Thread(target=lambda: out.append(behaviour.analyse(page, ".aspx")))
    th.start()
    th.join()
    assert [h["sink"] for h in out[0].hits] == ["process"]


def test_budget_module_names_the_limit() -> None:
    assert budget.BUDGET == 5.0
