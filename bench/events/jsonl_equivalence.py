"""Whether two versions of the code read a JSON-lines export to the same result (issue 18, J1):
every record (all fields, in order) and the rules it matches, and the collector's whole output —
findings (counts, evidence, indicators), timeline rows, channel spans, IP index, identities, time
fields, coverage — read whole (with and without ``keep_ids``) and in three byte ranges merged.
Prints a digest of it all; run under each version and compare:

    PYTHONPATH=/tmp/old/src .venv/bin/python bench/events/jsonl_equivalence.py EXPORT /tmp/old.json
    PYTHONPATH=src .venv/bin/python bench/events/jsonl_equivalence.py EXPORT /tmp/new.json
    cmp /tmp/old.json /tmp/new.json

``--damage N OUT``: first write OUT, a shuffled, damaged export of N lines made from EXPORT's first
400 lines (seeded: mutated times, ids, levels, channels, IP fields, cut lines, bad bytes, \\u escapes,
deep nesting, a BOM), to read the same way.
"""

import dataclasses
import datetime
import hashlib
import itertools
import json
import random
import sys
from array import array
from pathlib import Path

from extriage.detections.events.collect import EventCollector
from extriage.detections.events.engine import default_rules
from extriage.evidence.reading import HashingReader
from extriage.formats.event_export import SNIFF_BYTES, ExportStats, iter_export, iter_jsonl_range, sniff


def canon(x):
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {
            "__dc": type(x).__name__,
            **{f.name: canon(getattr(x, f.name)) for f in dataclasses.fields(x)},
        }
    if isinstance(x, dict):
        return {"__dict": [[canon(k), canon(v)] for k, v in x.items()]}
    if isinstance(x, (list, tuple)):
        return [canon(v) for v in x]
    if isinstance(x, (set, frozenset)):
        return {"__set": sorted(repr(canon(v)) for v in x)}
    if isinstance(x, array):
        return {"__array": x.typecode, "v": list(x)}
    if isinstance(x, datetime.datetime):
        return {"__dt": x.isoformat(), "tz": repr(x.tzinfo)}
    if hasattr(x, "value") and type(x).__module__.startswith("extriage"):
        return repr(x)
    if isinstance(x, (str, int, float, bool)) or x is None:
        return [type(x).__name__, x]
    return repr(x)


def coll_state(c, size):
    return {
        "findings": canon(c.findings),
        "events": canon(c.events),
        "event_keys": canon(c.event_keys),
        "channels": canon(c.channels),
        "ips": canon(c.ips),
        "ip_index": canon(c.ip_index()),
        "no_time": c.no_time,
        "bad_time": c.bad_time,
        "bad_time_example": c.bad_time_example,
        "time_fields": canon(c.time_fields),
        "ids": canon(c.ids),
        "webshell": canon(c.webshell_paths),
        "coverage": canon(c.coverage(size)),
        "summary": canon(c.channel_summary()),
        "ilog": canon(c.indicator_log),
    }


