"""A compiled PE file is no page, whatever bytes it holds (issue 14, helper X49, session 20; the lead's request).

The lead scanned the 60 .NET assemblies of mono (``/tmp/lead20/gacsite``, under ``inetpub/wwwroot``): three
findings, all misreadings - ``EXT_WEBSHELL_Assembly_Load_Base64`` on mscorlib.dll and
``EXT_WEBSHELL_Decoy_Error_Page_With_Command`` on two copies of System.Web.dll. A page marker (``<%`` then a
character, ``runat="server"``) and the rules' API names occur by chance in IL, metadata and resources. Every rule
that wants a page marker (73) now also wants the file not to be a PE image: an ``MZ`` header whose ``e_lfanew``
points at the ``PE\\0\\0`` signature. The rules written for compiled files (``EXT_WEBSHELL_Compiled_Page``, the
ransomware binary) keep reading them. A text page that merely starts with ``MZ`` is still a page.

The shells are harmless one-line pages of this module's sibling tests (nothing is compiled or run); the PE images
are 0x80-byte headers with the page's bytes after them, not real assemblies.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import content

from .test_x49_behaviour_only import NATIVE
from .test_x49_expression_pages import LOADERS, PROCESS

#: DOS header ("MZ", e_lfanew = 0x80 at 0x3C), then the PE signature at 0x80.
_PE = b"MZ" + b"\x90\x00" * 29 + (0x80).to_bytes(4, "little") + b"\x00" * 0x40 + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 18

_SHELLS = [
    ("EXT_WEBSHELL_Process_Exec", '<%@ Page Language="C#" %>\n' + PROCESS[0][2]),
    ("EXT_WEBSHELL_Assembly_Load_Base64", '<%@ Page Language="C#" %>\n' + LOADERS[0][2]),
    ("EXT_WEBSHELL_Page_Starts_Process_Through_Native_Call", NATIVE[0][2]),
]


def _yara(tmp_path: Path, name: str, data: bytes, params: content.ContentParams) -> set[str]:
    path = tmp_path / name
    path.write_bytes(data)
    t = content.Target(str(path), str(path).lower(), str(path), path.name, path.stat().st_size, None)
    hits = content.examine(t, content.DEEP, params).data.get("hits", [])
    return {str(h["rule"]) for h in hits if h["check"] == "yara"}


def test_header_is_a_pe_image() -> None:
    assert _PE[:2] == b"MZ" and int.from_bytes(_PE[0x3C:0x40], "little") == 0x80 and _PE[0x80:0x84] == b"PE\x00\x00"


@pytest.mark.parametrize(("rule", "page"), _SHELLS, ids=[r for r, _ in _SHELLS])
def test_page_bytes_inside_a_pe_image_are_not_a_page(
    tmp_path: Path, params: content.ContentParams, rule: str, page: str
) -> None:
    """The page as written keeps its rule; the same bytes after a PE header (a .dll in bin) raise none."""
    assert rule in _yara(tmp_path, "p.aspx", page.encode(), params)
    assert _yara(tmp_path, "Lib.dll", _PE + page.encode(), params) == set()


@pytest.mark.parametrize(("rule", "page"), _SHELLS, ids=[r for r, _ in _SHELLS])
def test_text_page_starting_with_mz_is_still_a_page(
    tmp_path: Path, params: content.ContentParams, rule: str, page: str
) -> None:
    """"MZ" alone (no PE signature where e_lfanew points) does not hide a page: ASP.NET serves the two letters."""
    assert rule in _yara(tmp_path, "p.aspx", b"MZ" + page.encode(), params)
