"""Stage ``events-story``: event findings join the attack stories the correlate stage built."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from extriage.detections.events.collect import (
    finding_hosts,
)
from extriage.detections.waves.registry import load_registry
from extriage.findings import (
    AttackStory,
    Finding,
    Outcome,
    StoryStep,
)
from extriage.scan.context import ScanContext
from extriage.scan.facts import EventStories, FindingIds, WaveStories
from extriage.scan.numbering import number_findings

#: An event finding joins a story of its wave when it lies within this distance of the story's span.
STORY_GAP = timedelta(hours=24)


def _joins_any(wave: str) -> bool:
    """Findings of the registry's post-exploitation wave join the closest story of any wave."""
    post = load_registry().post_exploitation
    return post is not None and wave == post.id


class EventsStoryStage:
    """Attach event findings to the attack stories the correlate stage built (one story per attacker
    and wave). A finding of a wave joins that wave's story closest in time; post-exploitation
    findings join the closest story of any wave; without a story nearby they form their own. A story
    holding events of one computer never takes another computer's events (web-log stories name no
    computer and take any). Findings without a time join a story of their computer (and wave) as an
    undated step; only without one do they form a story of their own, titled as undated."""

    name = "events-story"
    requires = (FindingIds, WaveStories)
    provides = (EventStories,)

    def run(self, ctx: ScanContext) -> None:
        number_findings(ctx.result)  # findings added since the number-findings step (events-correlate)
        stories = ctx.result.stories
        by_id = {f.id: f for f in ctx.result.findings if f.id}
        hosts_of: dict[int, set[str]] = {id(st): _story_hosts(st, by_id) for st in stories}
        placed = {fid for st in stories for step in st.steps for fid in step.finding_ids}
        todo = [
            f
            for f in ctx.result.findings
            if "events" in f.tags and f.outcome not in (Outcome.INFO, Outcome.SCANNER) and f.id not in placed
        ]
        # dated findings first, so undated ones find the stories their computer's dated events made
        for f in sorted(todo, key=lambda f: f.first_seen is None):
            hosts = finding_hosts(f)
            story = _closest_story(stories, f, hosts, hosts_of)
            if story is None:
                title = load_registry().label(f.wave) if f.wave else "Attack"
                where = f" on {sorted(f.indicators.hosts)[0]}" if len(hosts) == 1 and f.indicators.hosts else ""
                undated = " (event times unknown)" if f.first_seen is None else ""
                story = AttackStory(
                    wave=f.wave or load_registry().other.id,
                    title=f"{title} traces in Windows event logs{where}{undated}",
                    outcome=Outcome.ATTEMPT,
                )
                stories.append(story)
                hosts_of[id(story)] = set()
            hosts_of[id(story)] |= hosts
            detail = f"{f.outcome.value}, {f.count} event(s)" + ("" if f.first_seen else ", time unknown")
            story.steps.append(StoryStep(f.first_seen, f.title, detail, [f.id]))
            story.steps.sort(key=lambda st: (st.timestamp or _FAR, st.title))
            if f.outcome in (Outcome.SUCCESS, Outcome.WEBSHELL):
                story.outcome = Outcome.SUCCESS
            for ts in (f.first_seen, f.last_seen):
                if ts is not None:
                    story.first_seen = (
                        ts if story.first_seen is None or ts < story.first_seen else story.first_seen
                    )
                    story.last_seen = (
                        ts if story.last_seen is None or ts > story.last_seen else story.last_seen
                    )
            for ip in f.indicators.client_ips:
                if ip not in story.client_ips and f.rule_id == "EVT-CORR-ATTACKER-IP":
                    story.client_ips.append(ip)
        for st in stories:  # (e.g. a chain story the correlate stage built from undated events only)
            if st.first_seen is None and st.steps and "times unknown" not in st.title and all(
                (found := by_id.get(fid)) is not None and "events" in found.tags
                for step in st.steps
                for fid in step.finding_ids
            ):
                st.title += " (event times unknown)"


_FAR = datetime.max.replace(tzinfo=UTC)


def _story_hosts(story: AttackStory, by_id: dict[str, Finding]) -> set[str]:
    """The computers whose events a story already holds (empty for a story of web logs only)."""
    out: set[str] = set()
    for step in story.steps:
        for fid in step.finding_ids:
            f = by_id.get(fid)
            if f is not None:
                out |= finding_hosts(f)
    return out


def _shift(ts: datetime, delta: timedelta) -> datetime:
    """``ts + delta`` held within the years datetime can hold (no OverflowError near 0001 or 9999)."""
    try:
        return ts + delta
    except OverflowError:
        return _FAR if delta > timedelta(0) else datetime.min.replace(tzinfo=UTC)


def _closest_story(
    stories: list[AttackStory], f: Finding, hosts: set[str], hosts_of: dict[int, set[str]]
) -> AttackStory | None:
    """The story ``f`` joins: of its wave (any wave for post-exploitation), not holding another
    computer's events; the closest in time within STORY_GAP of its span — or, for a finding without
    a time, the first such story that holds events of its computer (or, when the collection holds
    one computer only, the first dated one)."""
    ts = f.first_seen
    best: tuple[timedelta, AttackStory] | None = None
    if ts is None:
        return _story_for_undated(stories, f, hosts, hosts_of)
    for st in stories:
        if not _joins_any(f.wave) and st.wave != f.wave:
            continue
        theirs = hosts_of.get(id(st), set())
        if hosts and theirs and not (hosts & theirs):
            continue  # another computer's story
        if st.first_seen is None:
            continue
        last = st.last_seen or st.first_seen
        if _shift(st.first_seen, -STORY_GAP) <= ts <= _shift(last, STORY_GAP):
            dist = (
                timedelta(0) if st.first_seen <= ts <= last else min(abs(ts - st.first_seen), abs(ts - last))
            )
            if best is None or dist < best[0]:
                best = (dist, st)
    return best[1] if best else None


def _story_for_undated(
    stories: list[AttackStory], f: Finding, hosts: set[str], hosts_of: dict[int, set[str]]
) -> AttackStory | None:
    """A finding without a time joins the first dated story of its wave holding its computer's
    events (or any dated one of its wave when no story holds another computer's events), else the
    undated story of its computer and wave made before."""
    fits = [
        st
        for st in stories
        if (_joins_any(f.wave) or st.wave == f.wave)
        and not (hosts and hosts_of.get(id(st)) and not hosts & hosts_of[id(st)])
    ]
    for st in fits:
        if st.first_seen is not None and (hosts_of.get(id(st), set()) & hosts or not _other_hosts(hosts_of, hosts)):
            return st
    for st in fits:
        if st.first_seen is None and hosts_of.get(id(st), set()) == hosts and st.wave == (f.wave or load_registry().other.id):
            return st
    return None


def _other_hosts(hosts_of: dict[int, set[str]], hosts: set[str]) -> bool:
    """Whether any story holds events of a computer other than ``hosts``."""
    return any(theirs - hosts for theirs in hosts_of.values())
