"""Which records of an ``.evtx`` batch need the full path (decode, normalise, match rules).

Why: on a server's log almost every record only adds to the coverage; decoding and normalising it
costs more than the parser. A record may skip all that only when nothing but its System fields can
reach the results (:class:`EventCollector` would do no more with it than count it in its channel):

* no rule fits its event id, provider and channel — or every rule that fits has sets of required
  words (:func:`engine.word_options`) and, for each rule, all words of one of its sets are missing
  from the record's case-folded JSON (not when it holds ``\\u`` escapes);
* it is not a log-cleared event (the collector notes those whatever the rules);
* it holds no remote-address field with a value the IP index would keep (the field names of
  ``collect.IP_FIELDS`` as JSON keys, values other than the local spellings), and its data is not
  positional under a layout that names such a field;
* its System block was read exactly (:mod:`formats.evtx_system`).

Everything else is read the full way, so results are those of reading every record in full.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter, not_
from typing import Any

import hyperscan

from extriage.detections.events.engine import RuleSet
from extriage.formats.event_record import EXCHANGE_MANAGEMENT_PROVIDERS, layouts
from extriage.formats.evtx_raw import RawChunk, in_text
from extriage.formats.evtx_system import SystemColumns

_CLEARED = frozenset({1102, 104})
_IP_KEY, _POSITIONAL = 0, 1


def local_value_pattern(not_remote: frozenset[str]) -> re.Pattern[bytes]:
    """What may follow an IP field's key for the collector to keep no address: null, or exactly one
    of the local spellings in any ASCII case (``ip.strip().lower()`` in ``not_remote`` holds for
    them). Anything else — a remote address, white space, escapes, a number — is read in full."""
    local = b"|".join(re.escape(v.encode()) for v in sorted(not_remote, key=len, reverse=True))
    return re.compile(b'null[,}]|"(?:' + local + b')"[,}]', re.IGNORECASE)


#: ``\u`` escapes, not ``\\u`` (an escaped backslash before a ``u``, as in ``C:\\Users``).
_U_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u")


#: The only character up to U+00FF whose case folding holds ASCII (``ß`` -> ``ss``; tested).
_LATIN1_FOLDS = "\xdf"


def _latin1(text: str) -> bool:
    """Whether every character of ``text`` is at most U+00FF (a copy, not a Python loop)."""
    return len(text.encode("latin-1", "ignore")) == len(text)


def _on_match(kind: int, _start: int, end: int, _flags: int, found: Any) -> None:
    found.append((kind, end))


#: The id of the combination that reports a record where some rule has a word of each of its sets.
_SOME_RULE = 1 << 30


def _word_database(words_b: tuple[bytes, ...], options: tuple[tuple[frozenset[str], ...], ...],
                   words: list[str]) -> Any:
    """One Hyperscan database for a source's word check: each word a quiet, ASCII-caseless literal,
    and one combination — any rule, all its sets, any word of the set — reported at most once. None
    when a word is empty (Hyperscan takes no empty pattern)."""
    if not words_b or not all(words_b):
        return None
    number = {w: k for k, w in enumerate(words)}
    combination = "|".join(
        "(" + "&".join("(" + "|".join(str(number[w]) for w in sorted(opt)) + ")" for opt in opts) + ")" for opts in options
    )
    if not any(op in combination for op in "&|"):  # one word: Hyperscan wants an operator
        combination = f"{combination}|{combination}"
    expressions = [b"".join(b"\\x%02x" % c for c in wb) for wb in words_b] + [combination.encode()]
    quiet = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_QUIET
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=expressions,
        ids=[*range(len(words_b)), _SOME_RULE],
        elements=len(expressions),
        flags=[quiet] * len(words_b) + [hyperscan.HS_FLAG_COMBINATION | hyperscan.HS_FLAG_SINGLEMATCH],
    )
    return db


#: A batch with at least this share of records read in full: screening costs more than it saves
#: (an attack-dense log); the next ``_PAUSE`` batches are read in full without it, then it is tried again.
_MOSTLY_FULL = 0.5
_PAUSE = 15
#: Records of one source checked for required words before the check is judged not worth it.
_TRIAL = 256


@dataclass(slots=True)
class _Plan:
    """What a source (provider, event id, channel) needs: ``full`` every record in full; else, when
    ``words`` is set, the records in which some rule has a word of each of its sets (``options``)
    in full; ``ip_layout``: positional data would name a remote-address field."""

    full: bool
    words: tuple[str, ...] = ()
    ip_layout: bool = False
    words_b: tuple[bytes, ...] = ()
    #: Per rule that fits, its word sets (:func:`engine.word_options`): a rule can hold only when
    #: each of its sets has a word in the record.
    options: tuple[tuple[frozenset[str], ...], ...] = ()
    checked: int = 0
    passed: int = 0
    #: One Hyperscan pass that reports (once) whether some rule has a word of each of its sets
    #: (:func:`_word_database`); None when a word cannot be given to it (then one search per word).
    db: Any = None


class Screen:
    """Screens batches of one file's records against one rule set (see the module docstring)."""

    def __init__(self, rules: RuleSet, ip_fields: tuple[str, ...], not_remote: frozenset[str]) -> None:
        self.rules = rules
        self.ip_fields = frozenset(ip_fields)
        self._local = local_value_pattern(not_remote)
        self._plans: dict[tuple[str, bytes, str], _Plan] = {}
        # one literal pass over a batch's bytes: IP fields as JSON keys, positional data
        literals = [f'"{name}":'.encode() for name in ip_fields] + [b'"EventData":{"Data":']
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(
            expressions=[re.escape(lit.decode()).encode() for lit in literals],
            ids=[_IP_KEY] * len(ip_fields) + [_POSITIONAL],
            elements=len(literals),
            flags=[0] * len(literals),
        )
        self._local_scratch = threading.local()
        self._pause = 0
        self._raw_plans: dict[tuple[str, bytes, str], _Plan] = {}
        self._raw_db: Any = None
        self._raw_words: list[str] = []
        self._raw_always: frozenset[str] = frozenset()
        self._raw_set: frozenset[str] = frozenset()
        self._address_free: dict[frozenset[str], bool] = {}  # see _no_address_keys
        self._ip_lower = tuple(sorted(f.lower() for f in ip_fields))

    def worth_it(self) -> bool:
        """Whether to screen the next batch (False for a while after a batch mostly read in full)."""
        if self._pause:
            self._pause -= 1
            return False
        return True

    def judge(self, records: int, full: int) -> None:
        """Note how many records of a screened batch had to be read in full."""
        if full >= records * _MOSTLY_FULL:
            self._pause = _PAUSE

    def _plan(self, key: tuple[str, bytes, str], words_db: bool = True) -> _Plan:
        provider, eid_text, channel = key
        event_id = int(eid_text)
        prov = provider.lower()
        if prov in EXCHANGE_MANAGEMENT_PROVIDERS or channel.lower() == "msexchange management":
            names = layouts().exchange_management
        else:
            names = layouts().by_provider.get((prov, event_id), [])
        ip_layout = not self.ip_fields.isdisjoint(names)
        if event_id in _CLEARED and prov == "microsoft-windows-eventlog":
            return _Plan(True)
        rules = self.rules.pool_for(event_id, provider, channel).rules
        if not rules:
            return _Plan(False, (), ip_layout)
        options = []
        for rule in rules:
            # (the raw-chunk screen looks in values' bytes: its words may hold slashes, engine.raw_word_options)
            opts = rule.word_options if words_db else rule.raw_options
            if rule.cond is None or not opts:
                return _Plan(True)
            options.append(opts)
        words = sorted({w for opts in options for opt in opts for w in opt})
        plan = _Plan(False, tuple(words), ip_layout, tuple(w.encode() for w in words), tuple(options))
        if words_db:  # (the raw-chunk screen looks for words its own way: no database to compile)
            plan.db = _word_database(plan.words_b, plan.options, words)
        return plan

    def full_indices(self, cols: SystemColumns) -> list[int]:
        """The indexes of the batch's records that must be read in full, in order."""
        ok = cols.ok
        full = set(compress(range(len(ok)), map(not_, ok))) if not all(ok) else set()
        plans = self._plans
        keys = list(zip(cols.providers, cols.event_ids, cols.channels, strict=True))
        look: set[tuple[str, bytes, str]] = set()
        ip_layout = False
        for key in set(keys):
            plan = plans.get(key)
            if plan is None:
                plan = plans[key] = self._plan(key)
            if plan.full or plan.words:
                look.add(key)
            ip_layout = ip_layout or plan.ip_layout
        if look:
            for i in compress(range(len(keys)), map(look.__contains__, keys)):
                if ok[i] and self._needs(plans[keys[i]], cols, i, self._local_scratch):
                    full.add(i)
        data = cols.data
        scratch = getattr(self._local_scratch, "scratch", None)
        if scratch is None:
            scratch = self._local_scratch.scratch = hyperscan.Scratch(self._db)
        found: list[tuple[int, int]] = []
        self._db.scan(data, match_event_handler=_on_match, context=found, scratch=scratch)
        for kind, end in found:
            i = cols.index_at(end - 1)
            if kind == _IP_KEY:
                if self._local.match(data, end) is None:
                    full.add(i)
            elif ip_layout and plans[keys[i]].ip_layout:
                full.add(i)
        return sorted(full)

    def raw_skip(self, raw: RawChunk) -> bool:
        """Whether a chunk read from its bytes (:mod:`formats.evtx_raw`) can skip the parser: no
        record in it can reach a rule, the IP index or the cleared-log notes, so counting its
        records in their channels is all :meth:`EventCollector.feed` would do with them.

        Per (provider, event id, channel) as :meth:`full_indices` plans it (before any of its
        adaptive changes): no plan reads every record in full; positional data only where no
        remote-address field can be named; and one Hyperscan pass over the chunk's bytes (records,
        templates and names, where every string a record's JSON can hold is written) finds no
        remote-address field name and, for each rule that fits a record, not a word of each of its
        sets (:meth:`_raw_scan`, :func:`raw_checkable`)."""
        keys = set(map(_KEY, raw.rows))
        words = False
        plans = []
        for key in keys:
            plan = self._raw_plans.get(key)
            if plan is None:
                plan = self._raw_plans[key] = self._plan(key, words_db=False)
            if plan.full or (plan.ip_layout and key in raw.positional):
                return False
            if plan.options:
                words = True
                plans.append(plan)
        needed = frozenset(w for plan in plans for w in plan.words)
        if not needed and not raw.keyed and self._no_address_keys(raw.texts):
            return True  # no word to look for, and no record's JSON can have a remote-address key
        hits = self._raw_hits(raw.data, needed)
        if hits is None:
            return False
        if words:
            found, folds = hits
            present = found | (self._raw_always & needed)
            if _some_fits(plans, present):
                return False
            # a character folding to ASCII where text can be: every word counts as found (the look
            # for where it is only when that can change the answer)
            if folds and in_text(raw.data, folds) and _some_fits(plans, present | needed):
                return False
        return True

    def _no_address_keys(self, texts: list[frozenset[str]]) -> bool:
        """Whether no template's names and literal text (:attr:`RawChunk.texts`) hold a
        remote-address field name in any case: then, no ``Data`` element's ``Name`` being a
        substitution (:attr:`RawChunk.keyed`), no key of their records' JSON is one (the parser's
        keys are element and attribute names and a ``Data`` element's ``Name`` value; positional
        data is named by its layout, which :meth:`raw_skip` checks), so the pass of
        :meth:`_raw_hits` could find no name where it matters. Per template, remembered."""
        known = self._address_free
        for names in texts:
            free = known.get(names)
            if free is None:
                if len(known) >= 4096:
                    known.clear()
                low = [n.lower() for n in names]
                free = known[names] = not any(f in n for f in self._ip_lower for n in low)
            if not free:
                return False
        return True

    def _raw_scan(self, data: bytes | memoryview, needed: frozenset[str] = frozenset()) -> set[str] | None:
        """The rule words (of those ``needed``, at least) found in a chunk's bytes, a character
        folding to ASCII where text can be counting as every word (see :meth:`_raw_hits`)."""
        hits = self._raw_hits(data, needed)
        if hits is None:
            return None
        found, folds = hits
        if folds and in_text(data, folds):
            found |= needed
        return found

    def _raw_hits(self, data: bytes | memoryview, needed: frozenset[str] = frozenset()) -> tuple[set[str], list[int]] | None:
        """The rule words (of those ``needed``, at least) found in a chunk's bytes; None when a
        remote-address field name is there. Words are looked for as UTF-16LE in any ASCII case; when
        the bytes hold a character whose case folding gives ASCII letters (``ß``, ``ſ``, ``K``,
        ligatures ...) where text can be (:func:`evtx_raw.in_text`: not in ids, GUIDs, SIDs or times,
        where such two-byte units turn up by chance) every word counts as found (a database of every
        spelling compiled in ~0.1 s a process, more than it saved; BENCHMARKS.md, E4): the words
        found and where those characters end (for the caller to look where they are)."""
        if not needed:
            # no word to look for (a chunk of events no rule fits: most of a server's log), so no
            # folding character either: the remote-address field names alone, a pass half as dear
            db = _raw_database(frozenset(), tuple(sorted(self.ip_fields)), folds=False)[0]
            scratch = getattr(self._local_scratch, "raw_ip", None)
            if scratch is None:
                scratch = self._local_scratch.raw_ip = hyperscan.Scratch(db)
            found: list[tuple[int, int]] = []
            db.scan(data, match_event_handler=_on_match, context=found, scratch=scratch)
            return None if found else (set(), [])
        if self._raw_db is None or not needed <= self._raw_set:
            self._raw_set = self._raw_set | needed
            self._raw_db, self._raw_words, self._raw_always = _raw_database(self._raw_set, tuple(sorted(self.ip_fields)))
            self._local_scratch.raw = None
        scratch = getattr(self._local_scratch, "raw", None)
        if scratch is None:
            scratch = self._local_scratch.raw = hyperscan.Scratch(self._raw_db)
        hits: list[tuple[int, int]] = []
        self._raw_db.scan(data, match_event_handler=_on_match, context=hits, scratch=scratch)
        words = self._raw_words
        out = set()
        folds: list[int] = []
        for kind, end in hits:
            if kind == _IP_NAME:
                return None
            if kind == _FOLD:
                folds.append(end)
            else:
                out.add(words[kind])
        return out, folds

    @staticmethod
    def _needs(plan: _Plan, cols: SystemColumns, i: int, local: threading.local) -> bool:
        text = cols.texts[i]
        if plan.full or ("\\u" in text and _U_ESCAPE.search(text)):
            return True
        # The words a rule's normalised (case-folded) values can hold are in the record's case-folded
        # text — only from the System block's Channel key on: event data, user data and the message
        # follow it, and a rule's words never come from channel/provider/computer tests (before it
        # lie the provider, ids, times and keywords, where "system" always is). In a record whose
        # System block was read, the first '"Channel":"' is that key (and the first '"channel":"' of
        # the text lowered). When no character of the text folds to ASCII, its UTF-8 lowered as ASCII
        # holds the same words (and is cheap): the words' Hyperscan pass ignores ASCII case.
        present: set[str]
        if text.isascii() or (_latin1(text) and _LATIN1_FOLDS not in text):
            raw = cols.raw(i)
            if plan.db is not None:
                raw = raw[raw.find(b'"Channel":"') :]
                scratches = getattr(local, "words", None)
                if scratches is None:
                    scratches = local.words = {}
                scratch = scratches.get(id(plan))
                if scratch is None:
                    scratch = scratches[id(plan)] = hyperscan.Scratch(plan.db)
                hits: list[tuple[int, int]] = []
                plan.db.scan(raw, match_event_handler=_on_match, context=hits, scratch=scratch)
                return _judged(plan, bool(hits))
            raw = raw.lower()
            raw = raw[max(0, raw.find(b'"channel":"')) :]
            present = {w for w, wb in zip(plan.words, plan.words_b, strict=True) if wb in raw}
        else:
            low = text.casefold()
            low = low[max(0, low.find('"channel":"')) :]
            present = {w for w in plan.words if w in low}
        # a rule can hold only if every one of its word sets has a word here
        return _judged(plan, any(all(not opt.isdisjoint(present) for opt in opts) for opts in plan.options))


