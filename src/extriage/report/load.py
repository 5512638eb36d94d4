"""Read a scan-result JSON (``ScanResult.to_dict()`` output) back into the model.

Reports are rendered from saved results, possibly written by another extriage version or cut short
by a full disk, so every problem ends in :class:`ResultLoadError` with one sentence naming the file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
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
from extriage.userfiles import UserFileError, read_bounded

#: A result file larger than this is refused rather than exhausting memory (100,000 findings with
#: evidence are a few hundred MB at most; the parsed model takes several times the file's size).
MAX_RESULT_BYTES = 1024**3
#: The counts and sizes a real scan can produce; beyond this a number is damage (a 400-digit
#: integer), not data, and would break the exports (STIX/MISP counts are 32/64-bit).
MAX_NUMBER = 2**53
#: Dates a real scan can produce. Outside this range a date is damage, and renderers that step
#: through the days between the first and last event, or convert time zones, would fail or hang.
MIN_YEAR, MAX_YEAR = 1970, 2199


class ResultLoadError(ValueError):
    """A scan-result file that cannot be used; the message is one sentence naming the file."""


class _FieldError(ValueError):
    """One field of the result holds a value no scan writes; the message names the field."""


class _NotANumber:
    """What ``NaN``/``Infinity`` (which Python's json accepts, but are not JSON) are read as, so the
    field holding one is named by the validation."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def load_result(path: str | Path) -> ScanResult:
    p = Path(path)
    try:
        raw = read_bounded(p, MAX_RESULT_BYTES, "scan-result JSON file")
    except UserFileError as exc:
        raise ResultLoadError(str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ResultLoadError(f"{p} is not a UTF-8 JSON file (is it a scan result?).") from None
    return loads_result(text, str(p))


def loads_result(text: str, name: str = "the result") -> ScanResult:
    try:
        data = json.loads(text, parse_constant=_NotANumber)
    except json.JSONDecodeError as exc:
        stripped = text.rstrip()
        if not stripped:
            raise ResultLoadError(f"{name} is empty; re-run the scan with --json.") from None
        if stripped.startswith("{") and not stripped.endswith("}") and exc.msg != "Extra data":
            raise ResultLoadError(f"{name} is truncated JSON (it ends early); re-run the scan to get a complete file.") from None
        raise ResultLoadError(f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    except RecursionError:
        raise ResultLoadError(f"{name} is nested too deeply to be a scan result.") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ResultLoadError(f"{name} is not usable JSON ({exc}).") from None
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
    except _FieldError as exc:
        raise ResultLoadError(f"{name} holds a value no scan writes: {exc}.") from None
    except RecursionError:
        raise ResultLoadError(f"{name} is nested too deeply to be a scan result.") from None
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
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
# Each takes the field's place in the result (``findings[3].count``) so a bad value is named.
def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, _NotANumber) else value.text
    return text if len(text) <= 40 else text[:20] + f"… ({len(text)} characters)"


def _dt(value: Any, at: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise _FieldError(f"{at} is {_show(value)}, not a date")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _FieldError(f"{at} is {_show(value)}, not an ISO 8601 date") from None
    if not MIN_YEAR <= when.year <= MAX_YEAR:
        raise _FieldError(f"{at} is {_show(value)}, outside the years {MIN_YEAR}–{MAX_YEAR} any evidence can date from")
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)  # extriage writes UTC


def _int(value: Any, at: str, default: int = 0) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FieldError(f"{at} is {_show(value)}, not a whole number")
    if not 0 <= value <= MAX_NUMBER:
        raise _FieldError(f"{at} is {_show(value)}, outside 0–{MAX_NUMBER:,}")
    return value


def _line(value: Any, at: str) -> int | None:
    return None if value is None else _int(value, at)


def _plain(value: Any, at: str) -> Any:
    """Free-form data (evidence fields, activity counts, extras) as read, once no NaN/Infinity and
    no number beyond ±MAX_NUMBER hides in it (renderers count and convert these)."""
    stack: list[tuple[Any, str]] = [(value, at)]
    while stack:
        v, where = stack.pop()
        if isinstance(v, _NotANumber) or (isinstance(v, float) and v != v):
            raise _FieldError(f"{where} is {_show(v)}, not a number")
        if isinstance(v, int | float) and not isinstance(v, bool) and not -MAX_NUMBER <= v <= MAX_NUMBER:
            raise _FieldError(f"{where} is {_show(v)}, outside ±{MAX_NUMBER:,}")
        if isinstance(v, dict):
            stack.extend((x, f"{where}.{k}") for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, f"{where}[{i}]") for i, x in enumerate(v))
    return value


def _strs(value: Any) -> list[str]:
    return [str(v) for v in value or []]


def _severity(value: Any) -> Severity:
    return Severity[str(value).upper()]


def _confidence(value: Any) -> Confidence:
    return Confidence[str(value).upper()]


def _evidence(d: dict[str, Any], at: str) -> EvidenceLine:
    return EvidenceLine(
        source=str(d.get("source", "")),
        line=_line(d.get("line"), f"{at}.line"),
        raw=str(d.get("raw", "")),
        fields=dict(_plain(d.get("fields") or {}, f"{at}.fields")),
        timestamp=_dt(d.get("timestamp"), f"{at}.timestamp"),
        sha256=d.get("sha256"),
    )


def _indicators(d: dict[str, Any] | None) -> Indicators:
    d = d or {}
    return Indicators(**{k: _strs(d.get(k)) for k in Indicators.__dataclass_fields__})


def _finding(d: dict[str, Any], at: str) -> Finding:
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
        first_seen=_dt(d.get("first_seen"), f"{at}.first_seen"),
        last_seen=_dt(d.get("last_seen"), f"{at}.last_seen"),
        evidence=[_evidence(e, f"{at}.evidence[{i}]") for i, e in enumerate(d.get("evidence") or [])],
        indicators=_indicators(d.get("indicators")),
        count=_int(d.get("count"), f"{at}.count", default=1),
        references=_strs(d.get("references")),
        tags=_strs(d.get("tags")),
        id=str(d.get("id", "")),
    )


