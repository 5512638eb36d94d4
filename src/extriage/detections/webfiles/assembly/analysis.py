"""Request input reaching dangerous operations in a compiled assembly's IL: a small stack walk per method.

Why a walk and not a list of the members an assembly references: every ASP.NET assembly references
``HttpRequest``, and many reference ``Process`` or ``File`` for fixed work (a log, a fixed command). What
makes a web shell is the request value *reaching* the operation. The walk follows values through the
evaluation stack, locals, arguments, array elements, fields (per field, across the methods of the
assembly: a page's ``Page_Load`` may keep a value that a click handler runs), the objects a call is made
on (``psi.Arguments = x`` marks ``psi``), ``out`` arguments, and calls into the assembly's own methods
(a summary per method: which parameters reach which operation, which reach its result). It is
flow-insensitive within a method (a local holds everything ever stored in it), a few passes to a fixed
point. Where the walk lost track (a token it cannot resolve, ``calli``) a method holding both a request
source and an operation is reported at low confidence ("both appear"), never as a traced flow.

The vocabulary is data (``vocabulary.yml``). A hit names the assembly, the type and method, the source and
sink members and their IL offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from dncil.cil.enums import StackBehaviour
from dncil.cil.instruction import Instruction

from extriage.datafiles import load_yaml
from extriage.detections.webfiles.assembly import reader
from extriage.detections.webfiles.assembly.reader import Assembly, Member, Method

#: Passes over the relevant methods at most (summaries and fields reach a fixed point in 2-3 on real code).
MAX_ROUNDS = 4
#: Hits kept per assembly (a generated assembly can repeat one flow hundreds of times).
MAX_HITS = 50
#: Methods walked per assembly at most (the rest named in the problems).
MAX_METHODS = 20_000
#: The walk's work bound: steps (an instruction walked, a callee's summary entry applied) per assembly and per
#: visit of one method. Beside the per-file time limit, so that an assembly too large to walk ends at the same
#: place on every machine and under any load (mono's System.Design.dll walked 10 CPU-minutes and 1.2 GB
#: unbounded: its summaries grew one entry per call path). ~0.3-1 M steps a CPU-second.
MAX_STEPS = 2_000_000
MAX_METHOD_STEPS = 200_000
#: Literal strings a value keeps at most, and their length kept (enough for a path, a SQL verb, a method name).
MAX_TEXTS = 8
MAX_TEXT = 200
#: The marker texts the walk and the vocabulary's markers put among a value's literals ("new:TYPE", "cast:TYPE",
#: "root:", "state:", "xslt:script", "key:NAME"): never a path's own folder
_MARK = re.compile(r"^[a-z]+:(?![\\/])")
ROOT = "root:"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    needs: str
    args: tuple[int, ...] | None  # None: every argument (and the object, for "any")
    doc: str
    #: (operand, pattern, absent) conditions: the sink counts only when, for each, a literal that went into that
    #: operand (-1: the object the method is called on) matches the pattern (a fixed page path, xp_cmdshell, a
    #: method named by reflection, a socket read back from session state) - or, ``absent``, none does
    literal: tuple[tuple[int, re.Pattern[str], bool], ...] | None = None
    strings: bool = False  # the arguments looked at must be declared string (a path, not a stream or handle)
    #: (operand, integers): the sink counts only when that argument is one of these integer constants (a FileStream's
    #: FileMode that creates or writes)
    number: tuple[int, frozenset[int]] | None = None


@dataclass(frozen=True, slots=True)
class Marker:
    """A call whose result (or, for a void setter, the object it is called on) is marked with a text the sinks'
    literal conditions read: script enabled in XSLT settings, the application's root folder, a value read back
    from session or application state."""

    text: str
    arg: int | None = None  # with ``equals``: only when this argument is that integer constant (``true`` is 1)
    equals: int | None = None
    mapped: int | None = None  # only when this argument's literals are all root spellings (MapPath("~/"))


@dataclass(frozen=True, slots=True)
class LateCall:
    """A late-bound call form: where the member name, the object and the method's arguments are among the
    call's operands (the object it is called on counted as -1)."""

    name: int
    obj: int
    args: int  # the method's arguments: the operands from this one on, or (``array``) this one array
    array: bool


@dataclass(frozen=True, slots=True)
class LateSink:
    """An operation reached through a COM object made from a ProgID or class id, called late-bound."""

    rule: Rule
    progid: re.Pattern[str]
    methods: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    sources: dict[str, tuple[str, str]]  # member -> (source id, title)
    source_types: dict[str, tuple[str, str]]  # type whose every member is a source
    sinks: dict[str, tuple[Rule, ...]]
    sink_types: dict[str, tuple[Rule, ...]]
    splicers: frozenset[str]
    fillers: frozenset[str]
    bare_names: frozenset[str]
    bases: frozenset[str]
    page_models: frozenset[str]
    page_handlers: re.Pattern[str]
    attributes: frozenset[str]
    endpoints: frozenset[str]
    parameter_title: str
    pinvoke: tuple[tuple[re.Pattern[str], Rule], ...]
    markers: dict[str, tuple[Marker, ...]] = field(default_factory=dict)
    kept_types: frozenset[str] = frozenset()  # types a castclass/isinst marks ("cast:TYPE")
    rooted: re.Pattern[str] = re.compile(r"^$")  # a literal that spells the root folder (MapPath's argument)
    late_calls: dict[str, LateCall] = field(default_factory=dict)
    late_sinks: tuple[LateSink, ...] = ()
    hashers: frozenset[str] = frozenset()  # calls whose result is a digest of their input (no content of it)
    signed_attributes: frozenset[str] = frozenset()  # [Authorize]: only signed-in users reach the action
    anonymous_attributes: frozenset[str] = frozenset()  # [AllowAnonymous]
    signed_features: frozenset[str] = frozenset()  # the sinks an application offers its signed-in users

    def source(self, m: Member) -> tuple[str, str] | None:
        return self.sources.get(m.full) or self.source_types.get(m.type)

    def sink(self, m: Member) -> tuple[Rule, ...]:
        return self.sinks.get(m.full) or self.sink_types.get(m.type) or ()

    def native(self, function: str) -> Rule | None:
        for pattern, rule in self.pinvoke:
            if pattern.fullmatch(function):
                return rule
        return None


@cache
def vocabulary() -> Vocabulary:
    """The shipped vocabulary, parsed once per process."""
    text = resources.files("extriage.detections.webfiles.assembly").joinpath("vocabulary.yml").read_text("utf-8")
    return parse_vocabulary(load_yaml(text))