def _judged(plan: _Plan, found: bool) -> bool:
    """Note a record's word check in its source's plan (``found``: some rule may hold)."""
    plan.checked += 1
    if found:
        plan.passed += 1
        # most records of this source hold a word: the check only adds to their cost; read
        # them in full without it from now on
        if plan.checked >= _TRIAL and plan.passed * 10 >= plan.checked * 9:
            plan.full = True
    return found


_KEY = itemgetter(0, 1, 4)  # (provider, event id, channel) of a RawChunk row
_IP_NAME = 1 << 29  # the id of the remote-address field names in the raw database

#: Characters whose case folding (``str.casefold``) holds an ASCII letter (the test checks the
#: list against every code point): a word may be spelled with them in a record.
FOLDS_TO_ASCII = "\xdf\u0130\u0149\u017f\u01f0\u1e96\u1e97\u1e98\u1e99\u1e9a\u1e9e\u212a\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06"
#: Characters the parser can write in a value it renders (numbers, hex numbers, GUIDs, SIDs, times,
#: binary data as hex): a word made only of them may come from such a value, not from the bytes.
_RENDERED = frozenset("0123456789abcdefstxz-.")
#: Text a record's field values can hold that is not in its bytes: bool names, the ``#attributes``
#: key of an element shown as text, and :func:`event_record.as_text`'s stand-ins.
_GENERATED = ("true", "false", "#attributes", "#text", "(nested too deeply to show)", "(a number too long to show)")
_SUFFIX = re.compile(r"_[0-9]*\Z")  # a repeated key's _1, _2 ... suffix


