"""The log family registry: every log format module declares its :class:`LogFamily` as ``FAMILY``
and is registered here with one line. Every table about log families derives from it.

The order is the one of every listing (coverage, the response plan's expected sources) and of
sniffing: a file's path, then its first bytes, are matched against the families in this order —
headers of families whose "header" is only a word in their lines (``weak_header``) last.
"""

from __future__ import annotations

from extriage.formats import ecp, httpproxy, oabgen, rps_http, w3c
from extriage.formats.logfamily import LogFamily

#: id -> family, in sniffing order. A new format: its module, and one line here.
FAMILIES: dict[str, LogFamily] = {
    f.id: f
    for f in (
        httpproxy.FAMILY,
        w3c.FAMILY,
        ecp.FAMILY,
        oabgen.FAMILY,
        rps_http.FAMILY,
    )
}
#: The family ids, in registry order.
FAMILY_IDS: tuple[str, ...] = tuple(FAMILIES)


def family(family_id: str) -> LogFamily:
    """The registered family ``family_id`` (KeyError for an unknown one)."""
    return FAMILIES[family_id]


def syntax(family_id: str) -> str:
    """The line syntax of ``family_id`` ("exchange_csv" for an unknown id)."""
    fam = FAMILIES.get(family_id)
    return fam.syntax if fam is not None else "exchange_csv"
