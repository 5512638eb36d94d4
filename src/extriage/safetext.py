"""Attacker-controlled text made safe to show: control characters become visible ``\\xNN`` escapes.

Log lines and web shell content can carry ANSI escape sequences, bells, carriage returns or C1
controls (``\\x9b`` starts a sequence on some terminals). Every plain-text output (terminal, CSV)
writes them as the four visible characters ``\\xNN`` instead, so a report can neither drive the
reader's terminal nor hide text behind a carriage return; JSON escapes them by itself and HTML
shows them inert.
"""

from __future__ import annotations

import re

#: C0 controls except tab, DEL, and the C1 controls.
_CONTROLS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def _hex(m: re.Match[str]) -> str:
    return f"\\x{ord(m.group()):02x}"


def visible_controls(text: str) -> str:
    """``text`` with every control character but tab written as ``\\xNN``."""
    return _CONTROLS.sub(_hex, text)
