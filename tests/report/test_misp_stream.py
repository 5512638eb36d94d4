"""The MISP event is written attribute by attribute (bounded memory) with exactly the text of the
whole event serialised at once, lone surrogates (non-UTF-8 file names) as escapes included."""

from __future__ import annotations

import itertools
import json
import uuid
from pathlib import Path

import pytest

from extriage.findings import Indicators, Outcome, ScanResult
from extriage.report import misp
from extriage.safetext import surrogates_as_escapes

from . import samples


def _odd_name() -> ScanResult:
    path = "C:\\inetpub\\wwwroot\\aspnet_client\\s\udce9.aspx"
    f = samples._finding(1, id="F1", outcome=Outcome.WEBSHELL, indicators=Indicators(paths=[path], hashes=["cd" * 32]))
    return ScanResult(evidence_path="x", findings=[f])


@pytest.mark.parametrize("case", ["compromised", "attempted", "clean", "several", "non-utf8"])
def test_streamed_event_is_the_whole_event(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = {
        "compromised": [samples.compromised()],
        "attempted": [samples.attempted()],
        "clean": [samples.clean()],
        "several": [samples.compromised(), samples.large(50)],
        "non-utf8": [_odd_name()],
    }[case]
    misp.event_dict(results)  # what is made once per run (file template, indicators) would shift the counts
    counter = itertools.count()
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))
    count = misp.write_misp(results, tmp_path / "misp-event.json")
    counter = itertools.count()
    whole = misp.event_dict(results)
    expected = surrogates_as_escapes(json.dumps(whole, indent=2, ensure_ascii=False)) + "\n"
    assert (tmp_path / "misp-event.json").read_text(encoding="utf-8") == expected
    assert count == len(whole.get("Attribute", [])) + len(whole.get("Object", []))
