"""Turning what was seen about one file (location rules, baseline class, known-bad hash, YARA and
targeted hits) into one Finding per suspicious file, with a line of evidence per reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from extriage.detections.waves.registry import post_exploitation_id, shell_wave, shells_wave_id, wave_of_cve
from extriage.detections.webfiles.baseline import MODIFIED
from extriage.detections.webfiles.content import SCRIPT_EXTENSIONS
from extriage.detections.webfiles.knowledge import LocationRule
from extriage.findings import Confidence, EvidenceLine, Finding, Indicators, Outcome, Severity

_OUTCOME_RANK = {
    Outcome.INFO: 0,
    Outcome.SCANNER: 0,
    Outcome.ATTEMPT: 1,
    Outcome.WEBSHELL: 2,
    Outcome.SUCCESS: 2,
}
_CLIENT_SIDE = frozenset({".js", ".htm", ".html"})
MSTIC_HASH_REFERENCE = "https://github.com/Azure/Azure-Sentinel/tree/master/Sample%20Data/Feeds"


@dataclass(slots=True)
class Reason:
    rule_id: str
    title: str
    severity: Severity
    confidence: Confidence
    outcome: Outcome
    classification: str  # known-bad / location / modified / unknown / yara:<rule> / check:<name>
    raw: str
    line: int | None = None
    wave: str = field(default_factory=shells_wave_id)
    attack: list[str] = field(default_factory=list)
    cves: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    detail: str = ""
    #: Further evidence lines of the same reason: (line number, raw line, fields), e.g. the line where
    #: the request input a behaviour finding traces enters the code.
    more: list[tuple[int | None, str, dict[str, Any]]] = field(default_factory=list)


@dataclass(slots=True)
class FileFacts:
    display: str
    logical: str
    name: str
    sha256: str | None
    size: int
    mtime: datetime | None
    url: str | None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def extension(self) -> str:
        return self.name[self.name.rfind(".") :].lower() if "." in self.name else ""


def location_reason(rule: LocationRule, logical: str) -> Reason:
    return Reason(
        rule.id,
        rule.title,
        rule.severity,
        rule.confidence,
        rule.outcome,
        "location" if not rule.id.startswith("WF-IOC") else "known-bad-path",
        raw=logical,
        wave=rule.wave,
        attack=list(rule.attack),
        references=list(rule.references),
        fields={"rule": rule.id},
        detail=rule.description,
    )


def known_bad_reason(family: str, source: str, sha: str) -> Reason:
    return Reason(
        "WF-IOC-MSTIC-SHA256",
        f"Known-bad file ({family})",
        Severity.CRITICAL,
        Confidence.HIGH,
        Outcome.SUCCESS if "ransom" in family.lower() else Outcome.WEBSHELL,
        "known-bad",
        raw=f"SHA-256 {sha}",
        wave=post_exploitation_id() if "ransom" in family.lower() else shells_wave_id(),
        attack=["T1486"] if "ransom" in family.lower() else ["T1505.003"],
        references=[MSTIC_HASH_REFERENCE],
        fields={"sha256": sha, "source": source},
        detail=f"The SHA-256 is listed in {source}.",
    )


def baseline_reason(cls: str, rel: str, ext: str, covered: bool, inferred: str | None) -> Reason | None:
    """A *modified* or *unknown* file under Exchange's web folders. Weighted by what it can run and by
    whether the baseline covers this server's build at all (if not, every file looks changed)."""
    where = f"ClientAccess/FrontEnd relative path {rel}"
    build = f" (files match build {inferred})" if inferred else ""
    if not covered:
        return Reason(
            f"WF-BASELINE-{cls.upper()}",
            f"{'Modified' if cls == MODIFIED else 'Unknown'} Exchange web file (baseline does not cover this build)",
            Severity.INFO,
            Confidence.LOW,
            Outcome.INFO,
            cls,
            raw=where,
            fields={"relative_path": rel, "baseline": cls},
            detail="The shipped baselines end at the March 2021 Security Updates; this server's files do not match them, so changes cannot be told from updates.",
        )
    if ext in SCRIPT_EXTENSIONS - {".config"}:
        sev, conf, outcome = Severity.HIGH, Confidence.MEDIUM, Outcome.WEBSHELL
    elif ext == ".dll":
        sev, conf, outcome = Severity.MEDIUM, Confidence.LOW, Outcome.INFO
    elif ext in _CLIENT_SIDE:
        sev, conf, outcome = Severity.MEDIUM, Confidence.LOW, Outcome.INFO
    else:
        sev, conf, outcome = Severity.LOW if cls == MODIFIED else Severity.INFO, Confidence.LOW, Outcome.INFO
    if ext == ".config":
        sev = Severity.LOW  # the URL Rewrite mitigation legitimately edits web.config (CSS-Exchange #287)
    if cls == MODIFIED:
        title = "Modified Exchange web file (known path, unknown content)"
        detail = f"The path belongs to Exchange but its SHA-256 is in no known-good baseline{build}: code may have been injected into a legitimate page."
    else:
        title = "Unknown file in Exchange's web folders"
        detail = f"No Exchange build ships a file at this path{build}."
    return Reason(
        f"WF-BASELINE-{cls.upper()}",
        title,
        sev,
        conf,
        outcome,
        cls,
        raw=where,
        attack=["T1505.003"],
        fields={"relative_path": rel, "baseline": cls},
        detail=detail,
    )