def parse_vocabulary(raw: dict[str, Any]) -> Vocabulary:
    sources: dict[str, tuple[str, str]] = {}
    source_types: dict[str, tuple[str, str]] = {}
    for s in raw["sources"]:
        for member in s["members"]:
            target = source_types if member.endswith("::*") else sources
            target[member.removesuffix("::*")] = (str(s["id"]), str(s["title"]))
    sinks: dict[str, tuple[Rule, ...]] = {}
    sink_types: dict[str, tuple[Rule, ...]] = {}
    for s in raw["sinks"]:
        rule = _rule(s)
        for member in s["members"]:
            into = sink_types if member.endswith("::*") else sinks
            key = member.removesuffix("::*")
            into[key] = (*into.get(key, ()), rule)
    params = raw["parameters"]
    pinvoke = tuple((re.compile(str(p["functions"]), re.IGNORECASE), _rule(p)) for p in raw["pinvoke"])
    markers: dict[str, tuple[Marker, ...]] = {}
    for group in raw.get("markers", {}).get("groups", []):
        for m in group["members"]:
            one = m if isinstance(m, dict) else {"member": m}
            marker = Marker(str(group["text"]), one.get("arg"), one.get("equals"), one.get("mapped"))
            markers[str(one["member"])] = (*markers.get(str(one["member"]), ()), marker)
    late = raw.get("late-bound", {})
    late_calls: dict[str, LateCall] = {}
    for form in late.get("calls", []):
        where = LateCall(_operand(form["name"]), _operand(form["object"]), int(form["args"]), bool(form.get("array", False)))
        for member in form["members"]:
            late_calls[str(member)] = where
    late_sinks = tuple(
        LateSink(_rule(o), re.compile(str(o["progid"]), re.IGNORECASE), re.compile(str(o["methods"]), re.IGNORECASE))
        for o in late.get("objects", [])
    )
    return Vocabulary(
        sources,
        source_types,
        sinks,
        sink_types,
        frozenset(raw["splicers"]["members"]),
        frozenset(raw["fillers"]["members"]),
        frozenset(raw["bare-names"]["members"]),
        frozenset(params["bases"]),
        frozenset(params["page-models"]),
        re.compile(str(params["page-handlers"])),
        frozenset(params["attributes"]),
        frozenset(params["endpoints"]),
        str(params["title"]),
        pinvoke,
        markers,
        frozenset(raw.get("markers", {}).get("kept-types", [])),
        re.compile(str(raw.get("markers", {}).get("rooted", "^$"))),
        late_calls,
        late_sinks,
        frozenset(raw.get("hashers", {}).get("members", [])),
        frozenset(raw.get("signed-in", {}).get("attributes", [])),
        frozenset(raw.get("signed-in", {}).get("anonymous", [])),
        frozenset(raw.get("signed-in", {}).get("features", [])),
    )


def _operand(where: Any) -> int:
    return -1 if where == "receiver" else int(where)


def _rule(s: dict[str, Any]) -> Rule:
    needs = str(s.get("needs", "any"))
    if needs not in ("any", "receiver", "receiver-leading", "leading", "direct", "rooted", "none"):
        raise ValueError(f"assembly vocabulary: {s.get('id')}: unknown needs {needs!r}")
    args = s.get("args")
    if args is None and needs in ("leading", "direct"):
        args = [0]
    literal = s.get("literal")
    lit = None
    if literal is not None:
        conditions = literal if isinstance(literal, list) else [literal]
        lit = tuple((_operand(c["operand"]), re.compile(str(c["pattern"]), re.IGNORECASE), bool(c.get("absent", False)))
                    for c in conditions)
    number = s.get("number")
    return Rule(
        str(s["id"]), str(s["title"]), needs, tuple(int(a) for a in args) if args is not None else None,
        str(s.get("doc", "")), lit, bool(s.get("strings", False)),
        (int(number["operand"]), frozenset(int(n) for n in number["in"])) if number is not None else None,
    )


@dataclass(frozen=True, slots=True)
class Entry:
    """Where request input entered: a source call, or a parameter the request fills."""

    source: str  # vocabulary id
    title: str
    member: str  # the source member, or "parameter NAME"
    method: str  # Type::Method where it entered
    offset: int  # IL offset of the source call (0 for a parameter)


#: What a value carries: where request input entered it (an Entry), or a parameter of the method walked (its IL
#: argument index, for the method's summary).
Label = Entry | int


@dataclass(frozen=True, slots=True)
class Taint:
    labels: frozenset[Label] = frozenset()
    lead: frozenset[Label] = frozenset()  # of them, those the value starts with (nothing fixed before them)
    whole: frozenset[Label] = frozenset()  # of them, those the value is, taken whole
    texts: frozenset[str] = frozenset()  # literal strings that went into the value (a few, capped)

    def __bool__(self) -> bool:
        return bool(self.labels)

    def __or__(self, other: Taint) -> Taint:
        if not (other.labels or other.texts):
            return self
        if not (self.labels or self.texts):
            return other
        texts = self.texts | other.texts
        if len(texts) > MAX_TEXTS:  # (the walk's markers kept first: what an object is, where a value came from)
            texts = frozenset(sorted(texts, key=lambda t: (not _MARK.match(t), t))[:MAX_TEXTS])
        return Taint(self.labels | other.labels, self.lead | other.lead, self.whole | other.whole, texts)

    @property
    def srcs(self) -> frozenset[Entry]:
        return frozenset(x for x in self.labels if isinstance(x, Entry))

    @property
    def params(self) -> frozenset[int]:
        return frozenset(x for x in self.labels if isinstance(x, int))

    @staticmethod
    def of(label: Label) -> Taint:
        one = frozenset({label})
        return Taint(one, one, one)


CLEAN = Taint()


class Value:
    """A stack slot: its taint, the variable it was loaded from (a store through it marks that variable),
    whether it is a literal, whether it is an address (``ldloca``: an ``out`` argument), the integer it is when
    an integer constant (``ldc.i4``: ``true`` is 1)."""

    __slots__ = ("address", "const", "number", "taint", "var")

    def __init__(self, taint: Taint = CLEAN, var: tuple[str, int | str] | None = None, const: bool = False,
                 address: bool = False, number: int | None = None) -> None:
        self.taint = taint
        self.var = var
        self.const = const
        self.address = address
        self.number = number


@dataclass(frozen=True, slots=True)
class Reach:
    """A parameter of a method reaching an operation (in it, or in a method it calls)."""

    param: int
    rule: Rule
    sink: str  # the sink member
    method: str  # where the sink call is
    offset: int
    via: tuple[str, ...] = ()


