"""``case add``: tell a scan, probe or mitigation result JSON apart and check it before it is stored.

Scan results go through the report's own loader (:mod:`extriage.report.load`), so a file ``extriage
report`` refuses is refused here with the same sentence; probe and mitigation results are checked
for the fields the case reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extriage.findings import ScanResult
from extriage.report.load import MAX_RESULT_BYTES, ResultLoadError, loads_result, result_from_dict
from extriage.userfiles import UserFileError, read_bounded


class ImportProblem(ValueError):
    """A file ``case add`` cannot use; one sentence naming it."""


@dataclass(slots=True)
class Imported:
    kind: str  # "scan" | "probe" | "mitigation"
    name: str
    scan: ScanResult | None = None
    data: dict[str, Any] | None = None


def read_result_file(path: str) -> Imported:
    p = Path(path)
    try:
        raw = read_bounded(p, MAX_RESULT_BYTES, "result JSON file")
    except UserFileError as exc:
        raise ImportProblem(str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportProblem(f"{p} is not a UTF-8 JSON file (is it an extriage result?).") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        try:  # the report loader's sentence (empty, truncated, where it breaks)
            loads_result(text, str(p))
        except ResultLoadError as exc:
            raise ImportProblem(str(exc)) from None
        raise ImportProblem(f"{p} is not valid JSON.") from None
    return classify(data, str(p))


def classify(data: Any, name: str) -> Imported:
    if not isinstance(data, dict):
        raise ImportProblem(f"{name} is not an extriage result (scan, probe or mitigation verify --json).")
    if str(data.get("format", "")).startswith("extriage-probe/"):
        results = data.get("results")
        if not isinstance(results, list) or not all(isinstance(r, dict) and isinstance(r.get("target"), str) for r in results):
            raise ImportProblem(f"{name} is an extriage probe result without a usable 'results' list of targets.")
        return Imported("probe", name, data=data)
    if "evidence_path" in data:
        try:
            return Imported("scan", name, scan=result_from_dict(data, name))
        except ResultLoadError as exc:
            raise ImportProblem(str(exc)) from None
    if isinstance(data.get("mitigations"), list) and "source" in data:
        if not isinstance(data["source"], str) or not data["source"]:
            raise ImportProblem(f"{name} is a mitigation result without the evidence it was verified on ('source').")
        for i, item in enumerate(data["mitigations"]):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("state"), str):
                raise ImportProblem(f"{name}: mitigations[{i}] has no id and state; it is not 'mitigation verify --json' output.")
        return Imported("mitigation", name, data=data)
    raise ImportProblem(
        f"{name} is not an extriage result: expected 'scan --json', 'probe --json' or 'mitigation verify --json' output."
    )