#: Stylesheets IIS hands to the page that transforms with them: an ``msxsl:script`` block of one runs as the
#: application when the transform enables script (Umbraco 7's XSLT macros, Ektron's CVE-2012-5357).
_STYLESHEETS = frozenset({".xsl", ".xslt"})
#: What a stylesheet's script block does that no formatting needs: start a process, run or load code, call
#: native code (X38's request, session 16, approved by the lead: a behaviour-only hit there was info).
_STYLESHEET_RUNS = frozenset({"process", "eval", "loader", "native"})


def _stylesheet_runs_code(extension: str, hit: dict[str, Any]) -> bool:
    """Whether a behaviour hit is a stylesheet's script starting a process, running or loading code or calling
    native code: a web shell's outcome, as in a page."""
    return extension in _STYLESHEETS and hit.get("category") in _STYLESHEET_RUNS


#: Sources that are only ever compiled at build time, never run from the file on the server: Blazor
#: components (``.razor``; the Razor SDK has no runtime compilation for them). A YARA hit there is for
#: review, whatever outcome the rule fixes for pages (X39, session 17: a ``.razor`` made the verdict
#: compromised through the Razor-page rule).
BUILD_ONLY_SOURCES = frozenset({".razor"})


def yara_reason(hit: dict[str, Any], extension: str = "") -> Reason:
    """A YARA match. External rules carry no outcome: a match in a page (.aspx, .ashx, ...) counts as
    a web shell, a match in any other file is reported without raising the verdict."""
    meta: dict[str, str] = hit.get("meta", {})
    external = hit.get("namespace") != "extriage"
    sev_name = meta.get("severity", "").upper()
    severity = Severity[sev_name] if sev_name in Severity.__members__ else Severity.HIGH
    outcome_name = meta.get("outcome", "")
    try:
        outcome = Outcome(outcome_name)
    except ValueError:
        outcome = Outcome.WEBSHELL if extension in SCRIPT_EXTENSIONS else Outcome.INFO
    if extension in BUILD_ONLY_SOURCES and outcome is Outcome.WEBSHELL:
        outcome = Outcome.INFO  # a rule's fixed outcome speaks of pages; this file never runs as one
    family = meta.get("family") or meta.get("description") or hit["rule"]
    refs = [v for k, v in meta.items() if k.lower() in ("reference", "references", "report", "url") and v]
    fields = {"rule": hit["rule"], "namespace": hit.get("namespace", ""), "family": family}
    for k in ("author", "reference", "date", "license", "description"):
        if meta.get(k):
            fields[k] = meta[k]
    title = f"{family}" if not external else f"External YARA rule {hit['rule']}"
    author = meta.get("author", "")
    return Reason(
        f"WF-YARA-{hit['rule']}",
        title,
        severity,
        Confidence.HIGH if not external else Confidence.MEDIUM,
        outcome,
        f"yara:{hit['rule']}",
        raw=hit.get("raw", ""),
        line=hit.get("line"),
        wave=shell_wave(meta.get("wave")),
        attack=[a.strip() for a in meta.get("attack", "T1505.003").split(",") if a.strip()],
        cves=["CVE-2021-27065"] if hit["rule"] == "EXT_WEBSHELL_OAB_Config_Shell" else [],
        references=refs,
        fields=fields,
        detail=(meta.get("description", "") + (f" (rule by {author})" if author else "")).strip(),
    )


