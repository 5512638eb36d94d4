"""Real-shaped ``.evtx`` chunks for benchmarks: dense chunks whose records carry *distinct values*, as a
server writes them (issue 18, helper E6).

Why: the other bench files (``evtx_dense.py``, ``evtx_realistic.py``, ``bench_evtx_cores.make``) repeat
the CC0 samples' records byte for byte, so every record's descriptor table (each value's size) repeats
and the raw reader's per-table caches always hit; in a real log the user names, logon ids, addresses,
GUIDs, process ids and times differ from record to record, and with them the string sizes in the table
(BENCHMARKS.md, issue 18, E5: "the bench files flatter the raw path").

Each chunk here is one sample chunk's records (kept at their offsets, so the templates and names they
define inline stay where the chunk's tables point; only their record ids and times are changed, in
place) followed by records re-encoded from them until the chunk is full: each a template instance that
refers back to the sample's definition (at its offset in the chunk), its values made anew:

* System values (the outer instance): TimeCreated and the record header's written time advance by
  0-2 s a record from 2026-11-01, EventRecordID and the header's record id count up across the file,
  ProcessID/ThreadID are random, the ActivityID GUID (where there is one) changes in one record of 200; provider, channel, computer, event id, level,
  task, keywords and the user SID stay as the sample has them (one server, one event type);
* event data (nested instances): strings that are numbers, hex numbers, IPv4 addresses or GUIDs in
  braces get random ones of varying length; short names (no space, backslash or colon; not ``-``) get
  0-31 random digits appended; in benign chunks a path's last name and other text (command lines,
  messages) get 0-31 digits too (attack chunks keep them: the rules read them); GUIDs, UInt32 values
  (below 65,536), hex integers (logon ids: below 2^10-2^30 for HexInt32, 2^62 for HexInt64), the last
  sub-authority of SIDs and FILETIMEs (up to ~30 h before the record's time) are random; each string
  of a string array varies as a string.

Chunk header: first/last record number and id, last-record and free-space offsets and both CRC32s set
again (libyal's EVTX notes: offsets 8-40, 44, 48, 52 and 124). Event ids are rewritten as in
``evtx_dense.benign`` except in one chunk of every ``attack_every`` (the originals).

Checked with the parser (``check``): every record parses, the chunk's record count is the number
written, and each re-encoded record's JSON has exactly the keys of the sample record it comes from.

    .venv/bin/python bench/events/evtx_varied.py OUT.evtx --copies 400 [--check] [--stats]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import struct
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evtx_dense import BENIGN

HEADER = 4096
CHUNK = 65536
SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "data" / "evtx-samples-cc0"
_INSTANCE = struct.Struct("<4sBBII")
_FRAGMENT = b"\x0f\x01\x01\x00"
_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_START = int((datetime(2026, 11, 1, tzinfo=UTC) - _EPOCH).total_seconds() * 10_000_000)
_FIXED = {0x03: 1, 0x04: 1, 0x05: 2, 0x06: 2, 0x07: 4, 0x08: 4, 0x09: 8, 0x0A: 8, 0x0F: 16, 0x11: 8, 0x14: 4, 0x15: 8}

#: A value: (type, bytes) or, for nested binary XML (0x21), (0x21, _Instance).
Value = tuple[int, "bytes | _Instance"]


class _Instance:
    """A template instance: the template's id and definition offset, and its values."""

    __slots__ = ("offset", "tid", "values")

    def __init__(self, tid: int, offset: int, values: list[Value]) -> None:
        self.tid, self.offset, self.values = tid, offset, values

    def encode(self) -> bytes:
        body = [_FRAGMENT, struct.pack("<BBII", 0x0C, 1, self.tid, self.offset), struct.pack("<I", len(self.values))]
        data = [v.encode() + b"\x00" if isinstance(v, _Instance) else v for _, v in self.values]
        body.extend(struct.pack("<HBB", len(d), k, 0) for d, (k, _) in zip(data, self.values, strict=True))
        body.extend(data)
        return b"".join(body)


def decode(c: bytes, pos: int) -> tuple[_Instance, int]:
    """The template instance at ``pos`` (an inline definition skipped: the instance refers to it
    where it is) and where its values end."""
    frag, token, _, tid, offset = _INSTANCE.unpack_from(c, pos)
    if frag != _FRAGMENT or token != 0x0C:
        raise ValueError("not a template instance")
    here = pos + 14
    if offset == here:
        here += 24 + struct.unpack_from("<I", c, here + 20)[0]
    n = struct.unpack_from("<I", c, here)[0]
    table = [struct.unpack_from("<HBB", c, here + 4 + 4 * i) for i in range(n)]
    at = here + 4 + 4 * n
    values: list[Value] = []
    for size, kind, _ in table:
        if kind == 0x21:
            inner, stop = decode(c, at)
            if stop + 1 != at + size or c[stop] != 0:
                raise ValueError("nested value not one instance")
            values.append((kind, inner))
        else:
            values.append((kind, c[at : at + size]))
        at += size
    return _Instance(tid, offset, values), at


