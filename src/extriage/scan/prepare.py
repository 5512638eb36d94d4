"""Caches of later stages filled in the main process while the first stage's workers run.

During the logs stage of a parallel scan the main process mostly waits: first for the fork server
(its imports and compiled prefilters, ≈ 0.3 s), then for the workers' results. The web file stage
that follows spent about half of its time in the main process building tables that depend on no
evidence (the shipped known-good baseline, the compiled behaviour patterns, the location rules):
0.15 of its 0.3 s on a generated server, on one core while the other idled (BENCHMARKS.md, issue 18
logs part, session 6). :class:`Prepare` builds them in a thread beside that wait instead.

Only process-wide caches that give the same object whoever fills them first are warmed, so results
cannot change; the pipeline joins the thread before the first stage it warms for starts (the logs
and events stages, which touch none of these tables, may run beside it). A warmer that fails is
ignored: the stage meets the same error itself and reports it.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from extriage.evidence.source import open_artifact
from extriage.scan.context import ScanOptions

if TYPE_CHECKING:
    from extriage.evidence.locate import Inventory

#: Names of the files whose server code is C# unless they say otherwise: ASP.NET pages, handlers,
#: services, Razor views and source files. Evidence holding one gets C#'s behaviour tables built by
#: the prepare thread; ``web.config`` (on every server, code in it is rare) and classic ASP
#: (VBScript) do not count.
CSHARP_PAGES = (".aspx", ".ascx", ".ashx", ".asmx", ".asax", ".master", ".soap", ".svc", ".cshtml", ".cs")


def has_csharp_pages(inventory: Inventory | None) -> bool:
    """Whether the evidence holds a file :data:`CSHARP_PAGES` names (any folder: the web file stage
    also reads pages the logs name wherever they are)."""
    return inventory is not None and any(f.key.endswith(CSHARP_PAGES) for f in inventory.files)


def _webfiles(options: ScanOptions, evidence: str | None, inventory: Inventory | None) -> None:
    from extriage.detections.webfiles import baseline, behaviour, content, rules
    from extriage.scan.stages.webfiles import legit_pages

    legit_pages(baseline.load_baseline([]))  # the shipped part, parsed once per process; its pages listed
    behaviour.knowledge()
    behaviour.warm_patterns()  # the engine's own tables, compiled on first use, not at import (P6, session 17)
    content.path_matcher(str(options.extra.get("webfiles_path_engine", "re2")))
    rules.build_ruleset(list(options.rules_dirs), evidence)  # kept by rule texts: the stage's own call finds it
    if inventory is not None and any(f.key.endswith((".dll", ".exe")) for f in inventory.files):
        # the IL analysis's readers (dnfile, dncil: ~0.07 CPU-s), imported by the stage only when it meets one
        from extriage.detections.webfiles.assembly import finding  # noqa: F401


def _webfiles_csharp(options: ScanOptions, evidence: str | None, inventory: Inventory | None) -> None:
    """C#'s patterns, page screen and hidden-sink screen: 0.06-0.09 s the stage's first analysed page
    would otherwise spend in the main process while the other core idles (issue 18, session 16); not
    on evidence without pages, where nothing would use them."""
    if has_csharp_pages(inventory):
        from extriage.detections.webfiles.behaviour.knowledge import warm

        warm("cs")


#: Pages whose server code a directive or script block names (``Language="JScript"``), classic ASP
#: (VBScript unless it names JScript) and VB source files: where a VB or JScript page would be.
LANGUAGE_PAGES = (".aspx", ".ascx", ".ashx", ".asmx", ".asax", ".master", ".asp", ".asa", ".cer", ".cdx",
                  ".vbhtml", ".vb")
_CLASSIC_ASP = (".asp", ".asa", ".cer", ".cdx")
#: A language attribute's value in a page's first bytes (named as the behaviour engine names them:
#: ``extract.LANGUAGE_NAMES``).
_LANGUAGE = re.compile(rb"""\blanguage\s*=\s*["']?\s*([a-z#+]{1,20})""", re.I)
#: Bounds of the look at pages' first bytes: a guess for a warm, never more than a few milliseconds.
SNIFF_BYTES = 4096
SNIFF_FILES = 256
SNIFF_SECONDS = 0.05


