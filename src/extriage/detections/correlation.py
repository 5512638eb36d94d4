"""Cross-source correlation: attack stories per client IP, and web shell path ↔ URL pivots.

The code is small and generic; the knowledge (which finding is which chain step, where web shells
are served from) is data in ``detections/chains/*.yml`` so later waves add their own chains.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import yaml

from extriage.detections.linkkeys import describe, link_keys
from extriage.detections.logrules import YAML_SAFE_LOADER
from extriage.detections.waves.registry import Registry, WaveRegistryError, load_registry
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
class Proof:
    """A later line that proves earlier steps succeeded although their own lines cannot tell
    (no status column, or a status that is not a failure): see ``chains/proofs.yml``."""

    id: str
    wave: str
    rule_id: str  # the finding made when no earlier step is there to be proven
    title: str
    description: str
    proven_by: list[str]  # "RULE-ID/case-id" patterns of the proving findings
    token_fields: list[str]
    token: re.Pattern[str]  # group "token": the value that proves it (e.g. the session canary)
    proves: list[str]  # patterns of the earlier steps it proves
    status_fields: list[str]
    max_gap: timedelta = timedelta(hours=24)
    cves: list[str] = field(default_factory=list)

    def is_proof(self, finding: Finding) -> bool:
        return _matches(finding, self.proven_by)

    def proves_finding(self, finding: Finding) -> bool:
        return _matches(finding, self.proves)


def _matches(finding: Finding, patterns: list[str]) -> bool:
    key = f"{finding.rule_id}/{case_of(finding)}"
    return any(fnmatch.fnmatchcase(key, p) for p in patterns)


@dataclass(slots=True)
class Knowledge:
    chains: list[Chain] = field(default_factory=list)
    proofs: list[Proof] = field(default_factory=list)
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
        for raw in doc.get("proofs") or []:
            k.proofs.append(_parse_proof(raw, name))
        for entry in doc.get("path_to_url") or []:
            k.path_to_url.append((str(entry["folder"]).lower(), str(entry["url"]).lower()))
        exts.extend(str(e).lower() for e in doc.get("shell_extensions") or [])
    k.shell_extensions = tuple(dict.fromkeys(exts))
    return k


def _parse_proof(raw: Any, name: str) -> Proof:
    where = f"{name}: proof {raw.get('id', '?') if isinstance(raw, dict) else '?'}"
    try:
        token = raw["token"]
        rx = re.compile(str(token["re"]), re.IGNORECASE)
        if "token" not in rx.groupindex:
            raise ChainError(f"{where}: token.re needs a (?P<token>...) group")
        return Proof(
            id=str(raw["id"]), wave=str(raw["wave"]), rule_id=str(raw["rule_id"]), title=str(raw["title"]),
            description=" ".join(str(raw.get("description", "")).split()),
            proven_by=[str(p) for p in raw["proven_by"]], token_fields=[str(f) for f in token["fields"]],
            token=rx, proves=[str(p) for p in raw["proves"]],
            status_fields=[str(f) for f in raw.get("status_fields") or []],
            max_gap=timedelta(hours=float(raw.get("max_gap_hours", 24))),
            cves=[str(c) for c in raw.get("cves") or []],
        )
    except (KeyError, TypeError, ValueError, AttributeError, re.error) as exc:
        raise ChainError(f"{where}: missing or bad {exc}") from None


def load_knowledge() -> Knowledge:
    """The packaged chain files plus the ``chains/`` files of ``EXTRIAGE_WAVES_DIR`` (wave registry)."""
    return _load_knowledge(load_registry())


@functools.lru_cache(maxsize=4)
def _load_knowledge(registry: Registry) -> Knowledge:
    base = resources.files("extriage.detections") / "chains"
    docs = [(f"chains/{e.name}", e.read_text(encoding="utf-8")) for e in sorted(base.iterdir(), key=lambda e: e.name)
            if e.name.endswith((".yml", ".yaml"))]
    try:
        extra = registry.chain_docs()
    except WaveRegistryError as exc:
        raise ChainError(str(exc)) from None
    k = parse_knowledge(docs + extra)
    for chain in k.chains:
        if chain.wave not in registry:
            raise ChainError(f"chain {chain.id}: wave {chain.wave!r} is not one of {', '.join(registry.ids())}")
    return k


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


@dataclass(slots=True)
class _Cluster:
    """The findings of one attack story while it is being built."""

    ips: list[str]
    keys: set[str] = field(default_factory=set)
    items: list[tuple[ChainStep, Finding]] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None
    linked_by: set[str] = field(default_factory=set)  # keys that joined addressless steps

    def add(self, step: ChainStep, f: Finding, keys: set[str]) -> None:
        self.items.append((step, f))
        self.keys |= keys
        for ts in (f.first_seen, f.last_seen):
            if ts is not None:
                self.first = ts if self.first is None or ts < self.first else self.first
                self.last = ts if self.last is None or ts > self.last else self.last

    def distance(self, ts: datetime | None) -> timedelta:
        """How far ``ts`` lies from this story's span (zero inside it; unknown times are far)."""
        if ts is None or self.first is None or self.last is None:
            return timedelta.max
        if ts < self.first:
            return self.first - ts
        if ts > self.last:
            return ts - self.last
        return timedelta()


