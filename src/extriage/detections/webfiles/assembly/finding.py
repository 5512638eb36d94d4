"""Which compiled assemblies the web file stage reads as IL, and the findings their hits make.

Read where web shells are compiled or dropped: ASP.NET's compiled pages and App_Code in Temporary ASP.NET
Files (``App_Web_*.dll``, ``App_Code*.dll``, ``App_global.asax*.dll``), the ``bin/`` folders of sites that
are not Exchange's own web folders, and an ASP.NET Core site's program and its own assemblies. Not read:
Exchange's product DLLs (its web folders' ``bin`` files the known-good baseline vouches for; the rest of
its install is not a web folder), the framework and package assemblies a Core site carries
(``Microsoft.*``, ``System.*``, ``runtime.*``), and the shadow copies ASP.NET keeps of ``bin`` files.
"""

from __future__ import annotations

from typing import Any

from extriage.detections.webfiles.assembly.analysis import Hit, Report, describe
from extriage.detections.webfiles.classify import Reason
from extriage.findings import Confidence, Outcome, Severity

#: Compiled-page assembly names ASP.NET writes into Temporary ASP.NET Files (lower case prefixes).
_COMPILED = ("app_web_", "app_code", "app_global", "app_browsers", "app_theme")
#: Assembly names a Core site carries from the framework and its packages (lower case prefixes).
_PACKAGES = ("microsoft.", "system.", "runtime.", "netstandard", "mscorlib", "newtonsoft.")
#: Names and lines drawn from the metadata are capped (a hostile assembly can carry megabyte names).
_CAP = 600

#: An assembly larger than this is not read as IL (YARA still reads it whole). The reader takes the metadata
#: tables' columns from the raw stream (~0.2-0.3 CPU-s and ~13 MB a MB of assembly: mono's mscorlib.dll, 4.8 MB,
#: 1.2 CPU-s and 87 MB), the analysis runs in the stage's worker processes, and its walk has a work bound
#: (:data:`~extriage.detections.webfiles.assembly.analysis.MAX_STEPS`). Session 20's bound was 1 MB, when dnfile's
#: row objects cost ~1-1.6 CPU-s and ~70 MB a MB. Larger assemblies are vendors' libraries: YARA only.
MAX_IL_BYTES = 8 * 1024 * 1024
#: Bytes of assemblies read as IL per scan at most, smallest first: a site's bin of 29 of mono's framework DLLs
#: (24 MB) is read whole in ~10 CPU-s and < 250 MB PSS for the process tree (IL2, session 21); a tree with
#: hundreds of libraries stays bounded, the rest named in the coverage.
MAX_IL_TOTAL = 32 * 1024 * 1024

WHY_COMPILED = "a page or App_Code compiled by ASP.NET (Temporary ASP.NET Files)"
WHY_BIN = "a site's bin folder"
WHY_CORE = "an ASP.NET Core site's assembly"
WHY_EXCHANGE = "an Exchange web folder's bin file no baseline vouches for"


def place(key: str, name: str, core_folders: frozenset[str]) -> str | None:
    """Why an assembly at ``key`` (lower-case ``/`` path, outside Exchange's install) is read as IL, or None.
    ``core_folders``: the keys of the folders ASP.NET Core sites run from."""
    low = name.lower()
    if not low.endswith((".dll", ".exe")):
        return None
    k = "/" + key
    if "/temporary asp.net files/" in k:
        return WHY_COMPILED if low.startswith(_COMPILED) and low.endswith(".dll") else None
    folder = key.rsplit("/", 1)[0] if "/" in key else ""
    if folder in core_folders:
        return None if low.startswith(_PACKAGES) else WHY_CORE
    if low.endswith(".dll") and (k.rsplit("/", 2)[-2:-1] == ["bin"]):
        return WHY_BIN
    return None


def reasons(report: Report, why: str) -> list[Reason]:
    """One reason per hit: a traced flow is a web shell; a method where both appear (the walk lost track)
    and a native declaration no web code needs are for review."""
    return [_reason(report, hit, why) for hit in report.hits]


def _reason(report: Report, hit: Hit, why: str) -> Reason:
    rule = hit.rule
    line = describe(hit)[:_CAP]
    fields: dict[str, Any] = {
        "assembly": report.assembly[:_CAP],
        "method": hit.method[:_CAP],
        "sink": hit.sink[:_CAP],
        "sink_offset": f"IL_{hit.offset:04X}",
        "why_read": why,
        "confidence": hit.confidence,
    }
    if hit.entry is not None:
        fields["source"] = hit.entry.member[:_CAP]
        fields["source_method"] = hit.entry.method[:_CAP]
        fields["source_offset"] = f"IL_{hit.entry.offset:04X}"
    if hit.via:
        fields["via"] = [v[:_CAP] for v in hit.via]
    if hit.entry is None:
        return Reason(
            f"WF-IL-{rule.id.upper()}",
            f"Compiled .NET assembly that {rule.title}",
            Severity.MEDIUM,
            Confidence.LOW,
            Outcome.INFO,
            f"assembly:{rule.id}",
            raw=line,
            attack=["T1505.003", "T1106"],
            fields=fields,
            detail=(
                f"IL analysis of {why}: it declares a native function (P/Invoke) that {rule.title}; web code "
                "does not need it, shellcode runners and injectors do. Review the method that calls it."
            ),
        )
    if hit.confidence == "low":
        return Reason(
            f"WF-IL-{rule.id.upper()}",
            f"Compiled .NET assembly with {hit.entry.title} and code that {rule.title} in one method",
            Severity.MEDIUM,
            Confidence.LOW,
            Outcome.INFO,
            f"assembly:{rule.id}",
            raw=line,
            attack=["T1505.003"],
            fields=fields,
            detail=(
                f"IL analysis of {why}: one method reads {hit.entry.title} and has an operation that "
                f"{rule.title}, but the walk could not follow every value between them (an unresolved call), "
                "so the flow is not shown. Review the method."
            ),
        )
    return Reason(
        f"WF-IL-{rule.id.upper()}",
        f"Compiled .NET assembly where {hit.entry.title} reaches code that {rule.title}",
        Severity.HIGH,
        Confidence.MEDIUM,
        Outcome.WEBSHELL,
        f"assembly:{rule.id}",
        raw=line,
        attack=["T1505.003"],
        fields=fields,
        detail=(
            f"IL analysis of {why}: {hit.entry.title} (at IL offset {fields['source_offset']}) reaches an "
            f"operation that {rule.title} (IL offset {fields['sink_offset']})"
            + (f", through {len(hit.via)} call{'s' if len(hit.via) != 1 else ''} of its own methods" if hit.via else "")
            + "; web applications do not hand request input to such operations, web shells do."
        ),
    )
