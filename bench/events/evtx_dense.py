"""Dense ``.evtx`` chunks for benchmarks: ~100 records a chunk, as a real server log holds, made from
the CC0 samples (which hold 1-15 records a chunk) — issue 18, area E4.

Why: the parser's cost per record depends on how many records share a chunk (its string and
template tables are read once per chunk); the repeated sample chunks of ``bench_evtx_cores.py``
(5.5 records a chunk) favour any reader whose cost is per chunk rather than per record. Here each
chunk is the sample chunk's records followed by copies of those of its records that only refer
back to templates defined earlier in the chunk (their template offsets are right anywhere later in
it), with consecutive record ids, the header's last record id/number, last-record and free-space
offsets, and both CRC32s (libyal's EVTX notes: offsets 52 and 124) set again. ``benign`` rewrites
the event ids as ``evtx_realistic.py`` does (4688 -> 4689, 4756 -> 4634 ...), at the EventID value of
the records' System template (substitution 3), read from the descriptor table.
"""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

HEADER = 4096
CHUNK = 65536
BENIGN = {4104: 4105, 4688: 4689, 4720: 4672, 4728: 4624, 4732: 4634, 4756: 4634, 6: 9}


def fix_crcs(chunk: bytearray) -> None:
    free = struct.unpack_from("<I", chunk, 48)[0]
    struct.pack_into("<I", chunk, 52, zlib.crc32(chunk[512:free]))
    struct.pack_into("<I", chunk, 124, zlib.crc32(bytes(chunk[:120]) + bytes(chunk[128:512])))


def spans(chunk: bytes | bytearray) -> list[tuple[int, int]]:
    free = struct.unpack_from("<I", chunk, 48)[0]
    out, pos = [], 512
    while pos < free:
        size = struct.unpack_from("<I", chunk, pos + 4)[0]
        out.append((pos, pos + size))
        pos += size
    return out


def _refers_back_only(chunk: bytes | bytearray, a: int, b: int) -> bool:
    for m in re.finditer(rb"\x0f\x01\x01\x00\x0c\x01", bytes(chunk[a:b])):
        if struct.unpack_from("<I", chunk, a + m.start() + 10)[0] >= a:
            return False
    return True


def dense(chunk: bytes) -> bytes:
    ch = bytearray(chunk)
    sp = spans(ch)
    back = [(a, b) for a, b in sp if _refers_back_only(ch, a, b)]
    if not back:
        return chunk
    pos, last = sp[-1][1], sp[-1][0]
    rid = struct.unpack_from("<Q", ch, 32)[0]
    k = 0
    while True:
        a, b = back[k % len(back)]
        if pos + b - a > CHUNK:
            break
        rid += 1
        rec = bytearray(ch[a:b])
        struct.pack_into("<Q", rec, 8, rid)
        ch[pos : pos + b - a] = rec
        last, pos, k = pos, pos + b - a, k + 1
    struct.pack_into("<Q", ch, 16, struct.unpack_from("<Q", ch, 16)[0] + k)
    struct.pack_into("<Q", ch, 32, rid)
    struct.pack_into("<I", ch, 44, last)
    struct.pack_into("<I", ch, 48, pos)
    fix_crcs(ch)
    return bytes(ch)


def _value_offset(chunk: bytes | bytearray, a: int, index: int) -> int:
    here = a + 24 + 14
    if struct.unpack_from("<I", chunk, here - 4)[0] == here:
        here += 24 + struct.unpack_from("<I", chunk, here + 20)[0]
    n = struct.unpack_from("<I", chunk, here)[0]
    sizes = [struct.unpack_from("<H", chunk, here + 4 + 4 * i)[0] for i in range(n)]
    return here + 4 + 4 * n + sum(sizes[:index])


def benign(chunk: bytes) -> bytes:
    ch = bytearray(chunk)
    for a, _ in spans(ch):
        at = _value_offset(ch, a, 3)
        eid = struct.unpack_from("<H", ch, at)[0]
        struct.pack_into("<H", ch, at, BENIGN.get(eid, eid))
    fix_crcs(ch)
    return bytes(ch)


def make_dense(samples: Path, path: Path, copies: int, attack_every: int = 40) -> dict[str, int]:
    """A server-like file of dense chunks: per sample chunk, ``copies`` dense chunks in a row (one
    channel at a time), each one of every ``attack_every`` the dense original (attack), the others
    its dense benign variant."""
    head = b""
    plain: list[bytes] = []
    attack: list[bytes] = []
    for f in sorted(samples.glob("*.evtx")):
        data = f.read_bytes()
        head = head or data[:HEADER]
        for i in range(HEADER, len(data), CHUNK):
            chunk = data[i : i + CHUNK]
            attack.append(dense(chunk))
            plain.append(dense(benign(chunk)))
    with path.open("wb") as fh:
        fh.write(head)
        for original, kind in zip(attack, plain, strict=True):
            for c in range(copies):
                fh.write(original if attack_every and c % attack_every == attack_every // 2 else kind)
    return {"chunks": len(plain) * copies}