@dataclass(slots=True)
class Summary:
    #: (parameter, rule, sink, where) -> the first path found to it: one entry per operation reached, not one
    #: per call path (they multiply with every level of calls)
    reaches: dict[tuple[int, Rule, str, str, int], Reach] = field(default_factory=dict)

    def reach(self, r: Reach) -> None:
        self.reaches.setdefault((r.param, r.rule, r.sink, r.method, r.offset), r)
    returns: Taint = field(default_factory=lambda: CLEAN)  # request input it returns, and params that reach its result
    to_fields: set[tuple[int, str]] = field(default_factory=set)  # (param, field key) stores


@dataclass(frozen=True, slots=True)
class Hit:
    """Request input reaching an operation (``confidence`` "high"), or a method where both appear and the walk
    lost track of its values ("low"), or a native declaration no web code needs ("medium")."""

    rule: Rule
    sink: str
    method: str
    offset: int
    entry: Entry | None
    via: tuple[str, ...] = ()
    confidence: str = "high"


@dataclass(slots=True)
class Report:
    assembly: str
    hits: list[Hit] = field(default_factory=list)
    methods: int = 0  # methods defined
    walked: int = 0  # methods the walk visited
    steps: int = 0  # the walk's work (:data:`MAX_STEPS`)
    problems: list[str] = field(default_factory=list)
    #: True when no request type and no native import is named anywhere in the file: not read further
    screened: bool = False
    #: with ``export``: its public methods' parameters that reach an operation, for the site's other assemblies
    exports: Exports = field(default_factory=dict)


#: (type, method, parameter count) -> the operations its parameters reach (IL argument indexes, ``this`` 0 for
#: an instance method): an App_Code assembly's methods, as the pages compiled beside it call them.
Exports = dict[tuple[str, str, int], tuple[Reach, ...]]


_POPS = {
    StackBehaviour.Pop0: 0, StackBehaviour.Pop1: 1, StackBehaviour.Pop1_pop1: 2, StackBehaviour.Popi: 1,
    StackBehaviour.Popi_pop1: 2, StackBehaviour.Popi_popi: 2, StackBehaviour.Popi_popi8: 2,
    StackBehaviour.Popi_popi_popi: 3, StackBehaviour.Popi_popr4: 2, StackBehaviour.Popi_popr8: 2,
    StackBehaviour.Popref: 1, StackBehaviour.Popref_pop1: 2, StackBehaviour.Popref_popi: 2,
    StackBehaviour.Popref_popi_popi: 3, StackBehaviour.Popref_popi_popi8: 3, StackBehaviour.Popref_popi_popr4: 3,
    StackBehaviour.Popref_popi_popr8: 3, StackBehaviour.Popref_popi_popref: 3, StackBehaviour.Popref_popi_pop1: 3,
}
_PUSHES = {
    StackBehaviour.Push0: 0, StackBehaviour.Push1: 1, StackBehaviour.Push1_push1: 2, StackBehaviour.Pushi: 1,
    StackBehaviour.Pushi8: 1, StackBehaviour.Pushr4: 1, StackBehaviour.Pushr8: 1, StackBehaviour.Pushref: 1,
}
_CALLS = frozenset({"call", "callvirt", "newobj"})


def analyse(data: bytes, shown: str = "", deadline: float | None = None, clock: Any = None, *,
            export: bool = False, imports: Exports | None = None) -> Report:
    """Read the assembly in ``data`` and trace request input to the vocabulary's operations. Raises
    :class:`reader.NotDotNet` for native code and :class:`reader.AssemblyError` for a file unreadable as .NET
    metadata (before the screen: a truncated file would otherwise read as naming no request type);
    ``deadline`` (a ``clock()`` value) stops the walk between methods, the rest named in the problems.
    ``export``: also walk an assembly that reads no request (an App_Code helper) and give its public methods'
    parameter reaches (:attr:`Report.exports`); ``imports``: such reaches of the methods of another assembly
    this one calls (a compiled page calling App_Code)."""
    vocab = vocabulary()
    reader.check(data)  # (NotDotNet: native code; AssemblyError: not readable as .NET metadata)
    if not export and not _screen().search(data):
        return Report(shown or "assembly", screened=True)
    asm = reader.read(data, shown)
    return trace(asm, vocab, deadline, clock, export=export, imports=imports)


@cache
def _screen() -> re.Pattern[bytes]:
    """The names without which no request input can enter an assembly's code (the types of the sources, the
    request-bound bases and attributes) or a native import count: an assembly naming none of them in its
    metadata strings (most framework and package assemblies) is not read further. One pass at memory speed."""
    vocab = vocabulary()
    names = {m.split("::")[0].rsplit(".", 1)[-1] for m in (*vocab.sources, *vocab.source_types)}
    names |= {t.rsplit(".", 1)[-1] for t in (*vocab.bases, *vocab.page_models, *vocab.attributes, *vocab.endpoints)}
    words = sorted(names, key=len, reverse=True)
    natives = "|".join(p.pattern for p, _r in vocab.pinvoke)
    return re.compile(
        rb"(?:" + b"|".join(re.escape(w.encode()) for w in words) + rb")\x00|(?i:" + natives.encode() + rb")\x00"
    )


