"""A one-screen terminal summary of a scan: the verdict (whole, never cut), the waves, one line per
attack story, counts of findings and coverage, and a recap at the end.

Why: ``extriage demo`` printed every finding with its raw lines (~1,470 lines at 80 columns) and the
verdict scrolled away; the details belong in the HTML report. Every attacker-controlled string goes
through :func:`extriage.safetext.escape` (no Rich markup, no terminal control sequences).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from rich.console import Console

from extriage.detections.waves.registry import load_registry
from extriage.findings import Outcome, ScanResult
from extriage.report.terminal import VERDICT_STYLE
from extriage.safetext import escape

_STORY_ORDER = {
    Outcome.SUCCESS: 0,
    Outcome.WEBSHELL: 0,
    Outcome.ATTEMPT: 1,
    Outcome.SCANNER: 2,
    Outcome.INFO: 3,
}
#: The verdict reason is shown whole up to this length (it quotes finding titles; a hostile one could be
#: a megabyte): cut at a word, never mid-word.
REASON_WIDTH = 1200
#: Story lines shown; the rest are counted.
STORY_LINES = 10
WARNING_LINES = 3


def cut_at_word(text: str, width: int) -> str:
    """``text`` up to ``width`` characters, cut at a word with `` …`` when longer."""
    if len(text) <= width:
        return text
    head = text[:width].rsplit(" ", 1)[0]
    return head + " …"


def _minute(ts: datetime | None) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if ts else "(no time)"


def _waves(result: ScanResult) -> str:
    """``ProxyLogon compromised; ProxyShell no_evidence; …`` in the order the waves came (titles and
    periods from the wave registry; a wave without a period last)."""
    registry = load_registry()

    def when(w: str) -> tuple[date, str]:
        wave = registry.get(w)
        return (wave.window.start if wave is not None and wave.window else date.max, w)

    def title(w: str) -> str:
        wave = registry.get(w)
        return wave.title if wave is not None else w

    return "; ".join(f"{title(w)} {result.waves[w].value}" for w in sorted(result.waves, key=when))


def _verdict(result: ScanResult, console: Console) -> None:
    style = VERDICT_STYLE.get(result.verdict, "bold")
    console.print(f"[{style}] VERDICT: {result.verdict.value.upper()} [/]")
    # printed as a paragraph of its own, so Rich wraps it at words at any width
    console.print(escape(cut_at_word(result.verdict_reason, REASON_WIDTH)))
    waves = _waves(result)
    if waves:
        console.print(f"Per wave: {escape(waves)}")


def render_brief(result: ScanResult, console: Console, details: str = "") -> None:
    """Verdict, waves, stories (one line each), counts and a recap; ``details`` says where the full
    findings are (e.g. the HTML report's path)."""
    _verdict(result, console)
    stories = sorted(
        result.stories,
        key=lambda s: (_STORY_ORDER.get(s.outcome, 9), s.first_seen or datetime.max.replace(tzinfo=UTC)),
    )
    if stories:
        kinds = Counter(s.outcome for s in stories)
        said = ", ".join(
            f"{n} {o.value}" for o, n in sorted(kinds.items(), key=lambda x: _STORY_ORDER.get(x[0], 9))
        )
        console.rule(f"Attack stories ({said})")
        for story in stories[:STORY_LINES]:
            steps = f", {len(story.steps)} step{'s' if len(story.steps) != 1 else ''}" if story.steps else ""
            console.print(
                f"{_minute(story.first_seen)}  {escape(cut_at_word(story.title, 200))} ({story.outcome.value}{steps})"
            )
        if len(stories) > STORY_LINES:
            console.print(f"… and {len(stories) - STORY_LINES} more (attempts and scans) in the report")
    counts = Counter(f.outcome for f in result.findings)
    console.rule("Findings and coverage")
    if counts:
        console.print(
            f"{len(result.findings)} findings: "
            + ", ".join(
                f"{n} {o.value}" for o, n in sorted(counts.items(), key=lambda x: _STORY_ORDER.get(x[0], 9))
            )
        )
    else:
        console.print("No findings.")
    cov = result.coverage
    families = sorted(cov.families.values(), key=lambda f: f.family)
    spans = [f for f in families if f.first and f.last and f.lines]
    if spans:
        first = min(f.first for f in spans if f.first)
        last = max(f.last for f in spans if f.last)
        console.print(
            f"Read {len(result.files):,} evidence files in {len(families)} families, "
            f"{_minute(first)} to {_minute(last)} (UTC)."
        )
    for w in cov.warnings[:WARNING_LINES]:
        console.print(f"[yellow]coverage:[/] {escape(cut_at_word(w, 300))}")
    if len(cov.warnings) > WARNING_LINES:
        console.print(f"… and {len(cov.warnings) - WARNING_LINES} more coverage notes in the report")
    if cov.skipped:
        n = len(cov.skipped)
        console.print(
            f"Not read (or not completely): {n} file{'s' if n != 1 else ''}, listed with why in the report."
        )
    console.rule("Recap")
    style = VERDICT_STYLE.get(result.verdict, "bold")
    first_sentence = cut_at_word(result.verdict_reason.split(". ", 1)[0].rstrip(".") + ".", 300)
    console.print(f"[{style}] {result.verdict.value.upper()} [/] {escape(first_sentence)}")
    waves = _waves(result)
    if waves:
        console.print(f"Per wave: {escape(waves)}")
    if details:
        console.print(
            f"Every finding with its raw log lines, the timeline and the response plan: {escape(details)}"
        )