def spans(c: bytes | bytearray) -> list[tuple[int, int]]:
    free = struct.unpack_from("<I", c, 48)[0]
    out, pos = [], 512
    while pos < free:
        size = struct.unpack_from("<I", c, pos + 4)[0]
        out.append((pos, pos + size))
        pos += size
    return out


_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_BRACED = re.compile(r"\{[0-9A-Fa-f-]{36}\}")


class Varier:
    """New values for one record after another (seeded: the same file each time)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.time = _START
        self.rid = 1000

    def string(self, raw: bytes, free: bool) -> bytes:
        """A new string like ``raw``; ``free``: paths and text vary too (not in attack chunks, whose
        command lines and paths the rules read)."""
        text = raw.decode("utf-16-le")
        nul = text.endswith("\x00")
        s = text.rstrip("\x00")
        r = self.rng
        digits = "".join(r.choice("0123456789") for _ in range(r.randrange(32)))
        if s.isdigit():
            s = str(r.randrange(10 ** r.randrange(1, 7)))
        elif _IPV4.fullmatch(s):
            s = ".".join(str(r.randrange(256)) for _ in range(4))
        elif _HEX.fullmatch(s):
            s = hex(r.randrange(1 << r.randrange(8, 40)))
        elif _BRACED.fullmatch(s):
            s = "{" + "-".join(f"{r.getrandbits(4 * n):0{n}X}" for n in (8, 4, 4, 4, 12)) + "}"
        elif s in ("", "-"):
            pass
        elif len(s) <= 40 and not any(ch in s for ch in " \\:"):
            s += digits  # a user, domain, computer or group name
        elif free and "\\" in s:  # a path: its last name longer or shorter (its extension kept)
            head, _, name = s.rpartition("\\")
            stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
            s = f"{head}\\{stem}{digits}{dot}{ext}"
        elif free:  # a command line, message or distinguished name
            s += " " + digits if digits else ""
        return (s + ("\x00" if nul else "")).encode("utf-16-le")

    def vary(self, inst: _Instance, nested: bool, free: bool) -> _Instance:
        r = self.rng
        out: list[Value] = []
        for kind, v in inst.values:
            if isinstance(v, _Instance):
                out.append((kind, self.vary(v, True, free)))
            elif kind == 0x11 and not nested:
                out.append((kind, struct.pack("<Q", self.time)))
            elif kind == 0x0A and not nested:
                out.append((kind, struct.pack("<Q", self.rid)))
            elif kind == 0x0F and (nested or r.randrange(200) == 0):  # (an ActivityID changes rarely)
                out.append((kind, r.randbytes(16)))
            elif kind == 0x08:
                out.append((kind, struct.pack("<I", r.randrange(4, 65536, 4))))
            elif nested and kind == 0x01:
                out.append((kind, self.string(v, free)))
            elif nested and kind == 0x81:  # a string array (NUL-separated)
                parts = v.decode("utf-16-le").split("\x00")
                out.append((kind, "\x00".join(self.string(p.encode("utf-16-le"), free).decode("utf-16-le")
                                                for p in parts).encode("utf-16-le")))
            elif nested and kind in (0x14, 0x15):  # logon ids and the like: small numbers
                out.append((kind, r.randrange(1 << r.randrange(12, 8 * len(v) - 2)).to_bytes(len(v), "little")))
            elif nested and kind == 0x11:
                out.append((kind, struct.pack("<Q", self.time - r.randrange(1 << 40))))
            elif nested and kind == 0x13 and len(v) >= 12:
                out.append((kind, v[:-4] + struct.pack("<I", r.randrange(1000, 100_000))))
            else:
                out.append((kind, v))
        return _Instance(inst.tid, inst.offset, out)

    def next_record(self) -> None:
        self.time += self.rng.randrange(20_000_000)
        self.rid += 1


def _benign(inst: _Instance) -> _Instance:
    values = list(inst.values)
    kind, v = values[3]  # EventID (substitution 3 of the System template)
    if isinstance(v, bytes) and len(v) == 2:
        eid = struct.unpack("<H", v)[0]
        values[3] = (kind, struct.pack("<H", BENIGN.get(eid, eid)))
    return _Instance(inst.tid, inst.offset, values)


def _record(body: bytes, rid: int, written: int) -> bytes:
    size = 24 + len(body) + 1 + 4
    return b"".join([b"**\x00\x00", struct.pack("<IQQ", size, rid, written), body, b"\x00", struct.pack("<I", size)])


def varied_chunk(sample: bytes, var: Varier, benign: bool) -> tuple[bytes, int]:
    """One chunk: the sample's records (ids and times set in place), then re-encoded records with new
    values until it is full. Returns the chunk and how many records it holds."""
    ch = bytearray(sample)
    sources: list[tuple[_Instance, bytes]] = []
    first_rid = var.rid
    for a, _ in spans(sample):
        inst, _stop = decode(sample, a + 24)
        if benign:
            inst = _benign(inst)
        sources.append((inst, bytes(ch[a : a + 24])))
        # this record in place: same sizes, new record id and time
        here = a + 24 + 14
        if struct.unpack_from("<I", ch, here - 4)[0] == here:
            here += 24 + struct.unpack_from("<I", ch, here + 20)[0]
        n = struct.unpack_from("<I", ch, here)[0]
        at = here + 4 + 4 * n
        for i in range(n):
            size, kind = struct.unpack_from("<HB", ch, here + 4 + 4 * i)
            if kind == 0x11:
                struct.pack_into("<Q", ch, at, var.time)
            elif kind == 0x0A:
                struct.pack_into("<Q", ch, at, var.rid)
            elif i == 3 and size == 2 and benign:  # EventID (as evtx_dense.benign)
                eid = struct.unpack_from("<H", ch, at)[0]
                struct.pack_into("<H", ch, at, BENIGN.get(eid, eid))
            at += size
        struct.pack_into("<QQ", ch, a + 8, var.rid, var.time)
        var.next_record()
    pos = spans(sample)[-1][1]
    last = spans(sample)[-1][0]
    k = 0
    while True:
        inst, _ = sources[k % len(sources)]
        rec = _record(var.vary(inst, False, benign).encode(), var.rid, var.time)
        if pos + len(rec) > CHUNK:
            break
        ch[pos : pos + len(rec)] = rec
        last, pos, k = pos, pos + len(rec), k + 1
        var.next_record()
    records = len(sources) + k
    struct.pack_into("<QQQQ", ch, 8, first_rid, first_rid + records - 1, first_rid, first_rid + records - 1)
    struct.pack_into("<II", ch, 44, last, pos)
    ch[pos:] = bytes(CHUNK - pos)
    struct.pack_into("<I", ch, 52, zlib.crc32(ch[512:pos]))
    struct.pack_into("<I", ch, 124, zlib.crc32(bytes(ch[:120]) + bytes(ch[128:512])))
    return bytes(ch), records


def make_varied(samples: Path, path: Path, copies: int, attack_every: int = 40, seed: int = 18) -> dict[str, int]:
    """Per sample chunk, ``copies`` varied dense chunks in a row (one channel at a time), one of every
    ``attack_every`` with the sample's own event ids, the others with benign ones."""
    var = Varier(seed)
    head = b""
    chunks: list[bytes] = []
    for f in sorted(samples.glob("*.evtx")):
        data = f.read_bytes()
        head = head or data[:HEADER]
        chunks.extend(data[i : i + CHUNK] for i in range(HEADER, len(data), CHUNK))
    records = 0
    with path.open("wb") as fh:
        fh.write(head)
        for sample in chunks:
            for c in range(copies):
                attack = bool(attack_every) and c % attack_every == attack_every // 2
                made, n = varied_chunk(sample, var, benign=not attack)
                records += n
                fh.write(made)
    return {"chunks": len(chunks) * copies, "records": records}


