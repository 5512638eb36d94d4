"""Screened ``.evtx`` reading (batches, only the records that can matter decoded: detections/events/
screen.py) gives exactly what reading every record in full gives: findings (counts, evidence,
indicators), timeline, channel spans and computers, time fields, the IP index and identities, and
the parser's record/error counts — on every CC0 sample, repeated/cut/damaged files made of them,
and batches of fuzzed records in the parser's JSON spelling."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import pytest

from extriage.detections.events.collect import EventCollector
from extriage.detections.events.engine import build_ruleset, default_rules
from extriage.formats.evtx_file import CHUNK, EvtxBatch, EvtxStats, iter_evtx, iter_evtx_batches
from extriage.formats.evtx_system import system_columns

from .test_split_evtx import SAMPLES, _big_evtx, _damaged, _state


def _collectors(data: bytes, batch: int) -> tuple[Any, Any]:
    out = []
    for screened in (False, True):
        coll = EventCollector(default_rules(), "x.evtx", "evtx", keep_ids=True)
        stats = EvtxStats()
        if screened:
            for b in iter_evtx_batches(io.BytesIO(data), len(data), "x.evtx", stats, batch=batch):
                coll.feed_batch(b)
        else:
            for rec in iter_evtx(io.BytesIO(data), len(data), "x.evtx", stats):
                coll.feed(rec)
        out.append((_state(coll), (stats.records, stats.errors, stats.first_error, stats.padded)))
    return out[0], out[1]


def _files() -> list[tuple[str, bytes]]:
    files = [(f.name, f.read_bytes()) for f in sorted(SAMPLES.glob("*.evtx"))]
    big = _big_evtx(3)
    return [*files, ("repeated", big), ("cut", big[: len(big) - CHUNK - 20_000]), ("damaged", _damaged(big))]


@pytest.mark.parametrize("batch", [512, 5])
def test_screened_evtx_equals_full(batch: int) -> None:
    for name, data in _files():
        full, screened = _collectors(data, batch)
        assert screened == full, name


# -- fuzzed records --------------------------------------------------------------------------------

def _sample_docs() -> list[dict[str, Any]]:
    import evtx

    return [json.loads(r["data"]) for f in sorted(SAMPLES.glob("*.evtx")) for r in evtx.PyEvtxParser(str(f)).records_json()]


_IDS = [1, 4, 6, 8, 11, 104, 1102, 4104, 4624, 4634, 4688, 4720, 4756, 5145, 0, 65535]
_PROVIDERS = ["Microsoft-Windows-Security-Auditing", "Microsoft-Windows-Eventlog", "MSExchange CmdletLogs",
              "MSExchange Control Panel", "MSExchange Unified Messaging", "Microsoft-Windows-Sysmon", "Other"]
_CHANNELS = ["Security", "System", "MSExchange Management", "Microsoft-Windows-Sysmon/Operational", "Application"]
_TIMES = ["2021-03-02T04:05:06.123456Z", "2021-03-01T00:00:00.000001Z", "2021-03-03T23:59:59Z",
          "1601-01-01T00:00:00.000000Z", "2150-01-01T00:00:00.000000Z", "2021-02-30T00:00:00.000000Z",
          "2021-03-02T04:05:06.1234567Z", "2021-03-02 04:05:06", "2021-03-02T04:05:06+02:00", "junk"]
_IPS: list[Any] = ["-", "::1", "127.0.0.1", "LOCALHOST", "Local", " - ", "", "10.1.2.3", "203.0.113.9",
                   "localho\u017ft", None, 5, "0.0.0.0", "::ffff:127.0.0.1", "1.2.3.4\t"]
_WORDS = ["w3wp.exe", "lsass", "l\u017fass", "new-mailboxexportrequest", "comsvcs", "\u00e9t\u00e9", "\u212a", "cmd", ""]


def _mutate(doc: dict[str, Any], rng: random.Random) -> str:
    ev = doc["Event"]
    sysb = dict(ev["System"])
    ev = {**ev, "System": sysb}
    if rng.random() < 0.5:
        eid = rng.choice(_IDS)
        sysb["EventID"] = eid if rng.random() < 0.7 else {"#attributes": {"Qualifiers": 16384}, "#text": eid}
    if rng.random() < 0.3:
        sysb["Provider"] = {"#attributes": {"Name": rng.choice([*_PROVIDERS, "Micro\\soft"])}}
    if rng.random() < 0.3:
        sysb["Channel"] = rng.choice([*_CHANNELS, "Sec\\urity", "Sec\nurity"])
    if rng.random() < 0.4:
        sysb["Computer"] = rng.choice(["", "EXCH01", "exch01.corp.local", "EX\\CH", 'ex"ch', "ex\u00e9",
                                       *(f"srv{k}" for k in range(30))])
    if rng.random() < 0.3:
        sysb["TimeCreated"] = {"#attributes": {"SystemTime": rng.choice(_TIMES)}}
    if rng.random() < 0.1:
        sysb["EventRecordID"] = rng.choice([0, 1, 2**63, "12"])
    if rng.random() < 0.05:
        sysb.pop(rng.choice(["Channel", "Computer", "Level", "Execution"]), None)
    if rng.random() < 0.05:
        sysb["Extra"] = "x"
    data = ev.get("EventData")
    if isinstance(data, dict) and "Data" not in data:
        data = dict(data)
        if rng.random() < 0.3:
            data[rng.choice(["IpAddress", "SourceAddress", "ClientIP", "ipaddress"])] = rng.choice(_IPS)
        if rng.random() < 0.3:
            key = rng.choice(sorted(data))
            data[key] = f"{data[key]} {rng.choice(_WORDS)}"
        if "MemberName" in data and rng.random() < 0.3:
            data["MemberName"] = rng.choice(["CN=lsass", "CN=l\u017fass", "CN=lsa\u00df", "CN=LSASS \u00e9", "CN=other"])
        if rng.random() < 0.05:
            data = {"Data": {"#text": ["S-1-5-18", "SYSTEM", "NT", "0x3e7", *(str(rng.choice(_IPS)) for _ in range(16))]}}
        ev["EventData"] = data
    if rng.random() < 0.05:
        ev["UserData"] = {"LogFileCleared": {"SubjectUserName": "admin", "Channel": "Security"}}
    text = json.dumps({"Event": ev}, separators=(",", ":"), ensure_ascii=False)  # as the parser writes it
    if rng.random() < 0.3:  # an escape the parser never writes: the word is not in the text as such
        text = text.replace("lsass", "l\\u0073ass")
    if rng.random() < 0.02:  # nesting deeper than the decoder takes
        text = text[:-3] + ',"Deep":' + "[" * 1100 + "]" * 1100 + "}}}" if text.endswith("}}}") else text
    return text


#: A rule whose word is hidden by an escape or a non-ASCII letter (the ASCII / ``\u`` guard of the
#: word check), next to the packaged rules and no rules at all (log clearing is noted without rules).
_WORD_RULE = """
rules:
  - id: T-WORD
    title: word
    event_id: [4756, 4624, 4634]
    provider: [Microsoft-Windows-Security-Auditing]
    match: {MemberName|contains: [lsass]}
