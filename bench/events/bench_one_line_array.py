"""Memory and time of reading a large one-line ``Get-WinEvent | ConvertTo-Json -Compress`` array with
the attack as its last element (issue 19): the export reader streams the array one element at a time,
so its peak memory must not grow with the file.

Each measurement runs in a fresh process (peak RSS from ``getrusage``): the baseline (interpreter and
imports only), the events reader (sniff + stream + normalise + match + per-channel coverage, as in the
scan's worker), and the reference: ``json.load`` of the whole file (what a naive reader would do).

    .venv/bin/python bench/events/bench_one_line_array.py --mb 100

The file goes to bench/data/events (git-ignored) and is deleted at the end unless --keep.
"""

from __future__ import annotations

import argparse
import codecs
import json
import multiprocessing as mp
import resource
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "data" / "events"

#: A 4624 logon as ``Get-WinEvent | ConvertTo-Json`` writes it (Message first, positional Properties).
FILLER: dict[str, Any] = {
    "Message": "An account was successfully logged on.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tS-1-5-18\r\n"
    "\tAccount Name:\t\tEXCH01$\r\n\tAccount Domain:\t\tCORP\r\n\tLogon ID:\t\t0x3E7\r\n\r\nLogon Type:\t\t\t3\r\n",
    "Id": 4624,
    "Version": 2,
    "Qualifiers": None,
    "Level": 0,
    "Task": 12544,
    "RecordId": 0,
    "ProviderName": "Microsoft-Windows-Security-Auditing",
    "LogName": "Security",
    "ProcessId": 640,
    "MachineName": "EXCH01.corp.local",
    "TimeCreated": "/Date(1614585600000)/",
    "LevelDisplayName": "Information",
    "Properties": [{"Value": v} for v in ["S-1-5-18", "EXCH01$", "CORP", "0x3e7", "S-1-5-21-1-2-3-1104", "alice",
                                         "CORP", "0x8a2b1", "3", "Kerberos", "Kerberos", "-", "{0}", "-", "-", "0",
                                         "0x0", "-", "10.0.0.25", "49812"]],
}
ATTACK: dict[str, Any] = {
    "Message": "Process Create:\r\nUtcTime: 2021-03-02 10:06:27.161\r\nImage: C:\\Windows\\System32\\cmd.exe\r\n"
    "CommandLine: cmd /c whoami\r\nParentImage: C:\\Windows\\System32\\inetsrv\\w3wp.exe\r\n"
    'ParentCommandLine: w3wp.exe -ap "MSExchangeOWAAppPool"\r\nUser: NT AUTHORITY\\SYSTEM',
    "Id": 1,
    "RecordId": 999999999,
    "ProviderName": "Microsoft-Windows-Sysmon",
    "LogName": "Microsoft-Windows-Sysmon/Operational",
    "MachineName": "EXCH01.corp.local",
    "TimeCreated": "/Date(1614679587161)/",
    "Properties": [],
}


def make(path: Path, size: int, utf16: bool) -> int:
    n = 0
    written = 0
    with path.open("wb") as fh:
        enc = "utf-16-le" if utf16 else "utf-8"
        if utf16:
            fh.write(codecs.BOM_UTF16_LE)
        fh.write("[".encode(enc))
        while written < size:
            piece = json.dumps(FILLER | {"RecordId": n}, separators=(",", ":")) + ","
            data = piece.encode(enc)
            fh.write(data)
            written += len(data)
            n += 1
        fh.write((json.dumps(ATTACK, separators=(",", ":")) + "]").encode(enc))
    return n + 1


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(_: str, q: Any) -> None:
    from extriage.detections.events.collect import EventCollector  # noqa: F401  (the same imports)
    from extriage.detections.events.engine import default_rules
    from extriage.formats.event_export import iter_export  # noqa: F401

    default_rules()
    q.put({"seconds": 0.0, "peak_mib": _peak_mib(), "note": "interpreter + imports + rules"})


def reader(path: str, q: Any) -> None:
    from extriage.detections.events.collect import EventCollector
    from extriage.detections.events.engine import default_rules
    from extriage.evidence.reading import HashingReader
    from extriage.formats.event_export import SNIFF_BYTES, ExportStats, iter_export, sniff

    rules = default_rules()
    t0 = time.perf_counter()
    coll = EventCollector(rules, path, "events-export")
    stats = ExportStats()
    with open(path, "rb") as raw:
        r = HashingReader(raw)
        head = r.read(SNIFF_BYTES)
        kind = sniff(head)
        for rec in iter_export(r, kind, head, stats):
            coll.feed(rec)
        r.drain()
    found = sorted({k[0] for k in coll.findings})
    q.put({
        "seconds": time.perf_counter() - t0,
        "peak_mib": _peak_mib(),
        "note": f"kind {kind}, {stats.events:,} events, {stats.bad} damaged, findings {found}",
    })


def naive(path: str, q: Any) -> None:
    t0 = time.perf_counter()
    raw = Path(path).read_bytes()
    enc = "utf-16" if raw.startswith(codecs.BOM_UTF16_LE) else "utf-8"
    doc = json.loads(raw.decode(enc))
    del raw
    q.put({"seconds": time.perf_counter() - t0, "peak_mib": _peak_mib(), "note": f"{len(doc):,} elements"})


def measure(fn: Any, path: str) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=fn, args=(path, q))
    p.start()
    out: dict[str, Any] = q.get()
    p.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=100, help="size of the array in MB (default 100)")
    ap.add_argument("--utf16", action="store_true", help="write it as Windows PowerShell 5.1 does (UTF-16 LE, BOM)")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / ("one-line-array-utf16.json" if args.utf16 else "one-line-array.json")
    n = make(path, args.mb * 1_000_000, args.utf16)
    size = path.stat().st_size
    try:
        print(f"file: {size / 1e6:,.1f} MB, one line, {n:,} elements, attack last ({'UTF-16 LE' if args.utf16 else 'UTF-8'})")
        print(f"load average: {' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}")
        rows = [("baseline", baseline), ("events reader", reader), ("json.load whole file (reference)", naive)]
        for name, fn in rows:
            r = measure(fn, str(path))
            rate = f", {size / 1e6 / r['seconds']:.1f} MB/s" if r["seconds"] else ""
            print(f"{name:36} peak RSS {r['peak_mib']:8.1f} MiB, {r['seconds']:6.1f} s{rate}  ({r['note']})")
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