def _some_fits(plans: list[_Plan], present: set[str] | frozenset[str]) -> bool:
    """Whether a rule of one of ``plans`` has a word of each of its sets among ``present``."""
    return any(any(all(not opt.isdisjoint(present) for opt in opts) for opts in plan.options) for plan in plans)


def raw_checkable(word: str) -> bool:
    """Whether ``word`` (lower-case ASCII from ``[a-z0-9._/-]``, :func:`engine.raw_word_options`)
    can only be in a case-folded value the rule engine sees if it is written in the chunk's bytes
    (UTF-16, in any case, or spelled with :data:`FOLDS_TO_ASCII`) — not when a value the parser
    renders (:data:`_RENDERED`), text that is not in the bytes (:data:`_GENERATED`) or a repeated
    key's suffix can hold it. (The parser ends a string at its first NUL, so a word it writes is
    whole in the bytes; it renders no value and adds no text with ``/``.)"""
    if not word or set(word) <= _RENDERED or any(word in g for g in _GENERATED) or _SUFFIX.search(word):
        return False
    return word.isascii() and word == word.lower() and all(ch.isalnum() or ch in "._/-" for ch in word)


_RAW_DATABASES: dict[tuple[frozenset[str], tuple[str, ...], bool], tuple[Any, list[str], frozenset[str]]] = {}
_FOLD = 1 << 28  # the id of the characters folding to ASCII letters in the raw database