"""


@pytest.mark.parametrize("rules", ["default", "none", "word"])
def test_fuzzed_batches_screened_equal_full(rules: str) -> None:
    ruleset = {"default": default_rules(), "none": build_ruleset([]), "word": build_ruleset([("t.yml", _WORD_RULE)])}[rules]
    docs = _sample_docs()
    rng = random.Random(1818)
    texts = [_mutate(rng.choice(docs), rng) for _ in range(3000)]
    # the data must reach the paths being compared: plain runs, full records, and every check
    cols = system_columns(texts)
    assert 0.3 < sum(cols.ok) / len(texts) < 0.95
    for batch in (512, 64, 1):
        full_coll = EventCollector(ruleset, "x.evtx", "evtx", keep_ids=True)
        full_stats = EvtxStats()
        screened_coll = EventCollector(ruleset, "x.evtx", "evtx", keep_ids=True)
        screened_stats = EvtxStats()
        for a in range(0, len(texts), batch):
            part, ids = texts[a : a + batch], list(range(a + 1, a + 1 + len(texts[a : a + batch])))
            b = EvtxBatch(part, ids, full_stats)
            for i in range(len(part)):
                rec = b.record(i)
                if rec is not None:
                    full_coll.feed(rec)
            screened_coll.feed_batch(EvtxBatch(part, ids, screened_stats))
        assert _state(screened_coll) == _state(full_coll), batch
        assert (screened_stats.errors, screened_stats.first_error) == (full_stats.errors, full_stats.first_error)
    assert full_stats.errors  # (the deep records)
    assert full_coll.ips and any(s.cleared for s in full_coll.channels.values())
    assert full_coll.findings or rules == "none"


def test_system_columns_read_what_the_full_path_reads() -> None:
    docs = _sample_docs()
    rng = random.Random(7)
    texts = [_mutate(rng.choice(docs), rng) for _ in range(1500)]
    cols = system_columns(texts)
    for i, text in enumerate(texts):
        if not cols.ok[i]:
            continue
        rec = EvtxBatch([text], [1], EvtxStats()).record(0)
        assert rec is not None
        assert (rec.provider, rec.event_id, rec.time, rec.record_id, rec.channel, rec.computer) == (
            cols.providers[i], int(cols.event_ids[i]), cols.times[i], int(cols.record_ids[i]),
            cols.channels[i], cols.computers[i],
        )
        assert rec.time_field == "System.TimeCreated.SystemTime"


def test_samples_are_read_in_one_pass(tmp_path: Path) -> None:
    """The parser's own spelling of every CC0 sample's System block is read by the batch pass."""
    import evtx

    texts = [r["data"] for f in sorted(SAMPLES.glob("*.evtx")) for r in evtx.PyEvtxParser(str(f)).records_json()]
    assert all(system_columns(texts).ok)


def test_only_sharp_s_folds_to_ascii_below_u0100() -> None:
    """The screen reads Latin-1 texts as ASCII-lowered UTF-8 unless they hold the one character of
    U+0080..U+00FF whose case folding gives ASCII letters."""
    from extriage.detections.events.screen import _LATIN1_FOLDS

    folds = "".join(c for c in map(chr, range(0x80, 0x100)) if any(f < "\x80" for f in c.casefold()))
    assert folds == _LATIN1_FOLDS