_CONFIDENCE = {"low": Confidence.LOW, "medium": Confidence.MEDIUM, "high": Confidence.HIGH}


def behaviour_reason(hit: dict[str, Any], extension: str = "") -> Reason:
    """A behaviour hit: request input (the source) reaching a dangerous operation (the sink), or an
    operation no page needs. In a page, or in a source file ASP.NET compiles (``hit["compiled"]``:
    App_Code, code-behind), it is a web shell; elsewhere (an XSLT file) it is reported without
    raising the verdict."""
    sink = str(hit["sink"])
    source = hit.get("source")
    lang = str(hit.get("language", ""))
    sev_name = str(hit.get("severity", "high")).upper()
    severity = Severity[sev_name] if sev_name in Severity.__members__ else Severity.HIGH
    if source:
        title = f"Server code ({lang}) where {source} reaches code that {hit['title']}"
        where = f"line {hit.get('source_line')}" + (f" via {', '.join(hit['via'])}" if hit.get("via") else "")
        detail = (
            f"Behaviour analysis: {source} (from {where}) reaches an operation that {hit['title']} "
            f"(line {hit.get('line')}); pages do not hand request input to such operations, web shells do."
        )
    else:
        title = f"Server code ({lang}) that {hit['title']}"
        detail = f"Behaviour analysis: the page {hit['title']} (line {hit.get('line')}), which ordinary pages never need."
    if hit.get("obfuscation"):
        detail += f" {hit['obfuscation']} obfuscated strings or split tokens were decoded around it."
    callee = hit.get("callee_file")
    if source and callee:
        # across files: the page hands request input to a method of a file compiled with it, where it
        # reaches the sink; the evidence is the page's line and the other file's line
        other = hit.get("callee_logical", callee)
        title = (
            f"Server code ({lang}) that hands {source} to {other}, where it reaches code that {hit['title']}"
        )
        detail = (
            f"Behaviour analysis across files: {source} (line {hit.get('source_line')}; the call on line "
            f"{hit.get('call_line')}) is passed to a method of {hit.get('callee_logical', callee)} "
            f"({hit.get('callee_why')}: ASP.NET compiles it with this page), where it reaches an operation "
            f"that {hit['title']} (line {hit.get('line')} of that file"
            + (f", via {', '.join(hit['via'])}" if hit.get("via") else "")
            + "). Neither file shows it alone: the page has no such operation, the class no request input."
        )
        across: dict[str, Any] = {"sink": sink, "category": hit.get("category", ""), "language": lang}
        across.update(role="source", source=source)
        more_across: list[tuple[int | None, str, dict[str, Any]]] = [
            (
                hit.get("line"),
                str(hit.get("raw", "")),
                {
                    "role": "sink",
                    "file": callee,
                    "file_sha256": hit.get("callee_sha256"),
                    "via": hit.get("via"),
                },
            )
        ]
        return Reason(
            f"WF-BEHAV-{sink.upper()}",
            title,
            severity,
            _CONFIDENCE.get(str(hit.get("confidence")), Confidence.MEDIUM),
            Outcome.WEBSHELL,
            f"behaviour:{sink}",
            raw=str(hit.get("source_raw", "")),
            line=hit.get("source_line"),
            attack=["T1505.003"],
            fields=across,
            detail=detail,
            more=more_across,
        )
    compiled = hit.get("compiled")
    if compiled:
        detail += (
            f" ASP.NET compiles this source file itself ({compiled}): its code runs in the application"
            " like a page's."
        )
    fields: dict[str, Any] = {
        "sink": sink,
        "category": hit.get("category", ""),
        "language": lang,
        "role": "sink",
    }
    for key in ("source", "source_line", "via", "obfuscation", "compiled"):
        if hit.get(key):
            fields[key] = hit[key]
    more: list[tuple[int | None, str, dict[str, Any]]] = []
    if source and hit.get("source_line") != hit.get("line"):
        more.append(
            (hit.get("source_line"), str(hit.get("source_raw", "")), {"role": "source", "source": source})
        )
    return Reason(
        f"WF-BEHAV-{sink.upper()}",
        title,
        severity,
        _CONFIDENCE.get(str(hit.get("confidence")), Confidence.MEDIUM),
        Outcome.WEBSHELL
        if extension in SCRIPT_EXTENSIONS or compiled or _stylesheet_runs_code(extension, hit)
        else Outcome.INFO,
        f"behaviour:{sink}",
        raw=str(hit.get("raw", "")),
        line=hit.get("line"),
        attack=["T1505.003"],
        fields=fields,
        detail=detail,
        more=more,
    )