def _raw_database(wanted: frozenset[str], ip_fields: tuple[str, ...], folds: bool = True) -> tuple[Any, list[str], frozenset[str]]:
    """One Hyperscan database for :meth:`Screen.raw_skip` (one per process and word set): each
    word (id = its index in the list returned) as UTF-16LE in any ASCII case, every
    remote-address field name as UTF-16LE (id :data:`_IP_NAME`) and every character of
    :data:`FOLDS_TO_ASCII` (id :data:`_FOLD`), each reported once; with the words that cannot be
    looked for in bytes. (Strings are UTF-16 in every chunk read from its bytes: ANSI strings are
    left to the parser.) ``folds=False``: without those characters (for a chunk where no word is
    looked for)."""
    found = _RAW_DATABASES.get((wanted, ip_fields, folds))
    if found is None:
        if len(_RAW_DATABASES) >= 64:
            _RAW_DATABASES.clear()
        words = sorted(wanted)
        expressions: list[bytes] = []
        ids: list[int] = []
        flags: list[int] = []
        always = set()
        once = hyperscan.HS_FLAG_SINGLEMATCH
        for k, word in enumerate(words):
            if not raw_checkable(word):
                always.add(word)
                continue
            expressions.append(_hex(word.encode("utf-16-le")))
            ids.append(k)
            flags.append(once | hyperscan.HS_FLAG_CASELESS)
        for name in ip_fields:
            expressions.append(_hex(name.encode("utf-16-le")))
            ids.append(_IP_NAME)
            flags.append(once)
        for ch in FOLDS_TO_ASCII if folds else "":  # (every place reported: one in a value written as a number is no text)
            expressions.append(_hex(ch.encode("utf-16-le")))
            ids.append(_FOLD)
            flags.append(0)
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(expressions=expressions, ids=ids, elements=len(expressions), flags=flags)
        found = _RAW_DATABASES[(wanted, ip_fields, folds)] = (db, words, frozenset(always))
    return found


def _hex(data: bytes) -> bytes:
    return "".join(f"\\x{b:02x}" for b in data).encode()
