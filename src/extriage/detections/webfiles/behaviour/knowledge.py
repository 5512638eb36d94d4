"""What the behaviour analysis knows: the sources and sinks of ``data/behaviour.yml`` compiled per
language, and the one-automaton RE2 page screen built from every sink spelling."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from extriage.datafiles import load_yaml
from extriage.regex_text import COUNTED, drop_lookarounds, tokens

_DATA = "extriage.detections.webfiles"
LANGUAGES = ("cs", "vb", "js")


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    kind: str  # value / body / control
    title: str
    patterns: Mapping[str, re.Pattern[str]]  # language -> one alternation


@dataclass(frozen=True, slots=True)
class Sink:
    id: str
    category: str
    title: str
    severity: str
    needs: str  # any / direct / leading / all-args / none / whole (data/behaviour.yml)
    kinds: frozenset[str]
    patterns: Mapping[str, re.Pattern[str]]
    context: tuple[Mapping[str, re.Pattern[str]], ...]  # each must occur somewhere in the code
    pages_only: bool = False  # counts only in a page, handler or service ("where: pages")
    unless: tuple[Mapping[str, re.Pattern[str]], ...] = ()  # any of these in the code: the sink does not count
    code_only: bool = False  # a match inside a string literal does not count ("outside_literals: true")
    classic: bool = True  # counts in classic ASP files too ("classic_asp: false": not)
    views_only: bool = False  # counts only in a Razor view, .cshtml/.vbhtml ("where: razor")


@dataclass(frozen=True, slots=True)
class ConfigRule:
    """A ``web.config`` setting that makes IIS run code where it should not (matched on the XML)."""

    id: str
    title: str
    severity: str
    pattern: re.Pattern[str]
    #: when set, the rule counts only in a file this also matches ("context" in data/behaviour.yml)
    context: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class Knowledge:
    sources: tuple[Source, ...]
    sinks: tuple[Sink, ...]
    config: tuple[ConfigRule, ...] = ()
    #: language -> RE2 automaton of every sink pattern (a superset: see _prefilter), or None
    prefilter: Mapping[str, Any] = field(default_factory=dict)
    #: language -> PatternScreen (big code only), or None
    screens: Mapping[str, Any] = field(default_factory=dict)


def _unicode_words(pattern: str) -> str:
    """``pattern`` with ``\\w``/``\\W`` spelled as Unicode letters, digits and ``_`` (RE2's are ASCII,
    Python's are Unicode): the screen must not miss a name the exact pattern accepts (``命令``)."""
    out: list[str] = []
    for tok, in_class in tokens(pattern):
        if tok == "\\w":
            out.append("\\pL\\pN_" if in_class else "[\\pL\\pN_]")
        elif tok == "\\W" and not in_class:
            out.append("[^\\pL\\pN_]")
        elif tok == "\\W" and out and out[-1] == "[^":
            out[-1] = "["  # [^\\W...] = word characters (less the rest of the class: a superset)
            out.append("\\pL\\pN_")
        else:
            out.append(tok)
    return "".join(out)


def _uncounted(pattern: str) -> str:
    """``pattern`` with its counted repetitions (outside character classes) written as ``*`` (from 0) or
    ``+``: a pattern RE2 can run that matches a superset of the original. RE2 builds a counted
    repetition as that many copies of its atom - a Unicode class repeated 200 times is thousands of
    instructions - so the screen of every sink was 4x the program to compile and its DFA many times the
    states to build per page (issue 18, session 13); a fixed count up to 4 stays."""
    out: list[str] = []
    for tok, in_class in tokens(pattern):
        m = COUNTED.fullmatch(tok) if not in_class and tok[0] == "{" else None
        if m is None or (m.group(2) is None and int(m.group(1)) <= 4):
            out.append(tok)
        else:
            out.append("*" if int(m.group(1)) == 0 else "+")
    return "".join(out)


def _re2_superset(pattern: str) -> str:
    """A pattern RE2 runs that matches a superset of ``pattern``'s texts: its lookarounds dropped, its
    counted repetitions uncounted and ``\\w`` spelled as Unicode word characters (both screens use it)."""
    return _unicode_words(_uncounted(drop_lookarounds(pattern)))


def _prefilter(raw_sinks: list[dict[str, Any]], lang: str) -> Any:
    """One RE2 automaton of all sink spellings of a language: a page with no dangerous operation
    (most pages) costs one linear pass, not one backtracking search per sink. Lookarounds (which RE2
    lacks) and counted repetitions (see _uncounted) are dropped and case ignored, so it matches a
    superset; the exact pattern confirms.
    ``None`` when RE2 is unavailable or refuses a pattern (every sink is then searched)."""
    try:
        import re2
    except ImportError:  # pragma: no cover - a dependency, but the analysis works without it
        return None
    parts = []
    for s in raw_sinks:
        if s.get("needs") == "whole":
            continue  # checked on short code only, which skips the screen (see analyse)
        pats = list(s["patterns"].get("all", [])) + list(s["patterns"].get(lang, []))
        if s.get("prefilter") == "context" and s.get("context"):
            ctx = s["context"]
            pats = [ctx if isinstance(ctx, str) else ctx[0]]  # both must occur: the rarer screens
        for p in pats:
            p = p[4:] if p.startswith("(?i)") else p
            parts.append(f"(?:{_re2_superset(p)})")
    if not parts:
        return None
    opts = re2.Options()
    opts.case_sensitive = False
    opts.max_mem = 64 << 20
    try:
        # anchored at the text's start behind a lazy ".*": a match at the start needs no reverse program to
        # find where it begins (an unanchored search builds one on its first match: ~0.08 s per language,
        # paid by every scan - issue 18, session 13); the same texts match (prefilter_hits)
        return re2.compile("(?s:.*?)(?:" + "|".join(parts) + ")", options=opts)
    except Exception:  # pragma: no cover - re2.error: no prefilter, every sink searched
        return None


#: A backreference (``\\1``) in a pattern.
_BACKREFERENCE = re.compile(r"\\[1-9]")
#: Code from this size on is screened per pattern first (see :class:`PatternScreen`).
SCREENED_FROM = 64 * 1024


class PatternScreen:
    """Which of a language's sink, context and unless patterns may occur in a code, in one RE2 pass (an
    RE2 ``Set`` of their supersets: lookarounds and counted repetitions dropped, case ignored): in a big
    code file most of the ~150 Python searches over the whole code find nothing, and each costs 50-140 ms
    per megabyte (issue 14, session 13: 900 KB of code files near the 5 s budget). A pattern RE2 cannot
    take is always searched; a pass RE2 gives up on (its DFA out of memory: no sentinel match) means every
    pattern is searched. Only an index says "cannot occur", so the searches that remain find what they found."""

    def __init__(self, patterns: list[re.Pattern[str]]) -> None:
        import re2

        opts = re2.Options()
        opts.case_sensitive = False
        opts.max_mem = 64 << 20
        self._set = re2.Set.SearchSet(opts)
        self._sentinel = self._set.Add("(?s:.)")  # any text of one character: missing = the pass failed
        self.index: dict[int, int] = {}  # id(pattern) -> its index in the set
        for pat in patterns:
            if id(pat) in self.index or _BACKREFERENCE.search(pat.pattern):
                continue  # (RE2 has no backreferences: always searched, and not logged as an error)
            try:
                self.index[id(pat)] = self._set.Add(_re2_superset(pat.pattern))
            except Exception:  # noqa: S112 - re2.error: RE2 cannot run it; always searched
                continue
        self._set.Compile()

    def possible(self, code: str) -> frozenset[int] | None:
        """The indexes of the patterns that may occur in ``code``, or None (every pattern may)."""
        found = self._set.Match(code)
        if not found or self._sentinel not in found:
            return None
        return frozenset(found)


class _PatternScreens(Mapping[str, Any]):
    """A :class:`PatternScreen` per language, built the first time a big code of it is screened."""

    def __init__(self, sinks: tuple[Sink, ...]) -> None:
        self._sinks = sinks
        self._done: dict[str, PatternScreen | None] = {}

    def __getitem__(self, lang: str) -> PatternScreen | None:
        if lang not in LANGUAGES:
            raise KeyError(lang)
        if lang not in self._done:
            pats: list[re.Pattern[str]] = []
            for sink in self._sinks:
                for table in (sink.patterns, *sink.context, *sink.unless):
                    if lang in table:
                        pats.append(table[lang])
            try:
                self._done[lang] = PatternScreen(pats)
            except ImportError:  # pragma: no cover - a dependency, but the analysis works without it
                self._done[lang] = None
        return self._done[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


#: Code every language's sink prefilter matches (see :func:`knowledge`).
WARM_TEXT = 'x = Process.Start(cmd); eval(Request.Item["a"]); File.WriteAllText(p, t); Shell(c)'


def occurs(pattern: re.Pattern[str], code: str) -> bool:
    """Whether a sink's context (or unless) pattern occurs in ``code``. A pattern with a group named
    ``skip`` occurs only where that group took no part: the ``skip`` branch consumes the spellings that
    must not count - left to right, so a key on the right of a literal comparison (``"x" == k.Key``) is
    read with its literal - which a fixed-width lookbehind cannot say."""
    if "skip" not in pattern.groupindex:
        return pattern.search(code) is not None
    return any(m.group("skip") is None for m in pattern.finditer(code))


def prefilter_hits(automaton: Any, code: str) -> bool:
    """Whether any sink spelling may occur in ``code`` (True when there is no prefilter): the automaton
    starts with a lazy ``.*`` (see _prefilter), so a match anchored at the start is a match anywhere."""
    return automaton is None or automaton.match(code) is not None


def _compile(raw: dict[str, list[str]], lang: str) -> re.Pattern[str] | None:
    pats = list(raw.get("all", [])) + list(raw.get(lang, []))
    if not pats:
        return None
    flags = re.IGNORECASE if lang == "vb" else 0
    # a pattern may start with (?i) for itself alone: scoped, since the patterns are joined
    parts = [f"(?i:{p[4:]})" if p.startswith("(?i)") else f"(?:{p})" for p in pats]
    return re.compile("|".join(parts), flags)


class _PerLanguage(Mapping[str, re.Pattern[str]]):
    """A pattern per language, compiled the first time that language is asked for: most scans meet C#
    only, so VB's and JScript's ~140 patterns each are not compiled for them (the lead's request,
    session 12: knowledge() had grown to 0.48 s)."""

    __slots__ = ("_done", "_raw")

    def __init__(self, raw: dict[str, list[str]]) -> None:
        self._raw = raw
        self._done: dict[str, re.Pattern[str] | None] = {}

    def _get(self, lang: str) -> re.Pattern[str] | None:
        if lang not in self._done:
            self._done[lang] = _compile(self._raw, lang) if lang in LANGUAGES else None
        return self._done[lang]

    def __getitem__(self, lang: str) -> re.Pattern[str]:
        pat = self._get(lang)
        if pat is None:
            raise KeyError(lang)
        return pat

    def __contains__(self, lang: object) -> bool:
        return isinstance(lang, str) and lang in LANGUAGES and bool(self._raw.get("all") or self._raw.get(lang))

    def get(self, lang: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[lang] if lang in self else default

    def __iter__(self) -> Iterator[str]:
        return (lang for lang in LANGUAGES if lang in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _by_language(raw: dict[str, list[str]] | None) -> Mapping[str, re.Pattern[str]]:
    return _PerLanguage(raw or {})


class _Prefilters(Mapping[str, Any]):
    """The page screen per language, built the first time that language is screened (see _PerLanguage)."""

    def __init__(self, raw_sinks: list[dict[str, Any]]) -> None:
        self._raw = raw_sinks
        self._done: dict[str, Any] = {}

    def __getitem__(self, lang: str) -> Any:
        if lang not in LANGUAGES:
            raise KeyError(lang)
        if lang not in self._done:
            self._done[lang] = _prefilter(self._raw, lang)
        return self._done[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


#: ``<<name>>`` in a pattern: a fragment of the file's ``names`` mapping.
_NAME_REF = re.compile(r"<<([\w-]+)>>")


def _substituted(value: Any, names: dict[str, str]) -> Any:
    """``value`` (a pattern, or lists and mappings of them) with each ``<<name>>`` written out."""
    if isinstance(value, str):
        return _NAME_REF.sub(lambda m: names[m.group(1)], value)
    if isinstance(value, list):
        return [_substituted(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _substituted(v, names) for k, v in value.items()}
    return value


@cache
def _raw() -> dict[str, Any]:
    text = resources.files(_DATA).joinpath("data", "behaviour.yml").read_text(encoding="utf-8")
    raw: dict[str, Any] = load_yaml(text)
    names = {k: str(v) for k, v in (raw.get("names") or {}).items()}
    for part in ("sources", "sinks"):
        for entry in raw.get(part) or []:
            for key in ("patterns", "context", "unless"):
                if key in entry:
                    entry[key] = _substituted(entry[key], names)
    for rule in raw.get("config") or []:
        rule["patterns"] = _substituted(rule["patterns"], names)
    return raw


def catalogue() -> dict[str, list[str]]:
    """The ids of the sources, sinks and web.config rules (for the coverage; nothing compiled)."""
    raw = _raw()
    return {
        "sources": [s["id"] for s in raw["sources"]],
        "sinks": [s["id"] for s in raw["sinks"]],
        "config": [c["id"] for c in raw.get("config", [])],
    }


def _listed(value: Any) -> list[str]:
    return [] if not value else [value] if isinstance(value, str) else list(value)


@cache
def knowledge() -> Knowledge:
    """The sources and sinks of ``data/behaviour.yml``, compiled once per process (in the worker
    fork server: see ``warm_behaviour``)."""
    raw = _raw()
    sources = tuple(
        Source(s["id"], s["kind"], s["title"], _by_language(s["patterns"])) for s in raw["sources"]
    )
    sinks = []
    for s in raw["sinks"]:
        ctx = s.get("context") or []
        ctx = [ctx] if isinstance(ctx, str) else ctx
        sinks.append(
            Sink(
                s["id"],
                s["category"],
                s["title"],
                s.get("severity", "high"),
                s.get("needs", "any"),
                frozenset(s.get("sources", ["value", "body"])),
                _by_language(s["patterns"]),
                tuple(_by_language({"all": [c]}) for c in ctx),
                s.get("where") == "pages",
                tuple(_by_language({"all": [u]}) for u in _listed(s.get("unless"))),
                bool(s.get("outside_literals", False)),
                bool(s.get("classic_asp", True)),
                s.get("where") == "razor",
            )
        )
    config = tuple(
        ConfigRule(
            c["id"],
            c["title"],
            c.get("severity", "high"),
            re.compile("|".join(f"(?:{p})" for p in c["patterns"]), re.IGNORECASE),
            re.compile("|".join(f"(?:{p})" for p in _listed(c["context"])), re.IGNORECASE) if c.get("context") else None,
        )
        for c in raw.get("config", [])
    )
    return Knowledge(sources, tuple(sinks), config, _Prefilters(raw["sinks"]), _PatternScreens(tuple(sinks)))


def warm_prefilters(lang: str = "cs") -> None:
    """Build a language's page screen (~0.02 s) and run it once on text it matches (its first DFA states).
    Called in the worker fork server (``warm_behaviour``) so forked workers inherit it instead of each
    building it on its first page (P1, session 9); a main process builds it only if a page needs it. (An
    unanchored search also built a reverse program on its first match, ~0.08 s more: the screen is
    anchored since session 13, see _prefilter.)"""
    # C# by default: a scan's pages are C# but for a few; another language's screen is built in the worker
    # that first meets that language
    prefilter_hits(knowledge().prefilter.get(lang), WARM_TEXT)


def warm(lang: str = "cs") -> None:
    """Everything a language's first page would build, built now: the sources' and sinks' patterns, the
    page screen and its first states, the hidden-sink screen (for a thread beside other work - P2's
    offer, issue 18, session 13; the same objects whoever builds them first)."""
    from extriage.detections.webfiles.behaviour.screen import WARM_HIDING, hiding_screen

    know = knowledge()
    for source in know.sources:
        source.patterns.get(lang)
    for sink in know.sinks:
        sink.patterns.get(lang)
        for extra in sink.context + sink.unless:
            extra.get(lang)
    warm_prefilters(lang)
    screen = hiding_screen()
    if screen is not None:
        screen.match(WARM_HIDING)