def other_languages(inventory: Inventory | None) -> list[str]:
    """The behaviour languages besides C# that the evidence's pages seem to be written in (``js``,
    ``vb``), from the first :data:`SNIFF_BYTES` of pages whose file name no Exchange build ships (a
    planted China Chopper page is JScript; classic ASP is VBScript). Only for plain folders (a page
    inside a disk image or zip is read by the stage alone); bounded by :data:`SNIFF_FILES` pages and
    :data:`SNIFF_SECONDS`. A guess: a wrong one costs a warm, never a result."""
    if inventory is None:
        return []
    pages = [f for f in inventory.files if f.key.endswith(LANGUAGE_PAGES) and f.ref.spec.kind == "dir"]
    if not pages:
        return []
    from extriage.detections.webfiles import baseline
    from extriage.detections.webfiles.behaviour.extract import LANGUAGE_NAMES
    from extriage.scan.stages.webfiles import legit_pages

    shipped = {page.rsplit("/", 1)[-1] for page in legit_pages(baseline.load_baseline([]))}
    found: set[str] = set()
    deadline = time.monotonic() + SNIFF_SECONDS
    for f in pages[:SNIFF_FILES]:
        name = f.key.rsplit("/", 1)[-1]
        if name in shipped:
            continue
        if name.endswith((".vb", ".vbhtml")):
            found.add("vb")
            continue
        try:
            with open_artifact(f.ref) as fh:
                head = fh.read(SNIFF_BYTES)
        except OSError:
            continue
        named = {LANGUAGE_NAMES.get(m.group(1).decode("ascii").lower(), "cs") for m in _LANGUAGE.finditer(head)}
        if name.endswith(_CLASSIC_ASP) and "js" not in named:
            named.add("vb")
        found |= named
        if found >= {"js", "vb"} or time.monotonic() > deadline:
            break
    return sorted(found - {"cs"})  # JScript first: the cheaper tables, and the commoner shell


def _webfiles_other_languages(options: ScanOptions, evidence: str | None, inventory: Inventory | None) -> None:
    """VB's and JScript's tables when the evidence's pages seem to use them (:func:`other_languages`):
    0.03 (JScript) and 0.08 s (VB) the web file stage would otherwise spend on its first such page in the
    main process while the other core idles (issue 18, session 18: a generated server's planted JScript
    and classic ASP shells)."""
    langs = other_languages(inventory)
    if langs:
        from extriage.detections.webfiles.behaviour.knowledge import warm

        for lang in langs:
            warm(lang)


Warmer = Callable[[ScanOptions, str | None, "Inventory | None"], None]
#: Stage name -> what its main-process part can build before it runs (options, the scanned path, the
#: evidence's inventory when known; no context).
WARMERS: dict[str, Warmer] = {"webfiles": _webfiles}
#: Stage name -> what is built only while the stages before it still run, once every warmer is done,
#: in order: work the stage would do as fast itself, worth doing early only where a core would otherwise
#: wait for the workers (on a small tree the logs stage can end first; the stage then builds what is not
#: begun itself, not after the thread).
OPTIONAL: dict[str, tuple[Warmer, ...]] = {"webfiles": (_webfiles_csharp, _webfiles_other_languages)}


class Prepare:
    """A thread running the warmers of ``stages`` (names); :meth:`join` waits for it. The caller
    joins it before any stage it :meth:`warms` starts, so a stage never reads a table half built."""

    def __init__(
        self,
        stages: Iterable[str],
        options: ScanOptions,
        evidence: str | None = None,
        inventory: Inventory | None = None,
    ) -> None:
        self._names = [name for name in dict.fromkeys(stages) if name in WARMERS or name in OPTIONAL]
        self._todo = [WARMERS[name] for name in self._names if name in WARMERS]
        self._optional = [w for name in self._names for w in OPTIONAL.get(name, ())]
        self._joining = threading.Event()  # set by join: no optional work starts after it
        self._options = options
        self._evidence = evidence  # the scanned path: no cache is read or written inside it
        self._inventory = inventory  # read only (the stages run beside the thread but do not change it)
        self._thread: threading.Thread | None = None

    def start(self) -> Prepare:
        """Start the thread. Also on a busy machine: its work is the stages' own, done earlier. (A
        test of the load average, as the web file stage makes, turned it off in back-to-back scans:
        the 1-minute average still held the previous scan's load.)"""
        if self._todo or self._optional:
            self._thread = threading.Thread(target=self._run, name="extriage-prepare", daemon=True)
            self._thread.start()
        return self

    def warms(self, stage: str) -> bool:
        return stage in self._names

    def _run(self) -> None:
        for warm in self._todo:
            with contextlib.suppress(Exception):
                warm(self._options, self._evidence, self._inventory)
        for warm in self._optional:
            if self._joining.is_set():
                return  # a stage is waiting for this thread: it builds the rest itself
            with contextlib.suppress(Exception):
                warm(self._options, self._evidence, self._inventory)

    def join(self) -> None:
        """Wait for the warmers; optional ones not yet started are skipped (:data:`OPTIONAL`)."""
        self._joining.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
