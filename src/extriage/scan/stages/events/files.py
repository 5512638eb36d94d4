"""Which files of the evidence are Windows event logs: ``*.evtx`` by name, event exports (JSON lines,
JSON, CSV) by a look at their first bytes, read in the main process before any worker starts."""

from __future__ import annotations

from extriage.evidence.locate import LocatedFile
from extriage.evidence.source import open_artifact
from extriage.formats.event_export import (
    SNIFF_BYTES,
    json_shape,
    sniff,
)

EXPORT_EXTENSIONS = (".json", ".jsonl", ".ndjson", ".csv", ".txt")
JSON_EXTENSIONS = (".json", ".jsonl", ".ndjson")
JSON_LINES_EXTENSIONS = (".jsonl", ".ndjson")
_NOT_EXPORT_FOLDERS = ("/logging/", "/clientaccess/", "/frontend/", "/inetpub/logs/", "/node_modules/", "/winsxs/")
#: Sniffing reads at most this much of each candidate export in the main process.
_SNIFF_HEAD = 4096


def is_evtx(f: LocatedFile) -> bool:
    return f.key.endswith(".evtx")


def is_export_candidate(f: LocatedFile) -> bool:
    if not f.key.endswith(EXPORT_EXTENSIONS) or f.ref.size == 0:
        return False
    # Exchange's own logs, web folders and Windows' own files never hold event exports: skip them
    # without opening (a drive image has thousands of .txt/.json files there).
    key = "/" + f.key
    if any(part in key for part in _NOT_EXPORT_FOLDERS):
        return False
    return not (key.startswith(("/c:/windows/", "/windows/")) and "/winevt/" not in key)


def sniff_file(f: LocatedFile, plain: bool = False) -> str:
    """The export shape of ``f`` ("jsonl", "json", "csv"); "probe" for a JSON file that shows no
    event in its head but is read anyway, to list it as not read when it holds none (see
    :func:`worth_probing`); "" for a file that is no event export."""
    try:
        with open_artifact(f.ref) as fh:
            head = fh.read(_SNIFF_HEAD)
            if len(head) == _SNIFF_HEAD and not sniff(head) and _may_need_more(head):
                head += fh.read(SNIFF_BYTES - _SNIFF_HEAD)
    except OSError:
        return ""
    kind = sniff(head)
    if not kind and worth_probing(f.key, head, plain):
        return "probe"
    return kind


def _may_need_more(head: bytes) -> bool:
    """Whether a head that shows no export may show one further on: JSON whose first record is longer
    than the head (a ``ConvertTo-Json`` message), or a long or damaged first line (a comment, junk)."""
    body = head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    return body[:1] in (b"[", b"{", b"#") or head.count(b"\n") < 2 or b'"\x00' in head[:64]


def worth_probing(key: str, head: bytes, plain: bool) -> bool:
    """Whether a JSON file whose head shows no Windows event is read all the same — to find events
    further on, or to name it in "not read" when it holds none. Where the user pointed at a plain
    folder (or file) that is any ``.json``/``.jsonl``/``.ndjson`` holding JSON; in a drive image or
    collection, where applications keep many JSON settings files, only JSON lines (a ``.jsonl`` or
    ``.ndjson`` file, or a ``.json`` file of two or more one-object lines)."""
    if not key.endswith(JSON_EXTENSIONS):
        return False
    if key.endswith(JSON_LINES_EXTENSIONS) and b"\n" not in head.rstrip(b"\r\n"):
        return True  # one damaged or over-long first line: the lines after it may be events
    shape = json_shape(head)
    if not shape.kind:
        return False
    if plain:
        return True
    return shape.kind == "jsonl" and (key.endswith(JSON_LINES_EXTENSIONS) or shape.object_lines >= 2)