def build_stories(findings: list[Finding], knowledge: Knowledge | None = None) -> list[AttackStory]:
    """One story per attack and chain from the findings that are chain steps (scanner/info excluded).

    Steps with a client address are grouped by it. A step without one (quoted or stripped logs, logs
    behind a load balancer, events, files, back-end lines) joins the story that shares a link key
    with it (:mod:`extriage.detections.linkkeys`: back-end target, X-BEResource value, session
    canary, X-Rps-CAT token, mailbox) within the chain's gap, else the story closest in time within
    that gap, else starts its own; a step without a time joins the story it shares a key with, else
    the chain's main story.
    """
    k = knowledge or load_knowledge()
    stories: list[AttackStory] = []
    for chain in k.chains:
        by_ip: dict[str, _Cluster] = {}
        orphans: list[tuple[ChainStep, Finding, set[str]]] = []
        for f in findings:
            if f.outcome in (Outcome.SCANNER, Outcome.INFO):
                continue
            step = next((s for s in chain.steps if s.matches(f)), None)
            if step is None:
                continue
            ips = _ips(f)
            if ips:
                by_ip.setdefault(ips[0], _Cluster([ips[0]])).add(step, f, link_keys(f))
            else:
                orphans.append((step, f, link_keys(f)))
        clusters = list(by_ip.values())
        orphans.sort(key=lambda o: (o[1].first_seen is None, o[1].first_seen or _FAR, o[1].id))
        for step, f, keys in orphans:
            target = _join(clusters, chain, f.first_seen, keys)
            if target is None:
                target = _Cluster([])
                clusters.append(target)
            elif keys & target.keys:
                target.linked_by |= keys & target.keys
            target.add(step, f, keys)
        stories.extend(_story(chain, c) for c in clusters)
    for s in stories:
        s.steps.sort(key=lambda st: (st.timestamp or _FAR, st.title))
    stories.sort(key=lambda s: (0 if s.outcome == Outcome.SUCCESS else 1, s.first_seen or _FAR))
    return stories


def _join(clusters: list[_Cluster], chain: Chain, ts: datetime | None, keys: set[str]) -> _Cluster | None:
    """The story an addressless step joins (see :func:`build_stories`), or None for a new one."""
    if not clusters:
        return None
    shared = [c for c in clusters if keys & c.keys and (ts is None or c.distance(ts) <= chain.max_gap)]
    if shared:  # the strongest tie: most keys in common, then closest in time
        return min(shared, key=lambda c: (-len(keys & c.keys), c.distance(ts)))
    if ts is None:  # no time and no shared key: the chain's main story (the one that got furthest)
        return max(clusters, key=lambda c: (_reached(c), -(c.first or _FAR).timestamp()))
    near = [c for c in clusters if c.distance(ts) <= chain.max_gap]
    if not near:
        return None
    return min(near, key=lambda c: (c.distance(ts), 0 if c.ips else 1))


def _reached(c: _Cluster) -> int:
    return sum(1 for _, f in c.items if f.outcome in (Outcome.SUCCESS, Outcome.WEBSHELL))


def _story(chain: Chain, c: _Cluster) -> AttackStory:
    if c.ips:
        who = f" from {c.ips[0]}"
    else:
        how = (describe(c.linked_by) or describe(c.keys)) if len(c.items) > 1 else ""
        who = " (no client address logged" + (f"; steps linked by {how})" if how else ")")
    story = AttackStory(wave=chain.wave, title=f"{chain.title}{who}", client_ips=list(c.ips))
    for step, f in c.items:
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