#: Targeted content checks whose verdict does not depend on the file: check -> (rule id, title,
#: severity, confidence, outcome, wave, attack, cves, detail).
def _pst_shell_wave() -> str:
    return wave_of_cve("CVE-2021-31207")  # the mailbox export written as a page


#: (the wave is looked up in the wave registry when a check fires, not at import)
_CHECKS: dict[str, tuple[str, str, Severity, Confidence, Outcome, Callable[[], str], list[str], list[str], str]] = {
    "lsass-dump": (
        "WF-LSASS-DUMP",
        "LSASS memory dump",
        Severity.CRITICAL,
        Confidence.HIGH,
        Outcome.SUCCESS,
        post_exploitation_id,
        ["T1003.001"],
        [],
        "A minidump of lsass.exe holds the credentials of every logged-on account; ProxyLogon operators dumped LSASS with procdump or comsvcs.dll MiniDump.",
    ),
    "dearcry": (
        "WF-RANSOM-DEARCRY",
        "File encrypted by DearCry ransomware",
        Severity.CRITICAL,
        Confidence.HIGH,
        Outcome.SUCCESS,
        post_exploitation_id,
        ["T1486"],
        [],
        "DearCry prepends DEARCRY! to every file it encrypts.",
    ),
    "pst-shell": (
        "WF-PST-SHELL",
        "PST-encoded web shell (mailbox export written as a page)",
        Severity.CRITICAL,
        Confidence.HIGH,
        Outcome.WEBSHELL,
        _pst_shell_wave,
        ["T1505.003"],
        ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"],
        "ProxyShell writes its web shell with New-MailboxExportRequest: a PST file (header !BDN) saved under a web folder with a page extension.",
    ),
    "pst-export": (
        "WF-PST-EXPORT",
        "Mailbox export (PST) on disk",
        Severity.LOW,
        Confidence.LOW,
        Outcome.INFO,
        post_exploitation_id,
        ["T1114.001"],
        [],
        "ProxyLogon operators exported mailboxes to PST files before staging them.",
    ),
}


