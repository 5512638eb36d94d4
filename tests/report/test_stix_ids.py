"""STIX ids are uuid5 of the value (re-exporting a scan gives the same ids), computed by a fast path
that must equal :func:`uuid.uuid5` and must not raise on a non-UTF-8 file name."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import stix2

from extriage.findings import Indicators, Outcome, ScanResult
from extriage.report import stix
from extriage.report.exports import write_reports

from . import samples


@pytest.mark.parametrize("parts", [("ip", "203.0.113.77"), ("file-path", "C:\\inetpub\\wwwroot\\é.aspx"), ("x" * 500,), ()])
def test_ids_are_uuid5_of_the_joined_parts(parts: tuple[str, ...]) -> None:
    assert stix._id("indicator", *parts) == f"indicator--{uuid.uuid5(stix._NS, '|'.join(parts))}"


def test_non_utf8_file_name_gets_a_stable_id_and_a_valid_bundle(tmp_path: Path) -> None:
    path = "C:\\inetpub\\wwwroot\\aspnet_client\\s\udce9.aspx"
    f = samples._finding(1, id="F1", outcome=Outcome.WEBSHELL, indicators=Indicators(paths=[path], hashes=["cd" * 32]))
    ids = []
    for run in ("a", "b"):
        write_reports([ScanResult(evidence_path="x", findings=[f])], tmp_path / run, ["stix"])
        bundle = json.loads((tmp_path / run / "stix-bundle.json").read_text(encoding="utf-8"))
        stix2.parse(bundle, allow_custom=False)
        ids.append(sorted(o["id"] for o in bundle["objects"] if o["type"] == "indicator"))
        assert any("\\udce9.aspx" in o.get("pattern", "") or "\udce9.aspx" in o.get("pattern", "") for o in bundle["objects"])
    assert ids[0] == ids[1]


def test_timestamps_are_rfc3339_with_four_digit_years() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    assert stix._stamp(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00.000Z"  # strftime wrote "1-01-01"
    assert stix._stamp(datetime(2021, 3, 2, 5, 0, 1, 999999)) == "2021-03-02T05:00:01.999Z"
    assert stix._stamp(datetime(2021, 3, 2, 5, tzinfo=timezone(timedelta(hours=5)))) == "2021-03-02T00:00:00.000Z"


def test_indicator_context_follows_late_additions() -> None:
    from extriage.report.indicators import IndicatorRow

    row = IndicatorRow("ip", "203.0.113.77")
    row.add("outcomes", "attempt")
    row.add("servers", "exch01")
    assert row.context().startswith("attempt on exch01")
    row.add("outcomes", "success")
    assert row.context().startswith("attempt, success on exch01")
