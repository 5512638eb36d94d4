"""The NTFS change journal: records parsed from synthetic ``$J`` pages (v2 and v3, sparse head,
damage), and web pages created then deleted in a web folder during an exploitation window found.
(ntfs-3g keeps no change journal, so the test images carry none: the stage then does nothing.)"""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime

from extriage.detections.ntfs.deleted_pages import deleted_pages, load_rule
from extriage.detections.waves.registry import load_registry
from extriage.formats.usn_journal import CLOSE, FILE_CREATE, FILE_DELETE, PAGE, iter_journal

_1601 = datetime(1601, 1, 1, tzinfo=UTC)


def _ft(when: datetime) -> int:
    return int((when - _1601).total_seconds() * 10_000_000)


def v2(usn: int, when: datetime, reason: int, file: int, parent: int, name: str) -> bytes:
    raw = name.encode("utf-16-le")
    length = (60 + len(raw) + 7) // 8 * 8
    head = struct.pack("<IHHQQqQIIIIHH", length, 2, 0, file | (1 << 48), parent | (1 << 48), usn, _ft(when),
                       reason, 0, 0, 0x20, len(raw), 60)
    return (head + raw).ljust(length, b"\x00")


def v3(usn: int, when: datetime, reason: int, file: int, parent: int, name: str) -> bytes:
    raw = name.encode("utf-16-le")
    length = (76 + len(raw) + 7) // 8 * 8
    head = struct.pack("<IHH", length, 3, 0) + file.to_bytes(16, "little") + parent.to_bytes(16, "little")
    head += struct.pack("<qQIIIIHH", usn, _ft(when), reason, 0, 0, 0x20, len(raw), 76)
    return (head + raw).ljust(length, b"\x00")


def journal(*pages: bytes) -> io.BytesIO:
    return io.BytesIO(b"\x00" * (4 * PAGE) + b"".join(p.ljust(PAGE, b"\x00") for p in pages))


T = datetime(2021, 3, 3, 9, 0, tzinfo=UTC)


def test_records_v2_v3_sparse_head_and_damage() -> None:
    page1 = v2(1, T, FILE_CREATE, 70, 40, "a.aspx") + b"\xff" * 16  # then damage: rest of the page skipped
    page2 = v3(2, T, FILE_DELETE | CLOSE, 70, 40, "a.aspx")
    recs = list(iter_journal(journal(page1, page2)))
    assert [(r.usn, r.file, r.parent, r.name) for r in recs] == [(1, 70, 40, "a.aspx"), (2, 70, 40, "a.aspx")]
    assert recs[0].timestamp == T and recs[1].reason & FILE_DELETE


def test_page_created_then_deleted_in_a_web_folder_during_a_window() -> None:
    windows = [w.window.span() for w in load_registry() if w.window is not None]
    folders = {40: "inetpub/wwwroot/aspnet_client/system_web", 41: "Users/admin/Downloads"}
    later = datetime(2021, 3, 3, 9, 20, tzinfo=UTC)
    pages = (v2(1, T, FILE_CREATE, 70, 40, "shell.aspx") + v2(2, later, FILE_DELETE | CLOSE, 70, 40, "shell.aspx")
             + v2(3, T, FILE_CREATE, 71, 41, "x.aspx") + v2(4, later, FILE_DELETE, 71, 41, "x.aspx")  # not a web folder
             + v2(5, T, FILE_CREATE, 72, 40, "kept.aspx")  # never deleted
             + v2(6, datetime(2020, 1, 5, tzinfo=UTC), FILE_CREATE, 73, 40, "old.aspx")
             + v2(7, datetime(2020, 1, 6, tzinfo=UTC), FILE_DELETE, 73, 40, "old.aspx"))  # outside every window
    found = deleted_pages(iter_journal(journal(pages)), folders, load_rule(), windows)
    assert [(p.name, p.folder, p.created, p.deleted) for p in found] == [
        ("shell.aspx", "inetpub/wwwroot/aspnet_client/system_web", T, later)]