def trace(asm: Assembly, vocab: Vocabulary, deadline: float | None = None, clock: Any = None, *,
          export: bool = False, imports: Exports | None = None) -> Report:
    report = Report(asm.name, methods=len(asm.methods))
    imports = imports or {}
    imported = {t for t, m in asm.members.items() if not m.internal and (m.type, m.name, m.params) in imports}
    sink_tokens = {t for t, m in asm.members.items()
                   if not m.is_field and (vocab.sink(m) or (not m.internal and m.full in vocab.late_calls))}
    # request input enters through the framework's request types, which live in another assembly: an assembly
    # defining them (System.Web.dll, ASP.NET Core's own) is the framework, whose internals would otherwise read
    # as a web application handing its own request to its compilers and factories (mono's System.Web.dll: 6-50
    # flows through its fields, once walked to the end)
    source_tokens = {t for t, m in asm.members.items() if not m.is_field and not m.internal and vocab.source(m) is not None}
    natives: dict[int, Rule] = {}
    for rid, (_lib, function) in asm.pinvoke.items():
        rule = vocab.native(function)
        if rule is not None:
            natives[rid] = rule
            if rule.needs == "none":
                decl = asm.methods.get(rid)
                where = decl.full if decl else f"MethodDef {rid}"
                report.hits.append(Hit(rule, f"{_lib}!{function}", where, 0, None, confidence="medium"))
    seeded = {rid: _seeds(m, asm, vocab) for rid, m in asm.methods.items()}
    seeded.update(_endpoint_handlers(asm, vocab))
    seeded = {rid: s for rid, s in seeded.items() if s}
    if not (sink_tokens or natives or imported) or not (source_tokens or seeded or export):
        # no operation, or no request input anywhere (no source call, no request-bound parameter): nothing the
        # walk could find (framework assemblies naming HttpRequest only in a P/Invoke-laden file, say)
        report.problems = list(asm.problems)
        return report
    relevant = _relevant(asm, sink_tokens | imported, source_tokens, natives, set(seeded))
    if len(relevant) > MAX_METHODS:
        asm.problem(f"{len(relevant):,} methods to walk: the first {MAX_METHODS:,} walked")
        relevant = relevant[:MAX_METHODS]
    relevant = _callees_first(asm, relevant)
    # the constructors of their types that store fields, first: a literal kept in a static readonly or instance
    # field (static readonly string ProgId = "WScript.Shell") is set there, not in the method that reads it
    types = {asm.methods[rid].type for rid in relevant}
    chosen = set(relevant)
    ctors = [rid for rid, m in asm.methods.items() if rid not in chosen and m.type in types
             and m.name in (".cctor", ".ctor") and m.code and reader.stores_field(m.code)]
    relevant = ctors + relevant
    walk = _Walk(asm, vocab, natives, seeded, imports)
    for _round in range(MAX_ROUNDS):
        walk.changed = False
        for rid in relevant:
            if deadline is not None and clock is not None and clock() > deadline:
                asm.problem("the IL walk stopped at the per-file time limit: later methods not traced")
                walk.stopped = True
                break
            if walk.steps > MAX_STEPS:
                asm.problem(f"the IL walk stopped at its work bound ({MAX_STEPS:,} steps): later methods not traced")
                walk.stopped = True
                break
            walk.method(asm.methods[rid], source_tokens, sink_tokens)
        if not walk.changed or walk.stopped:
            break
    if walk.cut:
        asm.problem(f"{len(walk.cut)} method(s) walked in part, at the per-method work bound ({MAX_METHOD_STEPS:,} steps)")
    walk.both_appear(source_tokens, sink_tokens)
    report.walked = len(walk.visited)
    report.steps = walk.steps
    hits = [h for h in walk.hits.values() if not _signed_in(asm, vocab, h)]
    report.hits.extend(hits[: MAX_HITS - len(report.hits)])
    report.problems = list(asm.problems)
    if export:
        for rid, summary in walk.summaries.items():
            m = asm.methods[rid]
            if m.public and summary.reaches:
                report.exports[(m.type, m.name, m.params)] = tuple(summary.reaches.values())[:MAX_HITS]
    return report