def check_reason(hit: dict[str, Any], compiled_ok: bool | None = None) -> Reason | None:
    check = hit["check"]
    raw = hit.get("raw", "")
    known = _CHECKS.get(check)
    if known is not None:
        rule_id, title, severity, confidence, outcome, wave, attack, cves, detail = known
        return Reason(
            rule_id,
            title,
            severity,
            confidence,
            outcome,
            f"check:{check}",
            raw=raw,
            wave=wave(),
            attack=list(attack),
            cves=list(cves),
            fields={"check": check},
            detail=detail,
        )
    if check == "compiled" and compiled_ok is False:
        vp = hit.get("virtual_path", "")
        return Reason(
            "WF-COMPILED-PAGE",
            "Compiled page for a non-Exchange virtual path",
            Severity.HIGH,
            Confidence.MEDIUM,
            Outcome.WEBSHELL,
            "check:compiled",
            raw=raw,
            line=hit.get("line"),
            attack=["T1505.003"],
            fields={"check": check, "virtual_path": vp},
            detail=f"ASP.NET compiled {vp}, a page no Exchange build ships, so it was requested and ran (the record survives deletion of the page).",
        )
    return None


#: Reasons that read the content or match a known indicator say more about *which* wave wrote a file
#: than where the file sits: a PST-encoded page in aspnet_client is ProxyShell's, not ProxyLogon's.
_LOCATION_CLASSES = ("location", "modified", "unknown")


def _wave_of(reasons: list[Reason]) -> str:
    """The wave of the most severe reason that is not a mere location and names a particular wave (a PST-encoded
    page, a path of Microsoft's ProxyLogon list), else of the most severe reason that is not a mere location (a
    China Chopper page says only that a shell is there), else of the most severe one."""
    shells = shells_wave_id()
    read = [r for r in reasons if r.classification not in _LOCATION_CLASSES]
    named = [r for r in read if r.wave != shells]
    return (named or read or reasons)[0].wave


def build_finding(facts: FileFacts) -> Finding | None:
    if not facts.reasons:
        return None
    reasons = sorted(
        facts.reasons,
        key=lambda r: (int(r.severity), _OUTCOME_RANK[r.outcome], int(r.confidence)),
        reverse=True,
    )
    top = reasons[0]
    wave = _wave_of(reasons)
    outcome = max((r.outcome for r in reasons), key=lambda o: _OUTCOME_RANK[o])
    if outcome in (Outcome.WEBSHELL, Outcome.SUCCESS) and top.outcome in (Outcome.WEBSHELL, Outcome.SUCCESS):
        outcome = top.outcome
    title = top.title
    if not top.classification.startswith("yara:"):  # a known family keeps its name in the title
        family = next(
            (
                r.fields.get("family")
                for r in reasons
                if r.classification.startswith("yara:") and r.fields.get("family")
            ),
            None,
        )
        if family and str(family) not in title:
            title = f"{title} ({family})"
    finding = Finding(
        rule_id=top.rule_id,
        title=f"{title}: {facts.name}",
        severity=top.severity,
        confidence=max(r.confidence for r in reasons if r.severity == top.severity),
        outcome=outcome,
        wave=wave,
        description=" ".join(dict.fromkeys(r.detail for r in reasons if r.detail)),
    )
    for r in reasons:
        for a in r.attack:
            if a not in finding.attack:
                finding.attack.append(a)
        for c in r.cves:
            if c not in finding.cves:
                finding.cves.append(c)
        for ref in r.references:
            if ref not in finding.references:
                finding.references.append(ref)
        if r.classification not in finding.tags:
            finding.tags.append(r.classification)
        finding.evidence.append(
            EvidenceLine(
                source=facts.display,
                line=r.line,
                raw=r.raw,
                fields={"reason": r.rule_id, **r.fields},
                timestamp=facts.mtime,
                sha256=facts.sha256,
            )
        )
        for line, raw, extra in r.more:
            other = extra.get("file")  # a line of another file (behaviour traced across files)
            finding.evidence.append(
                EvidenceLine(
                    source=str(other) if other else facts.display,
                    line=line,
                    raw=raw,
                    fields={"reason": r.rule_id, **extra},
                    timestamp=None if other else facts.mtime,
                    sha256=extra.get("file_sha256") if other else facts.sha256,
                )
            )
    finding.touch(facts.mtime)
    finding.indicators = Indicators(
        paths=[facts.logical],
        urls=[facts.url] if facts.url else [],
        hashes=[facts.sha256] if facts.sha256 else [],
    )
    finding.count = 1
    return finding
