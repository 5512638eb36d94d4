"""Web pages created then deleted in the web folders during exploitation windows, from the NTFS
change journal (rules in ``deleted_pages.yml``)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import yaml

from extriage.formats.usn_journal import FILE_CREATE, FILE_DELETE, UsnRecord


@dataclass(frozen=True, slots=True)
class DeletedPageRule:
    rule_id: str
    severity: str
    confidence: str
    folders: tuple[str, ...]
    extensions: tuple[str, ...]


@functools.cache
def load_rule() -> DeletedPageRule:
    raw: Any = yaml.safe_load(resources.files(__package__).joinpath("deleted_pages.yml").read_text("utf-8"))
    return DeletedPageRule(str(raw["rule_id"]), str(raw["severity"]), str(raw["confidence"]),
                           tuple(str(f).lower() for f in raw["folders"]),
                           tuple(str(e).lower() for e in raw["extensions"]))


@dataclass(slots=True)
class DeletedPage:
    name: str
    folder: str  # "/" separated, as listed in the volume ("" when the folder is gone too)
    created: datetime | None
    deleted: datetime | None
    records: list[UsnRecord]


def deleted_pages(records: Iterable[UsnRecord], folders: dict[int, str], rule: DeletedPageRule,
                  windows: list[tuple[datetime, datetime]]) -> list[DeletedPage]:
    """Pages (by file reference) whose journal says created and later deleted, in a watched folder,
    created inside one of ``windows``."""
    open_files: dict[int, DeletedPage] = {}
    found: list[DeletedPage] = []
    for rec in records:
        if not rec.name.lower().endswith(rule.extensions):
            continue
        page = open_files.get(rec.file)
        if rec.reason & FILE_CREATE and page is None:
            page = open_files[rec.file] = DeletedPage(rec.name, folders.get(rec.parent, ""), rec.timestamp, None, [])
        if page is None:
            continue
        page.records.append(rec)
        if rec.reason & FILE_DELETE:
            del open_files[rec.file]
            page.deleted = rec.timestamp
            key = "/" + page.folder.lower() + "/"
            if not any(f + "/" in key for f in rule.folders):
                continue
            if page.created is not None and any(a <= page.created < b for a, b in windows):
                found.append(page)
    return found
