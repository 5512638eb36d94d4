"""A server-like ``.evtx`` for benchmarks: the real CC0 sample chunks with most records made ordinary.

Why: repeating the six CC0 *attack* samples gives a file where 85 % of the records have a candidate
rule and 42 % match one; a real ``Archive-Security-*.evtx`` is overwhelmingly benign. Here each
sample chunk also gets a *benign variant*: event ids rewritten in place in the records' binary XML
(e.g. Security 4756 -> 4624/4634/4672, 4688 ``net user`` -> 4689, PowerShell 4104 -> 4105, MSExchange
Management 6 -> 9), the chunk's record-data CRC32 (header offset 52, over bytes 512..free-space
offset) and header CRC32 (offset 124, over bytes 0..120 and 128..512) recomputed (libyal's EVTX
format notes), so the parser reads them as it reads the originals. Where the event id sits among a
record's substitution values is found with the parser as oracle: each little-endian occurrence of
the old id inside the record is tried, and the one that changes only that record's ``EventID`` is kept.

The file is one real file header, then ``copies`` repetitions of the six chunks, the original
(attack) chunks in one copy of every ``attack_every`` and the benign variants in the others.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import evtx

HEADER = 4096
CHUNK = 65536
RECORD_MAGIC = b"\x2a\x2a\x00\x00"

#: (sample file name prefix, old event id, record index in its chunk or None for all) -> new ids, cycled.
REWRITES: list[tuple[str, int, list[int]]] = [
    ("ID4103-4104", 4104, [4105]),
    ("ID4688", 4688, [4689]),
    ("ID4688", 4720, [4672]),
    ("ID4688", 4728, [4624]),
    ("ID4688", 4732, [4634]),
    ("ID4756", 4756, [4624, 4634, 4672]),
    ("ID6-", 6, [9]),
]


def fix_crcs(chunk: bytearray) -> None:
    """Recompute a chunk's record-data and header CRC32 after its records were changed."""
    free = struct.unpack_from("<I", chunk, 48)[0]
    struct.pack_into("<I", chunk, 52, zlib.crc32(chunk[512:free]))
    struct.pack_into("<I", chunk, 124, zlib.crc32(bytes(chunk[:120]) + bytes(chunk[128:512])))


def records_json(head: bytes, chunk: bytes) -> list[str]:
    return [r["data"] for r in evtx.PyEvtxParser(io.BytesIO(head + chunk)).records_json()]


def record_spans(chunk: bytes) -> list[tuple[int, int]]:
    free = struct.unpack_from("<I", chunk, 48)[0]
    out, pos = [], 512
    while pos + 8 <= free and chunk[pos : pos + 4] == RECORD_MAGIC:
        size = struct.unpack_from("<I", chunk, pos + 4)[0]
        out.append((pos, pos + size))
        pos += size
    return out


def rewrite_event_id(head: bytes, chunk: bytearray, index: int, old: int, new: int) -> None:
    """Change record ``index``'s event id from ``old`` to ``new`` (checked with the parser)."""
    before = records_json(head, bytes(chunk))
    want = before[index].replace(f'"EventID":{old},', f'"EventID":{new},').replace(
        f'"#text":{old}}},"', f'"#text":{new}}},"', 1
    )
    a, b = record_spans(bytes(chunk))[index]
    needle = struct.pack("<H", old)
    pos = chunk.find(needle, a, b)
    while pos != -1:
        trial = bytearray(chunk)
        trial[pos : pos + 2] = struct.pack("<H", new)
        fix_crcs(trial)
        try:
            after = records_json(head, bytes(trial))
        except (OSError, RuntimeError, ValueError):
            after = []
        if len(after) == len(before) and after[index] == want and all(
            x == y for i, (x, y) in enumerate(zip(before, after, strict=True)) if i != index
        ):
            chunk[:] = trial
            return
        pos = chunk.find(needle, pos + 1, b)
    raise ValueError(f"event id {old} of record {index} not found")


def benign_variant(name: str, head: bytes, chunk: bytes) -> bytes:
    out = bytearray(chunk)
    docs = records_json(head, chunk)
    for prefix, old, news in REWRITES:
        if not name.startswith(prefix):
            continue
        hits = [i for i, d in enumerate(docs) if f'"EventID":{old},' in d or f'"#text":{old}}},"Level"' in d]
        for n, i in enumerate(hits):
            rewrite_event_id(head, out, i, old, news[n % len(news)])
    return bytes(out)


def make_realistic(samples: Path, path: Path, copies: int, attack_every: int, grouped: bool = True) -> dict[str, int]:
    """Write the file; returns how many records it holds and how many come from attack chunks.

    ``grouped``: each sample chunk repeated ``attack_every`` times in a row (one of them the attack
    original), then the next sample's, and so on — long runs of one channel, as in a real log, and
    the same mix of records; else the six chunks in turn, one copy after the other."""
    head = b""
    originals: list[bytes] = []
    benign: list[bytes] = []
    counts: list[int] = []
    for f in sorted(samples.glob("*.evtx")):
        data = f.read_bytes()
        head = head or data[:HEADER]
        for i in range(HEADER, len(data), CHUNK):
            chunk = data[i : i + CHUNK]
            originals.append(chunk)
            benign.append(benign_variant(f.name, head, chunk))
            counts.append(len(record_spans(chunk)))
    per_copy = sum(counts)
    attack_copies = 0
    group = attack_every if grouped and attack_every else 1
    with path.open("wb") as fh:
        fh.write(head)
        for g in range(0, copies, group):
            size = min(group, copies - g)
            copy_numbers = range(g, g + size)
            attack = [c for c in copy_numbers if attack_every and c % attack_every == attack_every // 2]
            attack_copies += len(attack)
            if group == 1:
                fh.write(b"".join(originals if attack else benign))
                continue
            for original, plain in zip(originals, benign, strict=True):
                for c in copy_numbers:
                    fh.write(original if c in attack else plain)
    return {"records": per_copy * copies, "attack_records": per_copy * attack_copies}
