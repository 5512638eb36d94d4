"""Why a file of the evidence that no stage read was not read, and whether that leaves a gap.

Every file not read is named: a stray text file is listed (and changes nothing), but a file in a
log folder, an event log or an archive that no reader took is a gap the verdict must not ignore.
"""

from __future__ import annotations

import re

from extriage.evidence.locate import LocatedFile

#: Folders whose files are logs the scan reads (lower-case keys, "/" separated).
LOG_FOLDERS = ("/logging/httpproxy/", "/logging/ecp/", "/logging/oabgeneratorlog/", "/logging/cmdletinfra/",
               "/inetpub/logs/logfiles/", "/winevt/logs/")
_LOG_FOLDER_RE = re.compile("|".join(re.escape(f) for f in LOG_FOLDERS))
#: Compressed files and archives this version does not open (a .zip is read in place).
ARCHIVE_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".tar", ".tgz", ".cab", ".lz4", ".z")


#: Why a file that is no evidence this version reads was not read (one shared string: a drive root
#: lists tens of thousands of them).
NO_READER = "not read: no reader of this version applies to it (no Exchange/IIS log, event log, config or web file)"


def unread_reason(f: LocatedFile) -> tuple[str, bool]:
    """``(reason, relevant)`` for a file no stage read; ``relevant`` = it may hold what the scan looks
    for, so the verdict cannot be an all-clear without it."""
    if f.ref.special:
        return f"not a regular file but a {f.ref.special}; not read", True
    key = "/" + f.key
    name = key.rsplit("/", 1)[-1]  # the key is lower-case already (no Path object: 100,000s of files)
    if name.endswith(ARCHIVE_SUFFIXES):
        return ("compressed file or archive not read by this version; decompress it outside the evidence "
                "and scan the result"), True
    if name.endswith(".evtx"):
        return "event log not read (no event records could be taken from it)", True
    if f.ref.size and _LOG_FOLDER_RE.search(key):
        return ("in a log folder but not read as a log (no known log header or name); check it by hand "
                "or collect an intact copy"), True
    return NO_READER, False
