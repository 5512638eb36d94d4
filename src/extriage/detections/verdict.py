"""The verdict: compromised / attempted / no_evidence / inconclusive, per wave and overall, with one
reason sentence and coverage warnings so that "nothing found" is never misread.

``no_evidence`` is a claim: the log families and event channels that can show a wave were read for
its exploitation window and are clean. Where nothing that could show any wave was read for its
window, where evidence was present but could not be read, or where a stage failed, the verdict is
``inconclusive`` with the reason and what to collect.

Exploitation windows, the log families and event channels that can show each wave and what to
collect are data (the wave registry, ``detections/waves/registry.yml``); later waves add an entry.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from extriage.detections.waves.registry import Registry, load_registry, other_id
from extriage.findings import Confidence, Coverage, Finding, Outcome, ScanResult, SkippedFile, Verdict, iso
from extriage.formats.families import FAMILIES as LOG_FAMILIES

#: Addresses that are the server talking to itself (SMB to \\\\127.0.0.1\\c$...), never "the attacker".
_LOCAL_IPS = {"127.0.0.1", "::1", "localhost"}
_RANK = {Verdict.NO_EVIDENCE: 0, Verdict.INCONCLUSIVE: 0, Verdict.ERROR: 0, Verdict.ATTEMPTED: 1,
         Verdict.COMPROMISED: 2}
#: Event coverage families are ``evtx:<channel>`` and ``events-export:<channel>``.
_EVENT_PREFIXES = ("evtx:", "events-export:")
#: Reasons (prefixes) of "not read" entries that do not make the verdict inconclusive although the
#: reader did not flag them: files that are not evidence this version reads.
NOT_EVIDENCE_REASONS = (
    "not recognised as an Exchange or IIS log",
    "JSON lines but not Windows event records",
    "JSON but not Windows event records",
    "EVTX file holds no event records (an empty log)",
    "symbolic link pointing outside the evidence",
    "not read: no reader of this version",
)
#: Human names of the log families in coverage warnings.
FAMILY_NAMES = {f.id: f.name for f in LOG_FAMILIES.values()}


@dataclass(slots=True)
class WaveInfo:
    id: str
    title: str
    cves: list[str] = field(default_factory=list)
    window: tuple[date, date] | None = None
    families: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)  # event channels that can show the wave
    collect: str = ""  # what to collect when nothing that could show it was read


#: Rule tag (data) of findings that are suspicious actions rather than exploitation steps: when only
#: these raise the verdict to ``attempted``, the reason says "needs review", not "exploitation attempted".
REVIEW_TAG = "needs-review"


def waves_of(registry: Registry) -> dict[str, WaveInfo]:
    """The coverage view of the registry's waves (every wave but the catch-all), in registry order."""
    return {
        w.id: WaveInfo(w.id, w.title, list(w.cves), (w.window.start, w.window.end) if w.window else None,
                       list(w.families), list(w.channels), w.collect)
        for w in registry.assessed()
    }


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def load_waves() -> dict[str, WaveInfo]:
    """Exploitation windows, log families, event channels and what to collect per wave, from the wave
    registry (``detections/waves/registry.yml`` plus ``EXTRIAGE_WAVES_DIR``)."""
    return _load_waves(load_registry())


@functools.lru_cache(maxsize=8)
def _load_waves(registry: Registry) -> dict[str, WaveInfo]:
    return waves_of(registry)


def outcome_verdict(outcome: Outcome) -> Verdict:
    if outcome in (Outcome.SUCCESS, Outcome.WEBSHELL):
        return Verdict.COMPROMISED
    if outcome == Outcome.ATTEMPT:
        return Verdict.ATTEMPTED
    return Verdict.NO_EVIDENCE


def wave_verdicts(findings: list[Finding]) -> dict[str, Verdict]:
    out: dict[str, Verdict] = {}
    other = other_id()
    for f in findings:
        wave = f.wave or other
        v = outcome_verdict(f.outcome)
        cur = out.get(wave, Verdict.NO_EVIDENCE)
        out[wave] = v if _RANK[v] >= _RANK[cur] else cur
    return out


