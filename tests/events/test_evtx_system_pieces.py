"""The System columns of ``.evtx`` batches (formats/evtx_system.py) read piece by piece — byte
partitions at anchors, pieces checked against the grammar once per distinct value — give exactly what
decoding each record gives, and take exactly the records the whole grammar (:data:`SYSTEM`) takes:
on System blocks built with every optional element present or missing, the Qualifiers form of the
event id, quotes, backslashes and braces inside values, EventData/UserData keys named like System
keys, times and record ids in and out of the grammar, blocks longer than the part of a record read."""

from __future__ import annotations

import itertools
import json
import random
from typing import Any

from extriage.formats.evtx_file import EvtxBatch, EvtxStats
from extriage.formats.evtx_system import SYSTEM, system_columns

_XMLNS = {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"}
_ODD = ['a"b', "a\\b", "a}b", "a}},\"EventID\":5,", '"Channel":"x"', "\u00e9t\u00e9", "", "x" * 1600, "a\nb"]


def _pick(rng: random.Random, usual: Any, odd: list[Any]) -> Any:
    return usual if rng.random() < 0.93 else rng.choice(odd)


def _system(rng: random.Random) -> dict[str, Any]:
    """A System element in the parser's key order, each optional element present or not."""
    s: dict[str, Any] = {}
    prov: dict[str, Any] = {"Name": _pick(rng, rng.choice(["Microsoft-Windows-Security-Auditing", "MSExchange CmdletLogs",
                                                            "Microsoft-Windows-Sysmon"]), _ODD)}
    if rng.random() < 0.7:
        prov["Guid"] = _pick(rng, "{54849625-5478-4994-A5BA-3E3B0328C30D}", _ODD)
    if rng.random() < 0.2:
        prov["EventSourceName"] = _pick(rng, "Security", _ODD)
    if rng.random() < 0.05:
        prov = {"EventSourceName": "Security"}  # no Name: the full path takes the source name
    s["Provider"] = {"#attributes": prov}
    eid = rng.choice([1, 4624, 4688, 1102, 6, 65535, 0])
    s["EventID"] = eid if rng.random() < 0.7 else {"#attributes": {"Qualifiers": rng.choice([0, 16384, 49152])}, "#text": eid}
    if rng.random() < 0.05:
        s["EventID"] = rng.choice(["4624", None, 1.5, -1, 2**40])
    for key in ("Version", "Level", "Task", "Opcode"):
        if rng.random() < 0.8:
            s[key] = rng.choice([0, 1, 5, 13312])
    if rng.random() < 0.8:
        s["Keywords"] = _pick(rng, "0x8020000000000000", _ODD)
    time = rng.choice(["2021-04-26T15:03:05.992230Z", "2021-04-26T15:03:05.9Z", "2021-04-26T15:03:05Z",
                       "2021-04-26T15:03:05.1234567Z", "2021-02-30T15:03:05.992230Z", "1601-01-01T00:00:00.000000Z",
                       "2021-04-26 15:03:05.992230Z", "2021-04-26T15:03:05.992230+00:00", "x"])
    s["TimeCreated"] = {"#attributes": {"SystemTime": time if rng.random() < 0.3 else time[:11] + "15:03:05.992230Z"}}
    s["EventRecordID"] = rng.choice([191969, 1, 0, 2**63 - 1, 2**64, "5", None]) if rng.random() < 0.2 else rng.randrange(1, 10**9)
    if rng.random() < 0.8:
        s["Correlation"] = rng.choice([None, {"#attributes": {"ActivityID": _pick(rng, "{3F0C7A49-E4FD-0001-0094-0940FDE4D701}", _ODD)}},
                                       {"#attributes": {"ActivityID": "{A}", "RelatedActivityID": "{B}"}},
                                       {"#attributes": {"RelatedActivityID": "{B}"}}, {"#attributes": {}}])
    if rng.random() < 0.8:
        ex: dict[str, Any] = {"ProcessID": rng.randrange(0, 70000), "ThreadID": rng.randrange(0, 70000)}
        if rng.random() < 0.2:
            ex[rng.choice(["ProcessorID", "SessionID", "KernelTime", "UserTime", "ProcessorTime", "Other"])] = 3
        if rng.random() < 0.05:
            ex["ThreadID"] = "12"
        s["Execution"] = {"#attributes": ex}
    if rng.random() < 0.97:
        s["Channel"] = _pick(rng, rng.choice(["Security", "Microsoft-Windows-Sysmon/Operational", "MSExchange Management"]), _ODD)
    if rng.random() < 0.97:
        s["Computer"] = _pick(rng, rng.choice(["EXCH01.corp.local", "fs02"]), _ODD)
    if rng.random() < 0.8:
        s["Security"] = rng.choice([None, {"#attributes": {"UserID": _pick(rng, "S-1-5-18", _ODD)}}, {"#attributes": {}}])
    if rng.random() < 0.03:
        s["Extra"] = "x"
    if rng.random() < 0.03:  # an element out of the parser's order
        keys = list(s)
        rng.shuffle(keys)
        s = {k: s[k] for k in keys}
    return s


def _record(rng: random.Random) -> str:
    event: dict[str, Any] = {"#attributes": _XMLNS, "System": _system(rng)}
    if rng.random() < 0.03:  # another name space of the same length, or none
        event["#attributes"] = rng.choice([{"xmlns": _XMLNS["xmlns"].upper()}, {}])
    shadow = {"Channel": "Shadow", "Computer": "shadow", "SystemTime": "2021-01-01T00:00:00.000000Z",
              "EventRecordID": 7, "EventID": 9, "Security": None}
    kind = rng.random()
    if kind < 0.4:  # data keys named like System keys
        event["EventData"] = dict(rng.sample(sorted(shadow.items()), rng.randrange(1, len(shadow))))
    elif kind < 0.6:
        event["UserData"] = {"LogFileCleared": {"Channel": "Security", "SubjectUserName": "admin"}}
    elif kind < 0.9:
        event["EventData"] = {"Data": {"#text": ["a", "b"]}}
    text = json.dumps({"Event": event}, separators=(",", ":"), ensure_ascii=False)
    if rng.random() < 0.02:  # nesting deeper than the decoder takes
        text = text[:-2] + ',"Deep":' + "[" * 1100 + "]" * 1100 + "}}"
    return text


def _texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [_record(rng) for _ in range(n)]


def test_pieces_read_what_decoding_reads() -> None:
    texts = _texts(2026, 4000)
    for batch in (512, 7, 1):
        for a in range(0, len(texts), batch):
            part = texts[a : a + batch]
            cols = system_columns(part)
            for i, text in enumerate(part):
                if not cols.ok[i]:
                    continue
                rec = EvtxBatch([text], [99], EvtxStats()).record(0)
                assert rec is not None, text
                assert (rec.provider, rec.event_id, rec.time, rec.record_id, rec.channel, rec.computer) == (
                    cols.providers[i], int(cols.event_ids[i]), cols.times[i], int(cols.record_ids[i]),
                    cols.channels[i], cols.computers[i],
                ), text
                assert rec.time_field == "System.TimeCreated.SystemTime"
                assert cols.raw(i) == text.encode()


def _taken_by_grammar(text: str) -> bool:
    data = text.encode()
    m = SYSTEM.match(data)
    return (
        m is not None and m.end() <= _READ and "Deep" not in text and not m.group(4).startswith(b"1601")
        and b"-02-30" not in m.group(4) and b"}" not in data[m.start(6) : m.end() - 1].replace(b'"}}', b"")
    )


#: The bytes of a record the System block is looked for in.
_READ = 1536


def test_pieces_take_what_the_whole_grammar_takes() -> None:
    """A record is read piece by piece exactly when the one-pattern grammar matches it (its time
    valid, its System block within the bytes read, its JSON not too deep for the decoder), except
    when its channel, computer or user id holds a ``}`` (never seen; such a record is read in full)."""
    texts = _texts(18, 4000)
    expected = list(map(_taken_by_grammar, texts))
    for batch in (4000, 1):  # a whole batch's checks at once, and each record's alone
        ok = [good for a in range(0, len(texts), batch) for good in system_columns(texts[a : a + batch]).ok]
        for i, text in enumerate(texts):
            assert ok[i] == expected[i], text[:700]
    # the data reach both sides: many records taken, many not
    assert 0.15 < sum(expected) / len(texts) < 0.8


def test_blocks_at_the_end_of_the_bytes_read() -> None:
    """System blocks whose end falls anywhere around the last byte read (a long GUID value shifts
    it): taken exactly when the whole block is within the bytes read."""
    texts = []
    for pad, security in itertools.product(range(_READ - 700, _READ - 300), _SECURITY):
        s = {"Provider": {"#attributes": {"Name": "P", "Guid": "g" * pad}}, "EventID": 4624,
             "TimeCreated": {"#attributes": {"SystemTime": "2021-04-26T15:03:05.992230Z"}}, "EventRecordID": 9,
             "Correlation": None, "Channel": "Security", "Computer": "EXCH01", **security}
        texts.append(json.dumps({"Event": {"#attributes": _XMLNS, "System": s, "EventData": {"A": "b"}}},
                                separators=(",", ":")))
    expected = list(map(_taken_by_grammar, texts))
    assert system_columns(texts).ok == expected
    assert [system_columns([t]).ok[0] for t in texts] == expected
    assert 100 < sum(expected) < len(texts) - 100


_SECURITY: list[dict[str, Any]] = [{}, {"Security": None}, {"Security": {"#attributes": {"UserID": "S-1-5-18"}}}]


def test_table_of_pieces_is_bounded() -> None:
    """Pieces seen are remembered up to a bound, then forgotten (a log of ever-new pieces)."""
    from extriage.formats import evtx_system

    rng = random.Random(3)
    texts = []
    for k in range(5000):
        s = _system(rng)
        s["Provider"] = {"#attributes": {"Name": f"P{k}"}}
        s["TimeCreated"] = {"#attributes": {"SystemTime": "2021-04-26T15:03:05.992230Z"}}
        s["EventRecordID"] = k + 1
        s["Channel"], s["Computer"] = "Security", "x"
        texts.append(json.dumps({"Event": {"#attributes": _XMLNS, "System": s}}, separators=(",", ":")))
    cols = system_columns(texts)
    assert len(evtx_system._heads) <= evtx_system._REMEMBER
    assert cols.providers[4999] == "P4999" or not cols.ok[4999]
