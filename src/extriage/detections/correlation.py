"""Cross-source correlation: attack stories per client IP, and web shell path ↔ URL pivots.

The code is small and generic; the knowledge (which finding is which chain step, where web shells
are served from) is data in ``detections/chains/*.yml`` so later waves add their own chains.
"""

from __future__ import annotations

import fnmatch
import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import yaml

from extriage.detections.logrules import YAML_SAFE_LOADER
from extriage.findings import AttackStory, Finding, Outcome, StoryStep

_FAR = datetime.max.replace(tzinfo=UTC)


class ChainError(ValueError):
    """A chain file is invalid; the message names the file."""


@dataclass(slots=True)
class ChainStep:
    id: str
    title: str
    patterns: list[str]  # "RULE-ID/case-id" with fnmatch wildcards

    def matches(self, finding: Finding) -> bool:
        key = f"{finding.rule_id}/{case_of(finding)}"
        return any(fnmatch.fnmatchcase(key, p) for p in self.patterns)


@dataclass(slots=True)
class Chain:
    id: str
    wave: str
    title: str
    steps: list[ChainStep]
    max_gap: timedelta = timedelta(hours=24)


@dataclass(slots=True)
class Knowledge:
    chains: list[Chain] = field(default_factory=list)
    path_to_url: list[tuple[str, str]] = field(default_factory=list)
    shell_extensions: tuple[str, ...] = ()


def case_of(finding: Finding) -> str:
    """The rule case a log finding came from (kept in its tags as ``case:<id>``)."""
    for tag in finding.tags:
        if tag.startswith("case:"):
            return tag[5:]
    return "default"


