"""ASP.NET Core sites among the web folders: what their ``web.config`` says runs them.

IIS hands an ASP.NET Core site's requests to the ASP.NET Core Module, which starts the site's compiled
program (``<aspNetCore processPath="dotnet" arguments=".\\site.dll">`` or a self-contained ``site.exe``).
Its controllers, Razor Pages, components and - unless runtime compilation is on - views run from that
assembly, not from the ``.cs``/``.razor``/``.cshtml`` files that may lie beside it. The web file checks read
page and script source; a compiled assembly is read with YARA and, since session 20, as IL
(:mod:`~extriage.detections.webfiles.assembly`): the coverage says so for such a site (X39, session 17), or
"nothing found" would read as if the site's code had been analysed whole.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

#: The module names IIS knows the ASP.NET Core Module by (in-process V2 and the older out-of-process one).
_MODULES = ("aspnetcoremodule", "aspnetcoremodulev2")
_ASSEMBLY = re.compile(r"""["']?([^"'\s]+\.dll)["']?""", re.IGNORECASE)


def core_program(config: bytes | str) -> str | None:
    """What an ASP.NET Core site's ``web.config`` starts (``.\\site.dll``, ``.\\site.exe``), or ``None`` when
    the file hands no request to the ASP.NET Core Module (or is no readable XML)."""
    named = b"spnetcore" in config.lower() if isinstance(config, bytes) else "spnetcore" in config.lower()
    if not named:
        return None  # (cheap: most web.config files are not Core sites')
    try:
        root = ElementTree.fromstring(config)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return None
    handled = any(
        isinstance(h.tag, str) and h.tag.lower() == "add" and (h.get("modules") or "").strip().lower() in _MODULES
        for handlers in _all(root, "handlers")
        for h in handlers
    )
    cores = _all(root, "aspNetCore")
    if not handled or not cores:
        return None
    process = (cores[0].get("processPath") or "").strip()
    arguments = cores[0].get("arguments") or ""
    if process.replace("\\", "/").rsplit("/", 1)[-1].lower() in ("dotnet", "dotnet.exe"):
        found = _ASSEMBLY.search(arguments)
        return found.group(1) if found else arguments.strip() or process
    return process or None


def _all(root: Element, tag: str) -> list[Element]:
    return [e for e in root.iter() if isinstance(e.tag, str) and e.tag.lower() == tag.lower()]


def core_sites_note(sites: list[tuple[str, str]]) -> str:
    """Coverage note for the ASP.NET Core sites found: ``(folder, program)`` pairs."""
    n = len(sites)
    first = "; ".join(f"{folder} runs {program}" for folder, program in sites[:3])
    more = f" and {n - 3} more" if n > 3 else ""
    return (
        f"{n} ASP.NET Core site{'s' if n != 1 else ''} ({first}{more}): a Core site's code runs from its compiled "
        "assemblies, which YARA and the IL analysis read (request input reaching dangerous operations in the "
        "program and the site's own assemblies; not its framework and package assemblies). Its .cs, .razor "
        "and .cshtml.cs files are build sources, not what runs (read by YARA, reported for review), and .cshtml "
        "views run from source only when runtime compilation is on. For what the IL reading does not judge, "
        "decompile the site's assemblies or compare them with the vendor's build."
    )
