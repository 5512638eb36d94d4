"""Read a scan-result JSON (``ScanResult.to_dict()`` output) back into the model.

Reports are rendered from saved results, possibly written by another extriage version or cut short
by a full disk, so every problem ends in :class:`ResultLoadError` with one sentence naming the file.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from extriage.findings import (
    SCHEMA_VERSION,
    AttackStory,
    Confidence,
    Coverage,
    EvidenceLine,
    FamilyCoverage,
    FileRecord,
    Finding,
    Indicators,
    Outcome,
    ScanResult,
    Severity,
    SkippedFile,
    StoryStep,
    TimelineEvent,
    Verdict,
)

#: A result file larger than this is refused rather than exhausting memory (100,000 findings with
#: evidence are a few hundred MB at most).
MAX_RESULT_BYTES = 2 * 1024**3


class ResultLoadError(ValueError):
    """A scan-result file that cannot be used; the message is one sentence naming the file."""


def load_result(path: str | Path) -> ScanResult:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_RESULT_BYTES:
            raise ResultLoadError(f"{p} is too large to be a scan result ({size} bytes).")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultLoadError(f"{p} does not exist.") from None
    except IsADirectoryError:
        raise ResultLoadError(f"{p} is a folder, not a scan-result JSON file.") from None
    except UnicodeDecodeError:
        raise ResultLoadError(f"{p} is not a UTF-8 JSON file (is it a scan result?).") from None
    except OSError as exc:
        raise ResultLoadError(f"{p} cannot be read: {exc.strerror or exc}.") from None
    return loads_result(text, str(p))


def loads_result(text: str, name: str = "the result") -> ScanResult:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        stripped = text.rstrip()
        if not stripped:
            raise ResultLoadError(f"{name} is empty; re-run the scan with --json.") from None
        if stripped.startswith("{") and not stripped.endswith("}") and exc.msg != "Extra data":
            raise ResultLoadError(f"{name} is truncated JSON (it ends early); re-run the scan to get a complete file.") from None
        raise ResultLoadError(f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    except RecursionError:
        raise ResultLoadError(f"{name} is nested too deeply to be a scan result.") from None
    return result_from_dict(data, name)


def result_from_dict(data: Any, name: str = "the result") -> ScanResult:
    if isinstance(data, dict) and str(data.get("format", "")).startswith("extriage-probe/"):
        raise ResultLoadError(
            f"{name} is an 'extriage probe' result, which is already the report of a network check; "
            "'extriage report' renders scan results (extriage scan PATH --json FILE)."
        )
    if not isinstance(data, dict) or "evidence_path" not in data:
        raise ResultLoadError(f"{name} is not an extriage scan result (no evidence_path).")
    version = data.get("schema_version")
    if version is None:
        raise ResultLoadError(f"{name} has no schema_version; it was not written by extriage scan --json.")
    if str(version).split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise ResultLoadError(
            f"{name} uses result schema version {version}; this extriage reads version {SCHEMA_VERSION}"
            " — render it with the extriage version that wrote it, or re-run the scan."
        )
    try:
        return _result(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        where = _schema_problem(data) or f"{type(exc).__name__}: {exc}"
        raise ResultLoadError(f"{name} does not match the scan-result schema ({where}).") from None


def _schema_problem(data: dict[str, Any], sample: int = 1000) -> str | None:
    """The most relevant JSON-Schema error (``schema/scan-result.schema.json``) as "at <path>: <msg>",
    checked on the first ``sample`` entries of the long lists so a huge file stays quick. Only used to
    explain a result the model could not read: the model, not the schema, decides what is usable."""
    try:
        import jsonschema  # type: ignore[import-untyped]

        schema = json.loads(resources.files("extriage.schema").joinpath("scan-result.schema.json").read_text(encoding="utf-8"))
    except (ImportError, OSError, ValueError):
        return None
    trimmed = {k: (v[:sample] if isinstance(v, list) else v) for k, v in data.items()}
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = list(validator.iter_errors(trimmed))
    if not errors:
        return None
    # A wrong value says more than a missing field the reader could have done without.
    error = min(errors, key=lambda e: (e.validator == "required", -len(e.absolute_path)))
    path = "/".join(str(p) for p in error.absolute_path) or "top level"
    return f"at {path}: {error.message[:200]}"


# -- field converters ---------------------------------------------------------------------------
def _dt(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _strs(value: Any) -> list[str]:
    return [str(v) for v in value or []]


def _severity(value: Any) -> Severity:
    return Severity[str(value).upper()]


def _confidence(value: Any) -> Confidence:
    return Confidence[str(value).upper()]


def _evidence(d: dict[str, Any]) -> EvidenceLine:
    return EvidenceLine(
        source=str(d.get("source", "")),
        line=d.get("line"),
        raw=str(d.get("raw", "")),
        fields=dict(d.get("fields") or {}),
        timestamp=_dt(d.get("timestamp")),
        sha256=d.get("sha256"),
    )


def _indicators(d: dict[str, Any] | None) -> Indicators:
    d = d or {}
    return Indicators(**{k: _strs(d.get(k)) for k in Indicators.__dataclass_fields__})


def _finding(d: dict[str, Any]) -> Finding:
    return Finding(
        rule_id=str(d["rule_id"]),
        title=str(d.get("title", "")),
        severity=_severity(d.get("severity", "info")),
        confidence=_confidence(d.get("confidence", "low")),
        outcome=Outcome(d.get("outcome", "info")),
        description=str(d.get("description", "")),
        wave=str(d.get("wave", "")),
        cves=_strs(d.get("cves")),
        attack=_strs(d.get("attack")),
        first_seen=_dt(d.get("first_seen")),
        last_seen=_dt(d.get("last_seen")),
        evidence=[_evidence(e) for e in d.get("evidence") or []],
        indicators=_indicators(d.get("indicators")),
        count=int(d.get("count", 1)),
        references=_strs(d.get("references")),
        tags=_strs(d.get("tags")),
        id=str(d.get("id", "")),
    )


def _story(d: dict[str, Any]) -> AttackStory:
    return AttackStory(
        wave=str(d.get("wave", "")),
        title=str(d.get("title", "")),
        client_ips=_strs(d.get("client_ips")),
        first_seen=_dt(d.get("first_seen")),
        last_seen=_dt(d.get("last_seen")),
        outcome=Outcome(d.get("outcome", "attempt")),
        steps=[
            StoryStep(
                timestamp=_dt(s.get("timestamp")),
                title=str(s.get("title", "")),
                detail=str(s.get("detail", "")),
                finding_ids=_strs(s.get("finding_ids")),
            )
            for s in d.get("steps") or []
        ],
    )


def _event(d: dict[str, Any]) -> TimelineEvent:
    ts = _dt(d["timestamp"])
    if ts is None:
        raise ValueError("timeline event without timestamp")
    return TimelineEvent(
        timestamp=ts,
        source=str(d.get("source", "")),
        line=d.get("line"),
        kind=str(d.get("kind", "")),
        summary=str(d.get("summary", "")),
        client_ip=str(d.get("client_ip", "")),
        finding_ids=_strs(d.get("finding_ids")),
        raw=str(d.get("raw", "")),
    )


def _coverage(d: dict[str, Any] | None) -> Coverage:
    d = d or {}
    families = {}
    for key, f in (d.get("families") or {}).items():
        families[str(key)] = FamilyCoverage(
            family=str(f.get("family", key)),
            files=int(f.get("files", 0)),
            lines=int(f.get("lines", 0)),
            parsed=int(f.get("parsed", 0)),
            bytes=int(f.get("bytes", 0)),
            first=_dt(f.get("first")),
            last=_dt(f.get("last")),
            notes=_strs(f.get("notes")),
        )
    return Coverage(
        families=families,
        skipped=[
            SkippedFile(str(s.get("path", "")), str(s.get("reason", "")), bool(s.get("partial", False)),
                        bool(s.get("relevant", True)))
            for s in d.get("skipped") or []
        ],
        warnings=_strs(d.get("warnings")),
    )


def _result(d: dict[str, Any]) -> ScanResult:
    return ScanResult(
        evidence_path=str(d["evidence_path"]),
        layout=str(d.get("layout", "")),
        hostname=str(d.get("hostname", "")),
        exchange_install=str(d.get("exchange_install", "")),
        started=_dt(d.get("started")),
        finished=_dt(d.get("finished")),
        tool_version=str(d.get("tool_version", "")),
        verdict=Verdict(d.get("verdict", "no_evidence")),
        verdict_reason=str(d.get("verdict_reason", "")),
        waves={str(k): Verdict(v) for k, v in (d.get("waves") or {}).items()},
        findings=[_finding(f) for f in d.get("findings") or []],
        stories=[_story(s) for s in d.get("stories") or []],
        timeline=[_event(e) for e in d.get("timeline") or []],
        coverage=_coverage(d.get("coverage")),
        files=[
            FileRecord(str(f.get("path", "")), str(f.get("sha256", "")), int(f.get("size", 0)), _dt(f.get("mtime")))
            for f in d.get("files") or []
        ],
        activity=dict(d.get("activity") or {}),
        extras=dict(d.get("extras") or {}),
    )