def dump(path, out):
    rules = default_rules()
    result = {}
    size = path.stat().st_size
    for keep in (False, True):
        coll = EventCollector(rules, str(path), "events-export", keep_ids=keep)
        recs = hashlib.sha256()
        with path.open("rb") as fh:
            reader = HashingReader(fh)
            head = reader.read(SNIFF_BYTES)
            stats = ExportStats()
            kind = sniff(head)
            for rec in iter_export(reader, kind, head, stats):
                recs.update(json.dumps(canon(rec), sort_keys=True).encode())
                recs.update(repr([r.id for r in rules.match(rec)]).encode())
                coll.feed(rec)
        result[f"whole keep={keep}"] = {
            "kind": kind,
            "stats": canon(stats),
            "records": recs.hexdigest(),
            "coll": coll_state(coll, size),
        }
    # split reading in 3 parts, merged
    bounds = [size * i // 3 for i in range(4)]
    parts = []
    for a, b in itertools.pairwise(bounds):
        c = EventCollector(rules, str(path), "events-export", keep_ids=True, part=True)
        st = ExportStats()
        with path.open("rb") as fh:
            for rec in iter_jsonl_range(fh, a, b, st):
                c.feed(rec)
        parts.append((c, st))
    first = parts[0][0]
    for c, _ in parts[1:]:
        first.absorb(c)
    result["split"] = {"stats": [canon(s) for _, s in parts], "coll": coll_state(first, size)}
    text = json.dumps(result, sort_keys=True)
    out.write_text(text)
    print(path.name, hashlib.sha256(text.encode()).hexdigest()[:16], len(text))


def damage(src, dst, n):
    rnd = random.Random(22)
    base = []
    with open(src, "rb") as fh:
        for i, line in enumerate(fh):
            if i >= 400:
                break
            base.append(line.rstrip(b"\n"))
    base = list(dict.fromkeys(base))
    objs = [json.loads(line) for line in base]
    TIMES = [
        "2021-04-26T15:03:05.992230Z",
        "2021-04-26T15:03:05.9922301Z",
        "2021-04-26 15:03:05",
        "2021-04-26T17:03:05+02:00",
        "9999-12-31T23:59:59Z",
        "1601-01-01T00:00:00Z",
        "",
        None,
        1619449385,
        1619449385123,
        "/Date(1619449385000)/",
        "04/26/2021 3:03:05 PM",
        " 2021-04-26T15:03:05Z ",
        "2021-04-26T15:03:05.1234567+05:30",
        "garbage",
        [1],
        {"a": 1},
        "0001-01-01T00:00:00+14:00",
        "2021-04-26T15:03:05.992230z",
        "2021-04-26",
        "2021-W17-1",
        True,
    ]

    def mutate(o):
        o = dict(o)
        for _ in range(rnd.randint(1, 4)):
            k = rnd.randint(0, 24)
            if k == 0:
                o["@timestamp"] = rnd.choice(TIMES)
            elif k == 1:
                o["UtcTime"] = rnd.choice(TIMES)
            elif k == 2:
                o.pop("@timestamp", None)
            elif k == 3:
                o["EventID"] = str(o.get("EventID"))
            elif k == 4:
                o["EventID"] = rnd.choice([None, "0x1", "abc", 4.0, True, {"#text": 4688}, -1, 2**70])
            elif k == 5:
                o["Level"] = rnd.choice(["Information", "4", "Error", None, 4.5, "", " warning ", [4]])
            elif k == 6:
                o.pop("Channel", None)
                o["LogName"] = rnd.choice(["Security", "", None, 7])
            elif k == 7:
                o.pop("SourceName", None)
            elif k == 8:
                o["Hostname"] = rnd.choice(["", None, "EXCH01.corp.local", "ÉXCH", 5, ["a", "b"]])
            elif k == 9:
                o["EventRecordID"] = rnd.choice(["12", None, -5, 2**70, "0x10", 3.5])
            elif k == 10:
                o["Message"] = rnd.choice(
                    [
                        "Cmdlet succeeded. Cmdlet New-MailboxExportRequest, parameters -Mailbox 'x' -FilePath '\\\\h\\c$\\a.aspx'.",
                        "",
                        None,
                        "Process Create:\nCommandLine: cmd /c whoami\nImage: C:\\x.exe",
                    ]
                )
            elif k == 11:
                o["IpAddress"] = rnd.choice(
                    ["10.1.2.3", "127.0.0.1", " 10.0.0.9 ", "-", "::1", 12, None, "LOCALHOST"]
                )
            elif k == 12:
                o["CommandLine"] = rnd.choice(
                    ["cmd.exe /c net user x /add", "POWERSHELL -enc AAA", "ｃｍｄ", "a\u00dfb", "x\ty  z"]
                )
            elif k == 13:
                o.pop("EventID", None)
                o["EventId"] = 4688
            elif k == 14:
                o["param3"] = "x"
                o.pop("param2", None)
            elif k == 15:
                o["param1"] = rnd.choice(["New-MailboxExportRequest", 5, None, ["a"]])
            elif k == 16:
                o["Channel"] = rnd.choice(
                    ["msexchange management", "SECURITY", "", "Microsoft-Windows-Sysmon/Operational"]
                )
            elif k == 17:
                o["SourceName"] = rnd.choice(["Microsoft-Windows-Eventlog", "MSExchange CmdletLogs", "", 3])
            elif k == 18:
                o["EventID"] = rnd.choice([1102, 104, 5140, 5145, 4624, 4104])
            elif k == 19:
                o["ShareName"] = "\\\\*\\C$"
                o["RelativeTargetName"] = "inetpub\\wwwroot\\a.aspx"
            elif k == 20:
                o["Data"] = {"nested": [1, {"x": "y"}]}
            elif k == 21:
                o["TimeCreated"] = rnd.choice(TIMES)
                o.pop("@timestamp", None)
            elif k == 22:
                o["EventID"] = rnd.choice([4688, 1, 11, 6, 4104])
            elif k == 23:
                o["winlog"] = rnd.choice([None, "x", 5])
            elif k == 24:
                o["level"] = rnd.choice(["error", 3])
                o.pop("Level", None)
        return o

    out = []
    for _ in range(n):
        r = rnd.random()
        o = rnd.choice(objs)
        if r < 0.55:
            out.append(json.dumps(o).encode())
        elif r < 0.85:
            out.append(json.dumps(mutate(o), ensure_ascii=rnd.random() < 0.5).encode())
        else:
            line = json.dumps(o).encode()
            k = rnd.randint(0, 9)
            if k == 0:
                out.append(line[: rnd.randint(1, len(line))])
            elif k == 1:
                out.append(b"")
            elif k == 2:
                out.append(b"   \t ")
            elif k == 3:
                out.append(line + b"\r")
            elif k == 4:
                out.append(b"[1,2,3]")
            elif k == 5:
                out.append(b'{"foo": 1}')
            elif k == 6:
                out.append(line.replace(b"cmd", b"c\\u006dd"))
            elif k == 7:
                out.append(line[:50] + b"\xff\xfe" + line[50:])
            elif k == 8:
                out.append(b"[" * 2000 + b"]" * 2000)
            else:
                out.append(json.dumps(mutate(mutate(o))).encode())
    with open(dst, "wb") as fh:
        fh.write(b"\xef\xbb\xbf" + b"\n".join(out) + b"\n")
    print(len(out), "lines")


def main():
    args = sys.argv[1:]
    if args and args[0] == "--damage":
        damage(args[3], args[2], int(args[1]))
        args = [args[2], *args[4:]]
    dump(Path(args[0]), Path(args[1]))


if __name__ == "__main__":
    main()
