"""The language ASP.NET compiles a page in when the page names none.

A page with no main directive, or one whose ``<%@ Page %>`` has no ``Language=``, is compiled in the
``defaultLanguage`` of ``<system.web><compilation>`` of the nearest ``web.config`` at or above its folder
(or of a ``<location path>`` naming that folder); Visual Basic when none sets it (the attribute's default).
The behaviour analysis otherwise guesses from the code, and a guess can be wrong both ways: a VB page
with ``{0}`` in a ``String.Format`` reads as C# and loses its sinks (X46, session 19). When no
configuration in the evidence sets it, the guess stays: the server's root ``web.config`` or
``machine.config`` is usually not collected, and a page the server cannot compile is no running shell.

Language names are those ASP.NET's compilers answer to (``extract.LANGUAGE_NAMES``); a name no compiler
takes is a configuration the server refuses, so it sets nothing here.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from extriage.detections.webfiles.behaviour.extract import LANGUAGE_NAMES
from extriage.formats.iis_config import ConfigError, parse_web_config

#: The attribute's name, as configuration files must spell it (XML attribute names are case-sensitive),
#: in UTF-8 and in UTF-16 (.NET reads a configuration in either); a file without it sets nothing and is
#: not parsed.
MARKS = (b"defaultLanguage", "defaultLanguage".encode("utf-16-le"), "defaultLanguage".encode("utf-16-be"))


def config_languages(folder: str, data: bytes, source: str) -> list[tuple[str, str]]:
    """``(folder key, language)`` for each ``defaultLanguage`` a ``web.config`` in ``folder`` (a key:
    lower-case, ``/``-separated) sets: its own ``<system.web>`` for ``folder``, a ``<location path>``'s
    for that path below it. Languages are ``cs``/``vb``/``js``. A file that is no well-formed
    configuration sets nothing (the web file stage reports it when it reads it)."""
    if not any(mark in data for mark in MARKS):
        return []
    try:
        config = parse_web_config(data, source)
    except ConfigError:
        return []
    found: list[tuple[str, str]] = []
    for path, _inherit, node in config.sections("system.web", "compilation"):
        name = (node.get("defaultLanguage") or "").strip().lower()
        lang = LANGUAGE_NAMES.get(name)
        if lang is None:
            continue
        where = folder
        if path:
            where = posixpath.normpath(f"{folder}/{path.lower()}") if folder else posixpath.normpath(path.lower())
        found.append((where, lang))
    return found


def default_languages(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The table the workers get (``content.ContentParams.default_languages``; ``content.default_language``
    picks the deepest folder at or above a page): one language per folder, a later pair for the same
    folder winning (a ``<location>`` for the folder is more specific than the file's own section)."""
    table: dict[str, str] = {}
    for folder, lang in pairs:
        table[folder] = lang
    return tuple(table.items())