def _story(d: dict[str, Any], at: str) -> AttackStory:
    return AttackStory(
        wave=str(d.get("wave", "")),
        title=str(d.get("title", "")),
        client_ips=_strs(d.get("client_ips")),
        first_seen=_dt(d.get("first_seen"), f"{at}.first_seen"),
        last_seen=_dt(d.get("last_seen"), f"{at}.last_seen"),
        outcome=Outcome(d.get("outcome", "attempt")),
        steps=[
            StoryStep(
                timestamp=_dt(s.get("timestamp"), f"{at}.steps[{i}].timestamp"),
                title=str(s.get("title", "")),
                detail=str(s.get("detail", "")),
                finding_ids=_strs(s.get("finding_ids")),
            )
            for i, s in enumerate(d.get("steps") or [])
        ],
    )


def _event(d: dict[str, Any], at: str) -> TimelineEvent:
    ts = _dt(d["timestamp"], f"{at}.timestamp")
    if ts is None:
        raise _FieldError(f"{at}.timestamp is empty: a timeline event needs its time")
    return TimelineEvent(
        timestamp=ts,
        source=str(d.get("source", "")),
        line=_line(d.get("line"), f"{at}.line"),
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
        at = f"coverage.families.{key}"
        families[str(key)] = FamilyCoverage(
            family=str(f.get("family", key)),
            files=_int(f.get("files"), f"{at}.files"),
            lines=_int(f.get("lines"), f"{at}.lines"),
            parsed=_int(f.get("parsed"), f"{at}.parsed"),
            bytes=_int(f.get("bytes"), f"{at}.bytes"),
            first=_dt(f.get("first"), f"{at}.first"),
            last=_dt(f.get("last"), f"{at}.last"),
            notes=_strs(f.get("notes")),
        )
    return Coverage(
        families=families,
        skipped=[
            SkippedFile(str(s.get("path", "")), str(s.get("reason", "")), bool(s.get("partial", False)),
                        bool(s.get("relevant", True)), bool(s.get("unchecked", False)))
            for s in d.get("skipped") or []
        ],
        warnings=_strs(d.get("warnings")),
        waves=dict(_plain(d.get("waves") or {}, "coverage.waves")),
    )


def _result(d: dict[str, Any]) -> ScanResult:
    return ScanResult(
        evidence_path=str(d["evidence_path"]),
        layout=str(d.get("layout", "")),
        hostname=str(d.get("hostname", "")),
        exchange_install=str(d.get("exchange_install", "")),
        started=_dt(d.get("started"), "started"),
        finished=_dt(d.get("finished"), "finished"),
        tool_version=str(d.get("tool_version", "")),
        verdict=Verdict(d.get("verdict", "no_evidence")),
        verdict_reason=str(d.get("verdict_reason", "")),
        waves={str(k): Verdict(v) for k, v in (d.get("waves") or {}).items()},
        findings=[_finding(f, f"findings[{i}]") for i, f in enumerate(d.get("findings") or [])],
        stories=[_story(s, f"stories[{i}]") for i, s in enumerate(d.get("stories") or [])],
        timeline=[_event(e, f"timeline[{i}]") for i, e in enumerate(d.get("timeline") or [])],
        coverage=_coverage(d.get("coverage")),
        files=[
            FileRecord(str(f.get("path", "")), str(f.get("sha256", "")), _int(f.get("size"), f"files[{i}].size"),
                       _dt(f.get("mtime"), f"files[{i}].mtime"))
            for i, f in enumerate(d.get("files") or [])
        ],
        activity=dict(_plain(d.get("activity") or {}, "activity")),
        extras=dict(_plain(d.get("extras") or {}, "extras")),
    )