def _keys(doc: object) -> object:
    if isinstance(doc, dict):
        return {k: _keys(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_keys(v) for v in doc]
    return type(doc).__name__ if doc is not None else None


def check(path: Path, every: int = 1) -> str:
    """Parse every ``every``-th chunk of the file with the parser: each chunk's records as many as its
    header says, record ids consecutive, and every record's JSON with the keys (and kinds of values,
    nulls apart) of one of the samples' own records."""
    import evtx

    shapes = set()
    for f in sorted(SAMPLES.glob("*.evtx")):
        for r in evtx.PyEvtxParser(str(f)).records_json():
            shapes.add(json.dumps(_keys(json.loads(r["data"])), sort_keys=True))
    data = path.read_bytes()
    head = data[:HEADER]
    chunks = (len(data) - HEADER) // CHUNK
    seen = 0
    for i in range(0, chunks, every):
        chunk = data[HEADER + i * CHUNK : HEADER + (i + 1) * CHUNK]
        want = struct.unpack_from("<Q", chunk, 32)[0] - struct.unpack_from("<Q", chunk, 24)[0] + 1
        docs = [json.loads(r["data"]) for r in evtx.PyEvtxParser(io.BytesIO(head + chunk), number_of_threads=1).records_json()]
        assert len(docs) == want == len(spans(chunk)), (i, len(docs), want)
        for d in docs:
            assert json.dumps(_keys(d), sort_keys=True) in shapes, (i, d)
        ids = [d["Event"]["System"]["EventRecordID"] for d in docs]
        assert ids == list(range(ids[0], ids[0] + len(ids))), i
        seen += len(docs)
    return f"{seen:,} records in {len(range(0, chunks, every)):,} chunks parsed, each with the keys of a sample record"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--copies", type=int, default=400)
    ap.add_argument("--check", type=int, default=0, metavar="EVERY", help="parse every EVERY-th chunk with the parser")
    args = ap.parse_args()
    print(make_varied(SAMPLES, args.out, args.copies))
    if args.check:
        print(check(args.out, args.check))


if __name__ == "__main__":
    main()