def coverage_warnings(coverage: Coverage, waves: dict[str, WaveInfo],
                      windows_override: dict[str, tuple[str, str]] | None = None,
                      explained: set[str] | frozenset[str] = frozenset(),
                      seen: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Warnings for missing log families and logs that do not reach back to a wave's window.

    ``explained``: families whose absence a stage has already explained in a warning of its own.
    ``seen``: waves with attempts or successes in the findings; for them a log that misses the
    exploitation period is said to miss part of it, not to hide the wave altogether.
    """
    warnings: list[str] = []
    present = {name for name, fam in coverage.families.items() if fam.files}
    needed: dict[str, list[str]] = {}
    for w in waves.values():
        for fam in w.families:
            needed.setdefault(fam, []).append(w.title)
    for fam, titles in needed.items():
        if fam not in present and fam not in explained:
            where = f" (collect {LOG_FAMILIES[fam].collect})" if fam in LOG_FAMILIES else ""
            warnings.append(
                f"No {FAMILY_NAMES.get(fam, fam)} logs were found: what they would show ({', '.join(dict.fromkeys(titles))}) "
                f"was not checked{where}."
            )
    for w in waves.values():
        window = w.window
        if windows_override and w.id in windows_override:
            start, end = windows_override[w.id]
            window = (_day(start), _day(end))
        if window is None:
            continue
        start_dt = datetime.combine(window[0], datetime.min.time(), UTC)
        ended_before: list[tuple[str, datetime]] = []
        started_late: list[tuple[str, datetime]] = []
        for fam in w.families:
            cov = coverage.families.get(fam)
            if cov is None or not cov.files or cov.first is None:
                continue
            if cov.last is not None and cov.last < start_dt:
                ended_before.append((FAMILY_NAMES.get(fam, fam), cov.last))
            elif cov.first > start_dt:
                started_late.append((FAMILY_NAMES.get(fam, fam), cov.first))
        if started_late:
            names = ", ".join(name for name, _ in started_late)
            first = min(ts for _, ts in started_late)
            if first.date() > window[1]:
                tail = (f"the {w.title} activity found came later; exploitation during that period cannot be seen "
                        "in them." if w.id in seen else "exploitation then cannot be seen in them.")
                warnings.append(
                    f"{names} logs start {iso(first)} at the earliest, after the {w.title} exploitation "
                    f"period ({window[0]} to {window[1]}): {tail}"
                )
            else:
                warnings.append(
                    f"{names} logs start {iso(first)} at the earliest, inside the {w.title} exploitation "
                    f"period ({window[0]} to {window[1]}): earlier exploitation cannot be seen in them."
                )
        if ended_before:
            names = ", ".join(name for name, _ in ended_before)
            last = max(ts for _, ts in ended_before)
            tail = (f"the {w.title} activity found happened before that period; what came during it cannot be "
                    "seen in them." if w.id in seen else "whether it hit this server cannot be seen in them.")
            warnings.append(
                f"{names} logs end {iso(last)}, before the {w.title} exploitation period "
                f"({window[0]} to {window[1]}): {tail}"
            )
    bad = unreadable_evidence(coverage)
    partial = [s for s in coverage.skipped if s.partial]
    if bad or partial:
        n = len(bad) + len(partial)
        warnings.append(f"{n} evidence file{'s were' if n != 1 else ' was'} not read completely (or not at all); "
                        "see the list of files not read.")
    return warnings


def wave_sources(coverage: Coverage, wave: WaveInfo, window: tuple[date, date] | None) -> list[str]:
    """The coverage families read that can show ``wave`` and reach into its exploitation ``window``
    (any time for a wave without one). A family without times cannot be placed in a window."""
    out: list[str] = []
    for name, fam in sorted(coverage.families.items()):
        if not fam.files or not fam.lines:
            continue
        if name.startswith(_EVENT_PREFIXES):
            if name.split(":", 1)[1] not in wave.channels:
                continue
        elif name not in wave.families:
            continue
        if window is not None:
            if fam.first is None or fam.last is None:
                continue
            start = datetime.combine(window[0], datetime.min.time(), UTC)
            end = datetime.combine(window[1], datetime.max.time(), UTC)
            if fam.last < start or fam.first > end:
                continue
        out.append(name)
    return out


def unchecked_pages(coverage: Coverage) -> list[SkippedFile]:
    """Server pages and compiled sources that were read but whose web shell checks did not all run
    (over the content cap, a per-file time limit, a failed analysis): their silence is not a claim."""
    return [s for s in coverage.skipped if s.unchecked]


#: Tag of findings of pages an installed application links to, kept for review (webfiles/appcontext.py).
APPLICATION_FEATURE_TAG = "application-feature"
#: ... and of those whose exact content the user confirmed (``scan --reviewed``).
REVIEWED_TAG = "reviewed"


def application_pages(findings: list[Finding]) -> list[Finding]:
    """Pages reported for review: they do what a web shell does, but an installed application links
    to them, so they are likely its own. Not a web shell, not an all-clear either - until the user
    confirms their exact content (``--reviewed``)."""
    return [f for f in findings if APPLICATION_FEATURE_TAG in f.tags and REVIEWED_TAG not in f.tags]


def _counted(files: list[SkippedFile], noun: str) -> str:
    return f"{len(files):,} {noun}{'s' if len(files) != 1 else ''}"


def _first_of(files: list[SkippedFile]) -> str:
    """The first file of an inconclusive reason's list, with why, and how many more."""
    more = f" and {len(files) - 1} more" if len(files) > 1 else ""
    return f"({files[0].path}: {files[0].reason}{more}; see the files not read)"


def unreadable_evidence(coverage: Coverage) -> list[SkippedFile]:
    """Files present in the evidence that could hold what the scan looks for but were not read at all
    (partial reads are coverage warnings; files that are no evidence of a kind read are listed only)."""
    return [s for s in coverage.skipped
            if s.relevant and not s.partial and not s.reason.startswith(NOT_EVIDENCE_REASONS)]


def _window(w: WaveInfo, override: dict[str, tuple[str, str]] | None) -> tuple[date, date] | None:
    if override and w.id in override:
        start, end = override[w.id]
        return (_day(start), _day(end))
    return w.window


def assess_waves(result: ScanResult, waves: dict[str, WaveInfo] | None = None,
                 windows_override: dict[str, tuple[str, str]] | None = None) -> dict[str, dict[str, Any]]:
    """Per wave: its window, the sources read that cover it and what to collect (``coverage.waves``)."""
    waves = load_waves() if waves is None else waves
    out: dict[str, dict[str, Any]] = {}
    for wid, w in sorted(waves.items()):
        window = _window(w, windows_override)
        out[wid] = {
            "title": w.title,
            "window": {"start": window[0].isoformat(), "end": window[1].isoformat()} if window else None,
            "sources": wave_sources(result.coverage, w, window),
            "collect": w.collect,
        }
    return out


def decide(result: ScanResult, waves: dict[str, WaveInfo] | None = None,
           windows_override: dict[str, tuple[str, str]] | None = None) -> tuple[Verdict, str]:
    """The overall verdict and its reason sentence."""
    findings = result.findings
    worst = Verdict.NO_EVIDENCE
    for f in findings:
        v = outcome_verdict(f.outcome)
        if _RANK[v] > _RANK[worst]:
            worst = v
    if worst == Verdict.COMPROMISED:
        top = furthest_step(findings, (Outcome.SUCCESS, Outcome.WEBSHELL))
        ips = _attacker_ips(findings, (Outcome.SUCCESS, Outcome.WEBSHELL))
        who = f" from {', '.join(ips[:3])}" + (f" and {len(ips) - 3} more" if len(ips) > 3 else "") if ips else ""
        when = f" at {iso(top.first_seen)}" if top.first_seen else ""
        shown = [f for f in findings if outcome_verdict(f.outcome) == Verdict.COMPROMISED]
        n = len(shown)
        # ransomware (ATT&CK T1486) is the worst news of all: said first, whatever step the reason quotes
        ransom = [f for f in shown if any(t.upper().startswith("T1486") for t in f.attack)]
        lead = (f"RANSOMWARE: {len(ransom)} finding{'s' if len(ransom) != 1 else ''} of encrypted files or ransom "
                f"notes ({ransom[0].title}). " if ransom else "")
        if not ransom and all(_on_disk_only(f) for f in shown):
            # a page's content is the only sign: say so, and how sure the checks are (B16, session 16: a
            # misread page read as "successful exploitation" with nothing in the logs)
            sure = max(f.confidence for f in shown)
            check = ("" if sure >= Confidence.HIGH else
                     " The checks that found it are not certain: read the page before acting on this verdict.")
            stamp = f"file time {iso(top.first_seen)}; " if top.first_seen else ""
            return worst, (f"A web shell was found on disk: {top.title} ({stamp}{n} file finding{'s' if n != 1 else ''}"
                           "). Nothing read shows it being requested or how it got there: check the coverage for "
                           f"the logs that could.{check}")
        return worst, (f"{lead}Successful exploitation or web shell use found{who}: {top.title}{when}"
                       f" ({n} finding{'s' if n != 1 else ''} show success).")
    if worst == Verdict.ATTEMPTED:
        top = furthest_step(findings, (Outcome.ATTEMPT,))
        ips = _attacker_ips(findings, (Outcome.ATTEMPT,))
        who = f" from {', '.join(ips[:3])}" + (f" and {len(ips) - 3} more" if len(ips) > 3 else "") if ips else ""
        if all(REVIEW_TAG in f.tags for f in findings if f.outcome == Outcome.ATTEMPT):
            # e.g. mail forwarded outside: what attackers do with a broken server, but users do it too
            return worst, (f"Suspicious activity that needs review{who} ({top.title}); no exploitation step was "
                           "found in the logs read: check who made the change and whether it was wanted.")
        return worst, (f"Exploitation was attempted{who} ({top.title}) but no evidence of success was found "
                       "in the logs read.")
    waves = load_waves() if waves is None else waves
    assessed = result.coverage.waves or assess_waves(result, waves, windows_override)
    fams = [f for f, c in result.coverage.families.items() if c.files]
    lines = sum(c.lines for c in result.coverage.families.values())
    # the period is that of the log lines/records read: web files (mtimes) and configs have no lines
    logs = [c for c in result.coverage.families.values() if c.lines and c.first and c.last]
    first = min((c.first for c in logs if c.first), default=None)
    last = max((c.last for c in logs if c.last), default=None)
    if first and last:
        period = f"; the logs read cover {iso(first)} to {iso(last)}"
    else:
        period = "; no log line carried a time" if lines else "; no log lines were read, only files"
    # families with lines (logs, event logs) by their lines, the others (web files, configs) by their files
    with_lines = sorted(f for f in fams if result.coverage.families[f].lines)
    files_only = sorted(f for f in fams if not result.coverage.families[f].lines)
    n_files = sum(result.coverage.families[f].files for f in files_only)
    parts = ([f"{lines:,} lines/records of {', '.join(with_lines)}"] if with_lines else []) + (
        [f"{n_files:,} file{'s' if n_files != 1 else ''} of {', '.join(files_only)}"] if files_only else [])
    read = f"{'; '.join(parts)}{period}" if fams else "nothing was read"
    # "nothing found in 1,200 lines of iis…" / "nothing else was read" (never "nothing found in nothing")
    found_in = f"nothing found in {read}" if fams else "nothing else was read"
    failed = sorted(result.extras.get("stage_errors", {}))
    if failed:
        return Verdict.INCONCLUSIVE, (
            f"Could not decide; INCOMPLETE: the {', '.join(failed)} stage{'s' if len(failed) > 1 else ''} failed, so "
            f"its checks are missing and the silence is not an all-clear; {found_in}.")
    bad = unreadable_evidence(result.coverage)
    if bad:
        return Verdict.INCONCLUSIVE, (
            f"Could not decide: {_counted(bad, 'evidence file')} present could not be read {_first_of(bad)}, so "
            f"what they hold was not checked; {found_in}. Collect readable copies of those files (or mount and "
            "scan what they contain) and scan again.")
    pages = unchecked_pages(result.coverage)
    if pages:
        one = len(pages) == 1
        return Verdict.INCONCLUSIVE, (
            f"Could not decide: {_counted(pages, 'server page')} could not be fully checked for web shells "
            f"{_first_of(pages)}, so a web shell in {'it' if one else 'them'} could be missed; {found_in}. Check "
            f"{'that file' if one else 'those files'} by hand, or scan again on a less loaded machine or with a "
            "larger --file-timeout / --max-file-size.")
    review = application_pages(findings)
    if review:
        one = len(review) == 1
        page = review[0]
        path = page.indicators.paths[0] if page.indicators.paths else page.title
        more = f" and {len(review) - 1} more" if not one else ""
        return Verdict.INCONCLUSIVE, (
            f"Could not decide: {len(review):,} page{'' if one else 's'} of an installed application "
            f"{'does' if one else 'do'} what web shells do from request input ({path}{more}; see the findings for "
            f"review); other files of the application link to {'it' if one else 'them'}, so "
            f"{'it is' if one else 'they are'} likely the application's own, but a backdoor added to the application "
            f"looks the same; {found_in}. Confirm {'that page is' if one else 'those pages are'} the application's "
            "own (compare with the vendor's copy or a backup) before taking the server as clean, then list "
            f"{'its' if one else 'their'} SHA-256 in a file given to --reviewed.")
    windowed = {wid: a for wid, a in assessed.items() if a.get("window")}
    covered = [wid for wid, a in windowed.items() if a["sources"]]
    if not covered:
        if not fams:
            what = ("nothing in the evidence is an Exchange or IIS log, event log or web file this version reads"
                    + (f" ({len(result.coverage.skipped):,} file{'s' if len(result.coverage.skipped) != 1 else ''} "
                       "listed as not read)" if result.coverage.skipped else ""))
        else:
            what = (f"no log or event log that could show exploitation was read for any wave's exploitation "
                    f"period (read: {read})")
        collect = "; ".join(f"{a['title']}: {a['collect']}" for a in windowed.values() if a.get("collect"))
        return Verdict.INCONCLUSIVE, f"Could not decide: {what}. Collect {collect}." if collect else \
            f"Could not decide: {what}."
    scanner = sum(1 for f in findings if f.outcome == Outcome.SCANNER)
    extra = f"; {scanner} scanner finding{'s' if scanner != 1 else ''} do not count as attacks" if scanner else ""
    checked = ", ".join(windowed[w]["title"] for w in covered)
    unchecked = [a["title"] for w, a in windowed.items() if w not in covered]
    scope = f"; checked for {checked}"
    if unchecked:
        scope += (f"; {', '.join(unchecked)} could not be checked (nothing read from {'their periods' if len(unchecked) > 1 else 'its period'}: "
                  "inconclusive for " + ("them" if len(unchecked) > 1 else "it") + ")")
    warn = "; read the coverage warnings before relying on this" if result.coverage.warnings else ""
    return Verdict.NO_EVIDENCE, f"No evidence of exploitation in {read}{scope}{extra}{warn}."


def wave_verdict(found: Verdict | None, assessed: dict[str, Any], blocked: bool) -> Verdict:
    """One wave's verdict: what its findings say, else ``no_evidence`` only where sources covering its
    window were read and nothing blocked the scan (unreadable evidence, a failed stage)."""
    if found is not None and found in (Verdict.ATTEMPTED, Verdict.COMPROMISED):
        return found
    if blocked or not assessed.get("sources"):
        return Verdict.INCONCLUSIVE
    return Verdict.NO_EVIDENCE


def _step_rank() -> list[tuple[int, Any]]:
    from extriage.detections.correlation import load_knowledge

    return [(i, step) for chain in load_knowledge().chains for i, step in enumerate(chain.steps)]


def _on_disk_only(f: Finding) -> bool:
    """A web file finding with no request tied to it: the file's content is all it shows."""
    return f.rule_id.startswith("WF-") and not f.indicators.client_ips


def furthest_step(findings: list[Finding], outcomes: tuple[Outcome, ...]) -> Finding:
    """The finding of the furthest attack-chain step reached (a web shell answering beats the SSRF that
    led to it), then the most severe and sure, then the earliest: what the reason sentence quotes."""
    steps = _step_rank()

    def depth(f: Finding) -> int:
        return max((i for i, step in steps if step.matches(f)), default=-1)

    cands = [f for f in findings if f.outcome in outcomes]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(cands, key=lambda f: (-depth(f), -int(f.severity), -int(f.confidence), f.first_seen or far))[0]


def _attacker_ips(findings: list[Finding], outcomes: tuple[Outcome, ...]) -> list[str]:
    ips: dict[str, None] = {}
    for f in sorted(findings, key=lambda f: -int(f.severity)):
        if f.outcome in outcomes:
            for ip in f.indicators.client_ips:
                if ip not in _LOCAL_IPS:
                    ips[ip] = None
    return list(ips)