def _signed_in(asm: Assembly, vocab: Vocabulary, hit: Hit) -> bool:
    """Whether a flow into an application feature (a file, a query, an address: ``signed-in.features``) enters in
    an action only signed-in users reach - ``[Authorize]`` on every method of that name or on its controller (or a
    base of it), none ``[AllowAnonymous]``: the IL reading's counterpart of the source engine's sign-in check before
    such a sink (BIL2's note, session 22: a teacher's upload into ~/ under [Authorize(Roles = ..)])."""
    if hit.confidence != "high" or hit.entry is None or hit.rule.id not in vocab.signed_features:
        return False
    overloads = [m for m in asm.methods.values() if m.full == hit.entry.method]
    if not overloads:
        return False

    def kind(attributes: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for a in attributes:
            for t in (a, *asm.bases.get(a, ())):  # (an application's own AuthorizeAttribute subclass)
                if t in vocab.signed_attributes:
                    out.add("auth")
                elif t in vocab.anonymous_attributes:
                    out.add("anon")
        return out

    for m in overloads:
        own = kind(m.attributes)
        if "anon" in own:
            return False
        if "auth" in own:
            continue
        if not any("auth" in kind(asm.type_attributes.get(t, ())) for t in (m.type, *asm.bases.get(m.type, ()))):
            return False
    return True


def _seeds(m: Method, asm: Assembly, vocab: Vocabulary) -> dict[int, Taint]:
    """The arguments of a method the request fills (controller actions, Razor page handlers, ASMX web
    methods), by IL argument index."""
    bound = False
    if any(a in vocab.attributes for a in m.attributes):
        bound = True
    elif m.public and not m.static and not m.special and m.params:
        bases = asm.bases.get(m.type, ())
        if any(b in vocab.bases for b in bases):
            bound = True
        elif any(b in vocab.page_models for b in bases) and vocab.page_handlers.match(m.name):
            bound = True
    if not bound:
        return {}
    first = 0 if m.static else 1
    out: dict[int, Taint] = {}
    for i in range(m.params):
        name = m.param_names[i] if i < len(m.param_names) else f"#{i}"
        entry = Entry("parameter", vocab.parameter_title, f"parameter {name}", m.full, 0)
        out[first + i] = Taint.of(entry)
    return out


#: Parameter kinds a minimal-API handler binds from the route, query or body (ECMA-335 element types: bool to
#: double, string, arrays); its HttpContext, HttpRequest and services are classes and are not request values.
_BOUND_KINDS = frozenset({*range(0x02, 0x0F), 0x1D})


def _endpoint_handlers(asm: Assembly, vocab: Vocabulary) -> dict[int, dict[int, Taint]]:
    """The methods handed as delegates to minimal-API routing (``app.MapGet("/x", (HttpContext c, string x) =>
    ..)``): a method of this assembly whose ``ldftn`` comes before a call to one of the vocabulary's endpoint
    methods with no other call between (the delegate is that call's argument). Their string, number and array
    parameters are filled from the request."""
    out: dict[int, dict[int, Taint]] = {}
    mapping = {t for t, m in asm.members.items() if not m.is_field and not m.internal and m.name in vocab.endpoints}
    if not mapping:
        return out
    for m in asm.methods.values():
        if not (m.tokens & mapping):
            continue
        pending: list[Method] = []  # delegates made since the last call: handed to the next call
        handlers: list[Method] = []
        for insn in reader.decode(m, asm):
            op = insn.opcode.name
            if op in ("call", "callvirt"):
                called = asm.members.get(int(getattr(insn.operand, "value", 0) or 0))
                if called is not None and not called.internal and called.name in vocab.endpoints:
                    handlers += pending
                pending = []
            elif op == "ldftn":
                target = asm.members.get(int(getattr(insn.operand, "value", 0) or 0))
                handler = asm.methods.get(target.internal) if target is not None and target.internal > 0 else None
                if handler is not None:
                    pending.append(handler)
        for handler in handlers:
            kinds = asm.members[(reader.T_METHODDEF << 24) | handler.rid].kinds
            first = 0 if handler.static else 1
            seeds: dict[int, Taint] = {}
            for i in range(handler.params):
                if i < len(kinds) and kinds[i] in _BOUND_KINDS:
                    name = handler.param_names[i] if i < len(handler.param_names) else f"#{i}"
                    seeds[first + i] = Taint.of(Entry("parameter", vocab.parameter_title, f"parameter {name}", handler.full, 0))
            if seeds:
                out[handler.rid] = seeds
    return out


def _relevant(
    asm: Assembly, sinks: set[int], sources: set[int], natives: dict[int, Rule], seeded: set[int]
) -> list[int]:
    """The methods worth walking: those calling an operation (or a method that does), the methods they call
    (their results), and the methods holding request input that store into fields."""
    callers: dict[int, set[int]] = {}
    for rid, m in asm.methods.items():
        for c in m.callees:
            callers.setdefault(c, set()).add(rid)
    todo = [rid for rid, m in asm.methods.items() if m.tokens & sinks or m.callees & natives.keys()]
    keep = set(todo)
    while todo:  # callers of methods that reach an operation
        rid = todo.pop()
        for c in callers.get(rid, ()):
            if c not in keep:
                keep.add(c)
                todo.append(c)
    for rid, m in asm.methods.items():  # request input kept in fields for another method
        if rid not in keep and (m.tokens & sources or rid in seeded) and reader.stores_field(m.code):
            keep.add(rid)
    todo = list(keep)
    while todo:  # what they call: its result may be request input
        rid = todo.pop()
        called = asm.methods.get(rid)
        for c in called.callees if called else ():
            if c not in keep and c in asm.methods:
                keep.add(c)
                todo.append(c)
    return sorted(r for r in keep if r in asm.methods and asm.methods[r].code)


def _callees_first(asm: Assembly, rids: list[int]) -> list[int]:
    """``rids`` in call-graph post-order (a method after the methods it calls, cycles broken where met; roots in
    row order): each summary is ready before its callers are walked, so a chain of calls of any depth is
    traced in one round (in row order a round climbed one level: a flow 5 calls deep was lost after 4)."""
    wanted = set(rids)
    done: set[int] = set()
    out: list[int] = []
    for root in rids:
        if root in done:
            continue
        done.add(root)
        stack = [(root, iter(sorted(asm.methods[root].callees & wanted)))]
        while stack:
            rid, rest = stack[-1]
            nxt = next((c for c in rest if c not in done), None)
            if nxt is None:
                stack.pop()
                out.append(rid)
                continue
            done.add(nxt)
            stack.append((nxt, iter(sorted(asm.methods[nxt].callees & wanted))))
    return out


class _Walk:
    def __init__(self, asm: Assembly, vocab: Vocabulary, natives: dict[int, Rule], seeded: dict[int, dict[int, Taint]],
                 imports: Exports | None = None) -> None:
        self.asm = asm
        self.vocab = vocab
        self.natives = natives
        self.seeded = seeded
        self.imports = imports or {}
        self.summaries: dict[int, Summary] = {}
        self.fields: dict[str, Taint] = {}
        self.hits: dict[tuple[Any, ...], Hit] = {}
        self.changed = False
        self.stopped = False
        self.visited: set[int] = set()
        self.lost: set[int] = set()  # methods where a call's token named nothing
        self.steps = 0  # work done (instructions walked, summary entries applied): :data:`MAX_STEPS`
        self.cut: set[int] = set()  # methods whose visit ended at :data:`MAX_METHOD_STEPS`
        self.texts: frozenset[int] = frozenset()  # the walked method's string parameters (IL argument indexes)

    def both_appear(self, sources: set[int], sinks: set[int]) -> None:
        """Low-confidence hits for the methods where the walk lost track and that hold both a source and a
        sink call with no flow traced from or to them."""
        for rid in sorted(self.lost):
            m = self.asm.methods[rid]
            traced = any(h.method == m.full or (h.entry is not None and h.entry.method == m.full) for h in self.hits.values())
            src_tokens, sink_tokens = sorted(m.tokens & sources), sorted(m.tokens & sinks)
            if traced or not src_tokens or not sink_tokens:
                continue
            source, sink = self.asm.members[src_tokens[0]], self.asm.members[sink_tokens[0]]
            found, rules = self.vocab.source(source), self.vocab.sink(sink)
            rule = next((r for r in rules if r.literal is None), None)
            if found is not None and rule is not None:
                entry = Entry(found[0], found[1], source.full, m.full, 0)
                self._hit(Hit(rule, sink.full, m.full, 0, entry, confidence="low"))

    def _hit(self, hit: Hit) -> None:
        key = (hit.rule.id, hit.method, hit.offset, hit.entry, hit.via[:1], hit.confidence)
        if key not in self.hits and len(self.hits) < MAX_HITS:
            self.hits[key] = hit

    def _field(self, key: str, taint: Taint) -> None:
        kept = _entries(taint)  # a parameter means nothing in another method
        if not (kept or kept.texts):  # (literals too: a pipe kept in a field, as an async lambda's state machine keeps it)
            return
        old = self.fields.get(key, CLEAN)
        new = old | kept
        if new != old:
            self.fields[key] = new
            self.changed = True

    def method(self, m: Method, sources: set[int], sinks: set[int]) -> None:
        self.visited.add(m.rid)
        me = self.asm.members.get((reader.T_METHODDEF << 24) | m.rid)
        first = 0 if m.static else 1
        self.texts = frozenset(first + i for i, k in enumerate(me.kinds if me else ()) if k == 0x0E)
        insns = reader.decode(m, self.asm)
        summary = self.summaries.setdefault(m.rid, Summary())
        before = (len(summary.reaches), summary.returns, len(summary.to_fields))
        args: dict[int, Taint] = {}
        nargs = m.params + (0 if m.static else 1)
        for i in range(nargs):
            if not (i == 0 and not m.static):
                args[i] = Taint.of(i)
        for i, t in self.seeded.get(m.rid, {}).items():
            args[i] = args.get(i, CLEAN) | t
        locals_: dict[int, Taint] = {}
        lost = False
        start = self.steps
        for _pass in range(3):
            snapshot = (dict(locals_), dict(args))
            lost = self._pass(m, insns, args, locals_, summary, start + MAX_METHOD_STEPS) or lost
            if self.steps > start + MAX_METHOD_STEPS:
                self.cut.add(m.rid)
                break
            if (dict(locals_), dict(args)) == snapshot:
                break
        if lost:
            self.lost.add(m.rid)
        if (len(summary.reaches), summary.returns, len(summary.to_fields)) != before:
            self.changed = True

    def _pass(self, m: Method, insns: list[Instruction], args: dict[int, Taint], locals_: dict[int, Taint],
              summary: Summary, bound: int) -> bool:
        """One walk over the instructions, ending early when :attr:`steps` passes ``bound``; whether it lost
        track of the stack somewhere."""
        stack: list[Value] = []
        lost = False

        def pop() -> Value:
            # an empty stack: a catch handler's exception object (the walk does not read the handler table)
            return stack.pop() if stack else Value()

        def mark(var: tuple[str, int | str] | None, taint: Taint) -> None:
            if var is None or not (taint or taint.texts):
                return
            kind, key = var
            if kind == "l" and isinstance(key, int):
                locals_[key] = locals_.get(key, CLEAN) | taint
            elif kind == "a" and isinstance(key, int):
                args[key] = args.get(key, CLEAN) | taint
            elif kind == "f":
                self._field(str(key), taint)
                for p in taint.params:
                    summary.to_fields.add((p, str(key)))

        for insn in insns:
            self.steps += 1
            if self.steps > bound:
                break
            op = insn.opcode
            name = op.name
            operand = insn.operand
            if name in _CALLS:
                lost = not self._call(m, insn, stack, pop, mark, summary) or lost
                continue
            if name.startswith("ldarg"):
                i = _index(name, operand)
                stack.append(Value(args.get(i, CLEAN), ("a", i), address=name.startswith("ldarga")))
            elif name.startswith("starg"):
                i = _index(name, operand)
                args[i] = args.get(i, CLEAN) | pop().taint
            elif name.startswith("ldloc"):
                i = _index(name, operand)
                stack.append(Value(locals_.get(i, CLEAN), ("l", i), address=name.startswith("ldloca")))
            elif name.startswith("stloc"):
                i = _index(name, operand)
                locals_[i] = locals_.get(i, CLEAN) | pop().taint
            elif name in ("ldfld", "ldflda", "ldsfld", "ldsflda"):
                obj = pop() if name in ("ldfld", "ldflda") else Value()
                key = self._field_key(operand)
                stack.append(Value(self.fields.get(key, CLEAN) | obj.taint, ("f", key), address=name.endswith("a")))
            elif name in ("stfld", "stsfld"):
                value = pop()
                if name == "stfld":
                    pop()
                mark(("f", self._field_key(operand)), value.taint)
            elif name == "ldstr":
                text = reader.literal(self.asm, int(getattr(operand, "value", 0) or 0))
                stack.append(Value(Taint(texts=frozenset({text[:MAX_TEXT]})) if text else CLEAN, const=True))
            elif name in _LDC_I4:
                stack.append(Value(const=True, number=_number(name, operand)))
            elif name in _CASTS:
                # a cast to a type a sink asks for (a socket read back from session state): "cast:TYPE"
                value = pop()
                kept = self.asm.types.get(int(getattr(operand, "value", 0) or 0), "")
                taint = value.taint
                if kept in self.vocab.kept_types:
                    taint = taint | Taint(texts=frozenset({f"cast:{kept}"}))
                stack.append(Value(taint))
            elif name == "dup":
                top = pop()
                stack += [top, top]
            elif name.startswith("stelem"):
                value, _i, array = pop(), pop(), pop()
                if value.taint:
                    array.taint = array.taint | Taint(value.taint.labels)
                    mark(array.var, array.taint)
            elif name == "ret":
                if stack:
                    summary.returns = summary.returns | pop().taint
                stack.clear()
            elif name == "calli":
                lost = True
                stack.clear()
                stack.append(Value())
            elif op.stack_pop == StackBehaviour.PopAll:
                stack.clear()
            else:
                popped = [pop() for _ in range(_POPS.get(op.stack_pop, 0))]
                taint = CLEAN
                for v in popped:
                    taint = taint | v.taint
                for _ in range(_PUSHES.get(op.stack_push, 0)):
                    stack.append(Value(taint))
        return lost

    def _field_key(self, operand: Any) -> str:
        token = int(getattr(operand, "value", 0) or 0)
        m = self.asm.members.get(token)
        if m is None:
            return f"token:{token:x}"
        return f"field:{token:x}" if m.internal else f"{m.type}::{m.name}"

    def _call(self, m: Method, insn: Instruction, stack: list[Value], pop: Any, mark: Any, summary: Summary) -> bool:
        """Apply one call to the stack; False when its token names nothing (the walk lost track)."""
        token = int(getattr(insn.operand, "value", 0) or 0)
        callee = self.asm.members.get(token)
        newobj = insn.opcode.name == "newobj"
        if callee is None or callee.is_field:
            stack.clear()  # an unresolvable token: its argument count is unknown
            stack.append(Value())
            return False
        args = [pop() for _ in range(callee.params)][::-1]
        recv = pop() if callee.has_this and not newobj else None
        operands = ([recv] if recv is not None else []) + args
        here = f"{m.full}"
        off = int(insn.offset)
        full = callee.full
        vocab = self.vocab
        # (vocab.source and vocab.sink, with the member's name made once)
        source = (vocab.sources.get(full) or vocab.source_types.get(callee.type)) if not callee.internal else None  # (the framework's own: see trace)
        rules = vocab.sinks.get(full) or vocab.sink_types.get(callee.type) or ()
        for rule in rules:
            self._sink(rule, full, here, off, recv, args, summary, (), callee.kinds)
        if full in vocab.late_calls and not callee.internal:
            self._late(vocab.late_calls[full], full, here, off, recv, args, summary)
        internal = callee.internal
        native = self.natives.get(internal) if internal > 0 else None
        if native is not None:
            self._sink(Rule(native.id, native.title, "any", None, native.doc), self.asm.pinvoke[internal][1], here, off, None, args, summary, (), ())
        result = CLEAN
        callee_summary = self.summaries.get(internal) if internal > 0 else None
        if callee_summary is not None:
            # the callee's IL argument indexes: ``this`` is 0 for an instance method (the new object for a ctor)
            by_index = dict(enumerate(operands)) if not newobj else {1 + i: v for i, v in enumerate(args)}
            self._reaches(list(callee_summary.reaches.values()), by_index, f"{here} IL_{off:04X} calls {full}", summary)
            ret = callee_summary.returns
            result = _entries(ret)
            for p in ret.params:
                if p in by_index:  # what the argument carries, as whole as the callee keeps it, and its literals
                    given = by_index[p].taint  # (a helper making a COM object of the ProgID it is given)
                    result = result | Taint(
                        given.labels,
                        given.lead if p in ret.lead else frozenset(),
                        given.whole if p in ret.whole else frozenset(),
                        given.texts,
                    )
            for p, key in list(callee_summary.to_fields):  # (a recursive call adds to its own summary)
                if p in by_index:
                    mark(("f", key), by_index[p].taint)
        elif source is None:
            exported = self.imports.get((callee.type, callee.name, callee.params)) if not internal else None
            if exported:  # a method of another assembly of the site (App_Code), with its parameters' reaches
                by_index = dict(enumerate(operands)) if not newobj else {1 + i: v for i, v in enumerate(args)}
                self._reaches(list(exported), by_index, f"{here} IL_{off:04X} calls {full} (another assembly)", summary)
            result = self._through(callee, full, recv, args)
            if full in self.vocab.fillers and operands and operands[0].taint:
                # stream.Read(buffer, ..), Array.Copy(src, dst, ..): the first operand fills the others
                for v in operands[1:]:
                    v.taint = v.taint | Taint(operands[0].taint.labels)
                    if v.var is not None and v.var[0] != "a":
                        mark(v.var, Taint(operands[0].taint.labels))
            # a call on an object with request input in its arguments: the object now holds it
            # (psi.Arguments = x, list.Add(x), sb.Append(x)); an out argument receives it
            carried = CLEAN
            for v in args:
                carried = carried | v.taint
            # (a setter's literals too: psi.FileName = "cmd.exe" - the program a Process was made to start; IL2's
            # note, session 21: the literal FileName did not travel into the Process object)
            if carried or (carried.texts and callee.name.startswith("set_")):
                if recv is not None and not newobj and internal <= 0 and not rules and _mutator(callee):
                    recv.taint = recv.taint | carried
                    if recv.var is not None and recv.var[0] != "a":
                        mark(recv.var, carried)
            if carried:
                for v in args:
                    if v.address:
                        mark(v.var, carried)
        if source is not None:
            result = Taint.of(Entry(source[0], source[1], full, here, off))
            if callee.name in _INDEXERS:  # Request["password"]: the key it was read by ("key:NAME")
                result = result | Taint(texts=_keys(args))
        for marker in self.vocab.markers.get(full, ()) if not internal else ():
            if self._marks(marker, args):
                text = Taint(texts=frozenset({marker.text}))
                if newobj or callee.returns:
                    result = result | text
                elif recv is not None:  # a setter: the object it is called on (settings.EnableScript = true)
                    recv.taint = recv.taint | text
                    if recv.var is not None and recv.var[0] != "a":
                        mark(recv.var, text)
        if newobj:  # what it is made of, and what it is (a named pipe, a process): "new:TYPE" among its literals
            result = result | Taint(texts=frozenset({f"new:{callee.type}"[:MAX_TEXT]}))
        if newobj or callee.returns:
            var = recv.var if (recv is not None and callee.name.startswith("get_") and not args) else None
            stack.append(Value(result, var))
        return True

    def _marks(self, marker: Marker, args: list[Value]) -> bool:
        """Whether a call's arguments are what the marker asks (``true`` for EnableScript, a root spelling)."""
        if marker.arg is not None and (marker.arg >= len(args) or args[marker.arg].number != marker.equals):
            return False
        if marker.mapped is not None:
            if marker.mapped >= len(args):
                return False
            return all(self.vocab.rooted.match(t) for t in args[marker.mapped].taint.texts if not _MARK.match(t))
        return True

    def _late(self, late: LateCall, member: str, here: str, off: int, recv: Value | None, args: list[Value],
              summary: Summary) -> None:
        """A late-bound call (a C# ``dynamic`` call site, ``Type.InvokeMember``, VB's late binding) on a COM object
        made from a ProgID or class id: the member name and the object are literals that went into its operands."""
        operands = [recv, *args] if recv is not None else [None, *args]  # operand i is operands[i + 1]

        def at(i: int) -> Value | None:
            return operands[i + 1] if -1 <= i < len(operands) - 1 else None

        name, obj = at(late.name), at(late.obj)
        if name is None or obj is None or not name.taint.texts or not obj.taint.texts:
            return
        for sink in self.vocab.late_sinks:
            method = next((t for t in sorted(name.taint.texts) if sink.methods.fullmatch(t)), None)
            progid = next((t for t in sorted(obj.taint.texts) if sink.progid.fullmatch(t)), None)
            if method is None or progid is None:
                continue
            rule = sink.rule
            if late.array:  # the arguments in one object[]: its elements' labels only (no position, no lead)
                chosen = [a for a in [at(late.args)] if a is not None] if rule.needs == "any" else []
            else:
                given = [v for v in (at(i) for i in range(late.args, len(operands) - 1)) if v is not None]
                chosen = given if rule.args is None else [given[i] for i in rule.args if i < len(given)]
            shown = f"{member} (late-bound {progid}.{method})"
            for value in chosen:
                for label in _meets(rule.needs, value.taint):
                    if isinstance(label, Entry):
                        self._hit(Hit(rule, shown, here, off, label))
                    else:
                        summary.reach(Reach(label, rule, shown, here, off))

    def _reaches(self, reaches: list[Reach], by_index: dict[int, Value], call: str, summary: Summary) -> None:
        """A called method's parameter reaches applied to the values given: request input is a hit, this
        method's own parameters join its summary."""
        self.steps += len(reaches)
        for reach in reaches:
            value = by_index.get(reach.param)
            if value is None:
                continue
            via = (call, *reach.via)
            if reach.rule.needs == "rooted" and not self._rooted(value.taint, False):
                continue  # (the root was spliced in the callee: the caller's value must add no folder)
            for label in _meets(reach.rule.needs, value.taint):
                if isinstance(label, Entry):
                    self._hit(Hit(reach.rule, reach.sink, reach.method, reach.offset, label, via))
                else:
                    summary.reach(Reach(label, reach.rule, reach.sink, reach.method, reach.offset, via[:6]))

    def _through(self, callee: Member, full: str, recv: Value | None, args: list[Value]) -> Taint:
        """What a call to another assembly's method returns: everything it was given (a conversion, a
        look-up, a concatenation); spliced with fixed text by a splicer, the request no longer leads it."""
        operands = ([recv] if recv is not None else []) + args
        taint = CLEAN
        for v in operands:
            taint = taint | v.taint
        if not taint:
            return taint  # (its literals only)
        if full in self.vocab.hashers:  # a digest of the value: none of its content, no request text
            return CLEAN
        if callee.name in _INDEXERS and args and recv is not None and recv.taint.srcs:
            # Request.Form["name"]: the key names the value, it is not in it ("key:NAME")
            labels = recv.taint.labels.union(*(v.taint.labels for v in args))
            return Taint(labels, recv.taint.lead, recv.taint.whole, recv.taint.texts | _keys(args))
        if full in self.vocab.splicers:
            first = operands[0].taint if operands else CLEAN
            alone = len([v for v in operands if v.taint or v.const]) == 1
            return Taint(taint.labels, first.lead, taint.whole if alone else frozenset(), taint.texts)
        if full in self.vocab.bare_names:  # a file name alone: it cannot lead a path
            return Taint(taint.labels, frozenset(), frozenset(), taint.texts)
        return taint

    def _sink(self, rule: Rule, sink: str, here: str, off: int, recv: Value | None, args: list[Value],
              summary: Summary, via: tuple[str, ...], kinds: tuple[int, ...]) -> None:
        if rule.number is not None:
            at, allowed = rule.number
            if at >= len(args) or args[at].number not in allowed:
                return
        for where, pattern, absent in rule.literal or ():
            holder = recv if where < 0 else (args[where] if where < len(args) else None)
            if holder is None or any(pattern.search(t) for t in holder.taint.texts) == absent:
                return
        if rule.needs in ("receiver", "receiver-leading"):
            chosen = [recv] if recv is not None else []
        elif rule.args is None:
            chosen = ([recv] if recv is not None else []) + args
        else:
            # (a path overload, not FileStream(SafeFileHandle) or StreamWriter(Stream): kind 0x0E is string)
            chosen = [args[i] for i in rule.args if i < len(args)
                      and not (rule.strings and i < len(kinds) and kinds[i] not in (0, 0x0E))]
        for value in chosen:
            if rule.needs == "rooted" and not self._rooted(value.taint, True):
                continue
            if rule.needs == "rooted" and value.taint.params & self.texts:
                # a part of the path is the caller's (a helper's folder or name parameter): whether the path is the
                # root's is the callers' to say - their values are checked where they call (BIL2's Maticsoft
                # FileUp.uploadfile, session 22: MapPath("~/") + folder + name + the client's extension)
                for param in value.taint.params & self.texts:
                    summary.reach(Reach(param, rule, sink, here, off, via))
                continue
            for label in _meets(rule.needs, value.taint):
                if isinstance(label, Entry):
                    self._hit(Hit(rule, sink, here, off, label, via))
                else:
                    summary.reach(Reach(label, rule, sink, here, off, via))

    def _rooted(self, taint: Taint, marked: bool) -> bool:
        """Whether a path is the application's root folder (or the page's) and request input, with no folder of
        the application's own between them: its literals all spell the root (markers and request keys aside) and,
        where the sink is (``marked``), one of them is the root's marker."""
        own = [t for t in taint.texts if not _MARK.match(t)]
        if not all(self.vocab.rooted.match(t) for t in own):
            return False
        return not marked or ROOT in taint.texts


def _meets(needs: str, taint: Taint) -> frozenset[Label]:
    """The labels of a value that meet a sink's need (the value at the place the sink looks)."""
    if needs in ("leading", "receiver-leading"):
        return taint.lead
    if needs == "rooted":  # (the path's literals checked by _Walk._rooted)
        return taint.labels
    if needs == "direct":
        return taint.whole
    return frozenset() if needs == "none" else taint.labels


#: Methods that keep what they are given in the object they are called on, besides void methods and setters.
_KEEPERS = ("Add", "Append", "Insert", "Push", "Enqueue", "Set", "Write")


def _mutator(callee: Member) -> bool:
    """Whether a call keeps its arguments in its object (``psi.Arguments = x``, ``list.Add(x)``,
    ``sb.Append(x)``), so the object carries them on; a call that only uses them (``m.Invoke(null, args)``)
    does not mark the object."""
    if callee.name in ("Invoke", "BeginInvoke", "DynamicInvoke"):
        # a delegate called (a C# dynamic call site's Target among them): it runs what it was given, keeps nothing -
        # marked, the site's shared Target field carried every call's values into every other site
        return False
    return not callee.returns or callee.name.startswith(("set_", *_KEEPERS))


def _entries(taint: Taint) -> Taint:
    """A taint's request-input labels only (its parameters mean nothing outside the method)."""
    if not taint.params:
        return taint
    keep = taint.srcs
    return Taint(keep, taint.lead & keep, taint.whole & keep, taint.texts)


_INDEXERS = frozenset({"get_Item", "Get", "GetValues"})
_LDC_I4 = frozenset({"ldc.i4", "ldc.i4.s", "ldc.i4.m1", *(f"ldc.i4.{i}" for i in range(9))})
_CASTS = frozenset({"castclass", "isinst"})


def _keys(args: list[Value]) -> frozenset[str]:
    """The literal keys a request collection is read by, as ``key:NAME`` texts."""
    return frozenset(f"key:{t}"[:MAX_TEXT] for v in args for t in v.taint.texts if not _MARK.match(t))


def _number(name: str, operand: Any) -> int | None:
    """The integer an ``ldc.i4`` form pushes."""
    if isinstance(operand, int):
        return operand
    tail = name.rsplit(".", 1)[-1]
    if tail.isdigit():
        return int(tail)
    return -1 if tail.lower() == "m1" else None


def _index(name: str, operand: Any) -> int:
    """The argument or local index of ldarg/ldloc/starg/stloc in any of their forms."""
    index = getattr(operand, "index", None)
    if isinstance(index, int):
        return index
    tail = name.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def describe(hit: Hit) -> str:
    """One line naming the flow: source member and offset, sink member and offset, the calls between."""
    where = f"{hit.method} IL_{hit.offset:04X}"
    if hit.entry is None:
        return f"{hit.method} declares {hit.sink} (P/Invoke)"
    src = hit.entry
    at = f" IL_{src.offset:04X}" if src.member.startswith("parameter ") is False else ""
    text = f"{src.member} ({src.method}{at}) reaches {hit.sink} ({where})"
    if hit.via:
        text += " via " + "; ".join(hit.via)
    if hit.confidence == "low":
        text = f"{src.member} and {hit.sink} both appear in {hit.method} (the walk could not follow every value)"
    return text


def flows(reports: Iterable[Report]) -> int:
    return sum(1 for r in reports for h in r.hits if h.confidence == "high")
