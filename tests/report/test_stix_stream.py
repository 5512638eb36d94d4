"""The STIX bundle is written object by object (bounded memory) with exactly the bytes of the
bundle built whole, and the file is a valid STIX 2.1 bundle."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import stix2
import stix2.base
import stix2.utils

from extriage import outputs
from extriage.report import stix

from . import samples

FIXED = dt.datetime(2026, 12, 4, 20, 0, 0, 123456, tzinfo=dt.UTC)


class _Clock(dt.datetime):
    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> _Clock:  # type: ignore[override]
        return cls.fromtimestamp(FIXED.timestamp(), tz=dt.UTC)


@pytest.mark.parametrize("case", ["compromised", "attempted", "clean", "several"])
def test_streamed_bundle_is_the_whole_bundle(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stix, "datetime", _Clock)  # one time for both builds (stix2's own clock too)
    monkeypatch.setattr(stix2.base, "get_timestamp", lambda: stix2.utils.STIXdatetime(2026, 12, 4, 20, 0, 1, tzinfo=dt.UTC))
    results = {
        "compromised": [samples.compromised()],
        "attempted": [samples.attempted()],
        "clean": [samples.clean()],
        "several": [samples.compromised(), samples.attempted(), samples.large(50)],
    }[case]
    dest = tmp_path / "stix-bundle.json"
    count = stix.write_stix(results, dest, "amber")
    whole = stix.bundle_dict(results, "amber")
    assert dest.read_bytes() == outputs.json_bytes(whole) + b"\n"
    assert count == len(whole["objects"])
    parsed = stix2.parse(json.loads(dest.read_bytes()), allow_custom=False)
    assert parsed.objects[-1].type == "report"
    assert len(parsed.objects[-1].object_refs) == count - 2  # all but the marking and the report
