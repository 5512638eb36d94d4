"""Which log family a file belongs to: by its place in an Exchange/IIS tree, else by its first bytes.

Evidence often arrives as a plain folder of logs with the directory structure lost, so the header a
log writes into its first lines (``#Log-type: HttpProxy Logs``, ``#Software: Microsoft Internet
Information Services``...) is as good as its path. Both tables derive from what each format module
declares (:mod:`extriage.formats.families`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extriage.formats.families import FAMILIES
from extriage.regex_text import one_branch

#: How many leading bytes are read to recognise a log by its header.
SNIFF_BYTES = 8192


@dataclass(frozen=True, slots=True)
class FamilyMatch:
    family: str  # "httpproxy", "iis", "ecp", "oabgen", "rps_http", ...
    protocol: str = ""  # HttpProxy protocol folder ("ecp", "owa", ...) or IIS site folder ("w3svc1")
    how: str = "path"  # "path" or "header"


#: (family, regex over the lower-case "/"-separated path key; group 1 = protocol/site when present),
#: from each format's declaration (:mod:`extriage.formats.families`)
PATH_FAMILIES: list[tuple[str, re.Pattern[str]]] = [(f.id, rx) for f in FAMILIES.values() for rx in f.paths]

#: (family, regex over the first bytes, decoded as latin-1, case-insensitive); weak headers (a word
#: found in the lines, not a header) last
HEADER_FAMILIES: list[tuple[str, re.Pattern[str]]] = [
    (f.id, rx) for weak in (False, True) for f in FAMILIES.values() if f.weak_header == weak for rx in f.headers
]
_WEAK_HEADERS = frozenset(f.id for f in FAMILIES.values() if f.weak_header)

_FILE_EXTS = (".log", ".txt", ".csv")
#: Endings of logs compressed in place (log rotation, collections): ``u_ex210303.log.gz``.
COMPRESSED_EXTS = (".gz", ".bz2", ".xz", ".zst", ".zstd")
#: Any file with a log extension directly in an IIS site's log folder: read as IIS only when its
#: header says so or its lines have IIS's default field layout (:func:`looks_like_default_iis`).
_W3SVC_FOLDER = re.compile(r"/(w3svc\d+)/[^/]+\.(?:log|txt)$")


def strip_compressed(key: str) -> str:
    """``key`` without a compression ending (``.gz``...), so a rotated log is placed like its original."""
    for ext in COMPRESSED_EXTS:
        if key.endswith(ext):
            return key[: -len(ext)]
    return key


def family_from_path(key: str) -> FamilyMatch | None:
    """The family implied by where the file sits (key = lower-case, "/"-separated logical path).

    ``how`` is "path", or "w3svc-folder" for a file in an IIS site's log folder that does not bear
    IIS's ``u_ex*.log`` name: the caller checks its content before reading it as IIS."""
    k = "/" + strip_compressed(key)
    for family, rx in PATH_FAMILIES:
        m = rx.search(k)
        if m:
            proto = m.group(1) if m.groups() else ""
            return FamilyMatch(family, proto or "", "path")
    m = _W3SVC_FOLDER.search(k)
    if m:
        return FamilyMatch("iis", m.group(1), "w3svc-folder")
    return None


#: One data line in IIS's default W3C field order (logs-and-detections.md §1b): date time s-ip
#: cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status
#: sc-substatus sc-win32-status time-taken.
_IIS_DEFAULT_LINE = re.compile(
    rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [0-9A-Fa-f.:%\w-]+ [A-Za-z-]+ /\S* \S+ \d{1,5} \S+ [0-9A-Fa-f.:%\w-]+ \S+ \S+ "
    rb"\d{3} \d+ \d+ \d+\r?$")


def looks_like_default_iis(head: bytes) -> bool:
    """Whether the data lines in ``head`` (``#`` lines and a last, cut line aside) all have the
    15 columns of IIS's default field layout, with a date, time, method, path, port, status and
    numbers where IIS writes them. At least one whole data line is needed."""
    lines = head.split(b"\n")[:-1] if not head.endswith(b"\n") else head.split(b"\n")
    data = [ln for ln in lines[:50] if ln.strip() and not ln.startswith(b"#")]
    return bool(data) and all(_IIS_DEFAULT_LINE.match(ln) for ln in data)


def family_from_header(head: bytes) -> FamilyMatch | None:
    """The family a log announces in its first bytes (``head``: the first :data:`SNIFF_BYTES`)."""
    damaged = b"\x00" in head
    if damaged:  # NULs (UTF-16 is decoded before this): a header written after a NUL block still counts
        head = head.replace(b"\x00", b"\n")
    text = head.decode("latin-1")
    for family, rx, after_newline in _HEADER_SEARCH:
        if damaged and family in _WEAK_HEADERS:
            continue  # a word anywhere in binary content (Exchange's own DLLs name the OAB generator)
        if after_newline is None:
            if rx.search(text):
                return FamilyMatch(family, "", "header")
        elif rx.match(text) or after_newline.search(text):
            return FamilyMatch(family, "", "header")
    return None


def _line_start_search(rx: re.Pattern[str]) -> re.Pattern[str] | None:
    """For a multi-line pattern ``^X`` (one branch): ``\nX``, which finds ``X`` after a newline as
    ``^X`` finds it there, so ``rx.match(text) or _line_start_search(rx).search(text)`` holds exactly
    when ``rx.search(text)`` does. A search for ``^X`` tries every offset of the 8 KB head (a
    case-blind one has no literal prefix to skip by): 0.1-0.3 ms a log for the families tried after
    the first, more than reading a small log; ``\n`` is searched for in C. None for other patterns."""
    pattern = rx.pattern
    if not (rx.flags & re.M and pattern.startswith("^") and one_branch(pattern)):
        return None
    return re.compile("\n(?:" + pattern[1:] + ")", rx.flags)


#: :data:`HEADER_FAMILIES` with each pattern's search after a newline (:func:`_line_start_search`).
_HEADER_SEARCH = [(family, rx, _line_start_search(rx)) for family, rx in HEADER_FAMILIES]


def could_be_log(key: str) -> bool:
    """Cheap gate before sniffing: text-log extensions (also compressed), or files under a
    ``logging``/``logfiles`` folder."""
    return strip_compressed(key).endswith(_FILE_EXTS) or "/logging/" in key or "/logfiles/" in key