def parse_knowledge(docs: list[tuple[str, str]]) -> Knowledge:
    k = Knowledge()
    exts: list[str] = []
    for name, text in docs:
        try:
            doc: Any = yaml.load(text, Loader=YAML_SAFE_LOADER)  # noqa: S506 - a *safe* loader (C or Python) or {}
        except yaml.YAMLError as exc:
            raise ChainError(f"{name}: not valid YAML ({str(exc).splitlines()[0]})") from None
        if not isinstance(doc, dict):
            raise ChainError(f"{name}: must be a mapping")
        for raw in doc.get("chains") or []:
            try:
                steps = [ChainStep(str(s["id"]), str(s["title"]), [str(p) for p in s["findings"]]) for s in raw["steps"]]
                k.chains.append(
                    Chain(str(raw["id"]), str(raw["wave"]), str(raw["title"]), steps,
                          timedelta(hours=float(raw.get("max_gap_hours", 24))))
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ChainError(f"{name}: chain {raw.get('id', '?') if isinstance(raw, dict) else '?'}: missing or bad {exc}") from None
        for entry in doc.get("path_to_url") or []:
            k.path_to_url.append((str(entry["folder"]).lower(), str(entry["url"]).lower()))
        exts.extend(str(e).lower() for e in doc.get("shell_extensions") or [])
    k.shell_extensions = tuple(dict.fromkeys(exts))
    return k


@functools.lru_cache(maxsize=1)
def load_knowledge() -> Knowledge:
    base = resources.files("extriage.detections") / "chains"
    docs = [(f"chains/{e.name}", e.read_text(encoding="utf-8")) for e in sorted(base.iterdir(), key=lambda e: e.name)
            if e.name.endswith((".yml", ".yaml"))]
    return parse_knowledge(docs)


# -- pivots --------------------------------------------------------------------------------------


def path_to_url(path: str, knowledge: Knowledge | None = None) -> str | None:
    """``C:\\...\\FrontEnd\\HttpProxy\\owa\\auth\\x.aspx`` → ``/owa/auth/x.aspx`` (lower-case), or None."""
    k = knowledge or load_knowledge()
    p = path.replace("\\", "/").lower().strip("'\" ")
    if not p.endswith(k.shell_extensions):
        return None
    for folder, url in k.path_to_url:
        idx = p.find(folder)
        if idx >= 0 and (idx == 0 or p[idx - 1] == "/"):
            return url + p[idx + len(folder) :]
    return None


def url_to_path_tails(url: str, knowledge: Knowledge | None = None) -> list[str]:
    """The path tails (``frontend/httpproxy/owa/auth/x.aspx``...) a URL path may be served from."""
    k = knowledge or load_knowledge()
    u = url.lower().split("?", 1)[0]
    tails = []
    for folder, prefix in k.path_to_url:
        if u.startswith(prefix):
            tails.append(folder + u[len(prefix) :])
    return tails


# -- stories -------------------------------------------------------------------------------------


def _ips(f: Finding) -> list[str]:
    return [ip for ip in f.indicators.client_ips if ip]


def build_stories(findings: list[Finding], knowledge: Knowledge | None = None) -> list[AttackStory]:
    """One story per (chain, client IP) from the findings that are chain steps (scanner hits excluded)."""
    k = knowledge or load_knowledge()
    stories: list[AttackStory] = []
    for chain in k.chains:
        by_ip: dict[str, list[tuple[ChainStep, Finding]]] = {}
        orphans: list[tuple[ChainStep, Finding]] = []
        for f in findings:
            if f.outcome in (Outcome.SCANNER, Outcome.INFO):
                continue
            step = next((s for s in chain.steps if s.matches(f)), None)
            if step is None:
                continue
            ips = _ips(f)
            if not ips:
                orphans.append((step, f))
            for ip in ips[:1]:
                by_ip.setdefault(ip, []).append((step, f))
        for ip, items in by_ip.items():
            stories.append(_story(chain, [ip], items))
        for step, f in orphans:
            best = _closest(stories, chain, f.first_seen)
            if best is not None and f.first_seen is not None and best.first_seen is not None and \
                    abs(f.first_seen - best.first_seen) <= chain.max_gap + (best.last_seen - best.first_seen if best.last_seen else timedelta()):
                _add_step(best, step, f)
            else:
                stories.append(_story(chain, [], [(step, f)]))
    for s in stories:
        s.steps.sort(key=lambda st: (st.timestamp or _FAR, st.title))
    stories.sort(key=lambda s: (0 if s.outcome == Outcome.SUCCESS else 1, s.first_seen or _FAR))
    return stories


def _closest(stories: list[AttackStory], chain: Chain, ts: datetime | None) -> AttackStory | None:
    cands = [s for s in stories if s.wave == chain.wave and s.client_ips and s.first_seen is not None]
    if not cands or ts is None:
        return None
    return min(cands, key=lambda s: abs((s.first_seen or ts) - ts))


def _story(chain: Chain, ips: list[str], items: list[tuple[ChainStep, Finding]]) -> AttackStory:
    who = f" from {ips[0]}" if ips else ""
    story = AttackStory(wave=chain.wave, title=f"{chain.title}{who}", client_ips=list(ips))
    for step, f in items:
        _add_step(story, step, f)
    return story


def _add_step(story: AttackStory, step: ChainStep, f: Finding) -> None:
    order = [s for s in story.steps if s.title == step.title]
    if order:
        st = order[0]
        if f.id and f.id not in st.finding_ids:
            st.finding_ids.append(f.id)
        if f.first_seen and (st.timestamp is None or f.first_seen < st.timestamp):
            st.timestamp = f.first_seen
    else:
        detail = f"{f.title} ({f.outcome.value}, {f.count} line{'s' if f.count != 1 else ''})"
        story.steps.append(StoryStep(f.first_seen, step.title, detail, [f.id] if f.id else []))
    if f.outcome in (Outcome.SUCCESS, Outcome.WEBSHELL):
        story.outcome = Outcome.SUCCESS
    for ts in (f.first_seen, f.last_seen):
        if ts is None:
            continue
        if story.first_seen is None or ts < story.first_seen:
            story.first_seen = ts
        if story.last_seen is None or ts > story.last_seen:
            story.last_seen = ts
