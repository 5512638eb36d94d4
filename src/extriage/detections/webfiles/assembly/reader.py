"""Reading a .NET assembly's metadata and method bodies (dnfile, MIT; dncil, Apache-2.0) into the few
facts the IL analysis needs: each method's type, name, parameters and decoded instructions, what every
call, ``newobj`` and field token names (namespace, type, member, argument count), and the P/Invoke
imports (``ImplMap``).

Why a reader of its own: the analysis runs on what attackers wrote (a handler DLL dropped into ``bin/``,
a compiled page in Temporary ASP.NET Files), so every count, RVA and size is checked before it is used
(a fat header claiming a 4 GB body, an RVA past the end, a signature blob cut short) and a bad method
is skipped and named, never the reason the file is lost. Member references carry namespace + type +
name, which is what the vocabulary (``vocabulary.yml``) matches.
"""

from __future__ import annotations

import logging
import re
import struct
from dataclasses import dataclass, field
from typing import Any

import dnfile
from dncil.cil.body.reader import CilMethodBodyReaderBytes
from dncil.cil.error import MethodBodyFormatError
from dncil.cil.instruction import Instruction

from extriage.detections.webfiles.behaviour.budget import Timeout

#: dnfile's parser, typed loosely (the package has no annotations on it).
_DNPE: Any = dnfile.dnPE



class _DnfileNoise(logging.Filter):
    """Drops dnfile's warnings about malformed structures, which it sends to its own loggers and, for the
    metadata tables, to the root logger (stderr of every scan): the reader names such problems itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "dnfile" not in record.pathname.replace("\\", "/").split("/")


logging.getLogger("dnfile").setLevel(logging.ERROR)
if not any(isinstance(f, _DnfileNoise) for f in logging.getLogger().filters):
    logging.getLogger().addFilter(_DnfileNoise())

#: A method body whose code is larger than this is not decoded (compilers emit far less; a fat header can
#: claim 4 GB). Named in the problems.
MAX_CODE = 256 * 1024
#: Rows read from one metadata table at most (a hostile header can claim 16 million).
MAX_ROWS = 200_000
#: Problems kept per assembly (a broken file can have one per method).
MAX_PROBLEMS = 20

#: Metadata table numbers as they appear in a token's top byte.
T_TYPEREF, T_TYPEDEF, T_FIELD, T_METHODDEF, T_MEMBERREF, T_TYPESPEC, T_METHODSPEC = (
    0x01, 0x02, 0x04, 0x06, 0x0A, 0x1B, 0x2B,
)
#: Opcodes that name a method (call, callvirt, newobj, ldftn, ldvirtftn) or a field (ld/st[s]fld[a]),
#: followed by a 4-byte token: a screen over a body's raw bytes, before any decoding.
_CALL_TOKEN = re.compile(rb"(?=(?:[\x28\x6f\x73]|\xfe[\x06\x07])(...)([\x06\x0a\x2b]))", re.DOTALL)
#: stfld / stsfld with a field token (FieldDef, or a MemberRef field of a generic type).
_FIELD_STORE = re.compile(rb"[\x7d\x80]...[\x04\x0a]", re.DOTALL)


class AssemblyError(Exception):
    """The file is no .NET assembly the reader can read (not PE, no CLR header, metadata unreadable)."""


class NotDotNet(AssemblyError):
    """A PE file whose CLR header entry is empty: native code."""


@dataclass(frozen=True, slots=True)
class Member:
    """What a method or field token names. ``type``: ``Namespace.Type`` (``Outer/Nested`` for nested
    types, ``?`` when unresolvable: a generic instance or a broken index)."""

    type: str
    name: str
    has_this: bool = False
    params: int = 0
    returns: bool = True  # False: the method returns void
    is_field: bool = False
    internal: int = 0  # the MethodDef row a call reaches in this assembly (0: another assembly's member)
    #: the element type of each parameter (ECMA-335 II.23.1.16: 0x0E string, 0x12 class, 0x1D array, ...;
    #: 0 when the signature could not be read): tells a path overload from a stream or handle overload
    kinds: tuple[int, ...] = ()

    @property
    def full(self) -> str:
        return f"{self.type}::{self.name}"


@dataclass(slots=True)
class Method:
    """One method defined in the assembly."""

    rid: int
    type: str
    name: str
    static: bool
    params: int
    param_names: tuple[str, ...]
    public: bool
    special: bool  # a property accessor, constructor or operator (SpecialName)
    rva: int
    code: bytes = b""  # the IL bytes (empty: abstract, P/Invoke, runtime, or not readable)
    instructions: list[Instruction] | None = None  # decoded on demand (:func:`decode`)
    #: MethodDef rows this method's body names (call, newobj, ldftn), from the raw-byte screen.
    callees: frozenset[int] = frozenset()
    tokens: frozenset[int] = frozenset()  # every method/field token the raw-byte screen found
    attributes: tuple[str, ...] = ()  # full type names of its custom attributes

    @property
    def full(self) -> str:
        return f"{self.type}::{self.name}"


@dataclass(slots=True)
class Assembly:
    name: str
    methods: dict[int, Method] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)  # token -> what it names
    #: MethodDef row -> (library, imported function) of P/Invoke declarations
    pinvoke: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: TypeDef full name -> its base types' full names, nearest first (within this assembly, then the
    #: first type of another assembly)
    bases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    heap: Any = None  # the #US heap (ldstr literals), read on demand
    #: TypeDef full name -> its custom attributes' full type names
    type_attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: TypeRef token -> full name (the types ``castclass``/``isinst`` name: another assembly's types)
    types: dict[int, str] = field(default_factory=dict)
    strings: dict[int, str] = field(default_factory=dict)

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)


def _compressed(blob: bytes, at: int) -> tuple[int, int]:
    """ECMA-335 II.23.2 compressed unsigned integer at ``at``: (value, next position)."""
    if at >= len(blob):
        raise ValueError("signature cut short")
    b = blob[at]
    if b & 0x80 == 0:
        return b, at + 1
    if b & 0xC0 == 0x80 and at + 1 < len(blob):
        return ((b & 0x3F) << 8) | blob[at + 1], at + 2
    if at + 3 < len(blob):
        return ((b & 0x1F) << 24) | (blob[at + 1] << 16) | (blob[at + 2] << 8) | blob[at + 3], at + 4
    raise ValueError("signature cut short")


def signature(blob: bytes) -> tuple[bool, int, bool, bool, tuple[int, ...]]:
    """(has this, parameter count, returns a value, is a field, parameter kinds) of a method or field
    signature blob (ECMA-335 II.23.2.1)."""
    if not blob:
        return False, 0, True, False, ()
    first = blob[0]
    if first & 0x0F == 0x06:
        return False, 0, True, True, ()
    has_this = bool(first & 0x20)
    at = 1
    try:
        if first & 0x10:  # generic: its generic parameter count first
            _, at = _compressed(blob, at)
        count, at = _compressed(blob, at)
        while at < len(blob) and blob[at] in (0x1F, 0x20):  # custom modifiers on the return type
            _, at = _compressed(blob, at + 1)
        returns = at >= len(blob) or blob[at] != 0x01
    except ValueError:
        return has_this, 0, True, False, ()
    count = min(count, 255)
    kinds: list[int] = []
    try:
        at = _skip_type(blob, at, 0)
        for _ in range(count):
            while at < len(blob) and blob[at] in (0x1F, 0x20):
                _, at = _compressed(blob, at + 1)
            kinds.append(blob[at] if at < len(blob) else 0)
            at = _skip_type(blob, at, 0)
    except (ValueError, IndexError):
        kinds += [0] * (count - len(kinds))
    return has_this, count, returns, False, tuple(kinds[:count])


def _skip_type(blob: bytes, at: int, depth: int) -> int:
    """The position after the type signature at ``at`` (ECMA-335 II.23.2.12); ValueError when it cannot be read."""
    if depth > 16 or at >= len(blob):
        raise ValueError("type signature")
    t = blob[at]
    at += 1
    if t in (0x1F, 0x20):  # custom modifier, then the type
        _, at = _compressed(blob, at)
        return _skip_type(blob, at, depth + 1)
    if t <= 0x0E or t in (0x16, 0x18, 0x19, 0x1C, 0x01):  # primitives, string, typedref, I, U, object, void
        return at
    if t in (0x11, 0x12):  # valuetype / class + TypeDefOrRef
        return _compressed(blob, at)[1]
    if t in (0x0F, 0x10, 0x1D, 0x45):  # pointer, byref, szarray, pinned
        return _skip_type(blob, at, depth + 1)
    if t in (0x13, 0x1E):  # generic parameter of the type / of the method
        return _compressed(blob, at)[1]
    if t == 0x15:  # generic instance: (class|valuetype) TypeDefOrRef count types
        at = _compressed(blob, at + 1)[1]
        n, at = _compressed(blob, at)
        for _ in range(min(n, 64)):
            at = _skip_type(blob, at, depth + 1)
        return at
    if t == 0x14:  # array: type rank sizes lobounds
        at = _skip_type(blob, at, depth + 1)
        _rank, at = _compressed(blob, at)
        n, at = _compressed(blob, at)
        for _ in range(min(n, 64)):
            at = _compressed(blob, at)[1]
        n, at = _compressed(blob, at)
        for _ in range(min(n, 64)):
            at = _compressed(blob, at)[1]
        return at
    raise ValueError(f"type 0x{t:x}")  # function pointers and the rest: not needed here


def clr_header(data: bytes) -> bool:
    """Whether ``data`` is a PE file whose CLR header entry (data directory 14) is set: a .NET assembly, as far
    as the headers go (a cheap check before the screen and the full read)."""
    if len(data) < 0x40 or not data.startswith(b"MZ"):
        return False
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if pe + 24 + 2 > len(data) or data[pe : pe + 4] != b"PE\0\0":
        return False
    magic = struct.unpack_from("<H", data, pe + 24)[0]
    if magic not in (0x10B, 0x20B):
        return False
    entry = pe + 24 + (96 if magic == 0x10B else 112) + 14 * 8
    if entry + 8 > len(data):
        return False
    rva, size = struct.unpack_from("<II", data, entry)
    return bool(rva and size)


def _rva_offset(data: bytes, pe: int, rva: int) -> int:
    """The file offset of ``rva`` through the section table (-1 when no section holds it and it is past the
    headers)."""
    count: int = struct.unpack_from("<H", data, pe + 6)[0]
    optional: int = struct.unpack_from("<H", data, pe + 20)[0]
    at = pe + 24 + optional
    for _ in range(min(count, 96)):
        if at + 40 > len(data):
            break
        vsize, va, rsize, raw = struct.unpack_from("<IIII", data, at + 8)
        if va <= rva < va + max(vsize, rsize):
            return int(raw + rva - va)
        at += 40
    return rva if rva < at else -1


def check(data: bytes) -> None:
    """Raise :class:`NotDotNet` for a PE file with no CLR header (native code) and :class:`AssemblyError` for a
    file that cannot be read as .NET metadata: no PE header behind its ``MZ``, or a CLR header or metadata
    that lies past the end of the file (a truncated copy). Only a whole metadata is screened for request
    types: a cut one could name them in its missing part."""
    if len(data) < 0x40 or not data.startswith(b"MZ"):
        raise AssemblyError("not a PE file")
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if pe + 26 > len(data) or data[pe : pe + 4] != b"PE\0\0":
        raise AssemblyError("no PE header behind its MZ")
    magic = struct.unpack_from("<H", data, pe + 24)[0]
    if magic not in (0x10B, 0x20B):
        raise AssemblyError("a PE header of no known kind")
    entry = pe + 24 + (96 if magic == 0x10B else 112) + 14 * 8
    if entry + 8 > len(data):
        raise AssemblyError("PE headers cut short")
    rva, size = struct.unpack_from("<II", data, entry)
    if not (rva and size):
        raise NotDotNet("a native PE file (no CLR header)")
    clr = _rva_offset(data, pe, rva)
    if not 0 <= clr <= len(data) - 16:
        raise AssemblyError("its CLR header lies past the end of the file (cut short)")
    md_rva, md_size = struct.unpack_from("<II", data, clr + 8)
    md = _rva_offset(data, pe, md_rva)
    if not md_size or not 0 <= md <= len(data) - md_size:
        raise AssemblyError("its .NET metadata runs past the end of the file (cut short)")


def read(data: bytes, shown: str = "") -> Assembly:
    """The facts of the assembly in ``data``. Raises :class:`AssemblyError` when it is not one."""
    try:
        pe = _DNPE(data=data, fast_load=True, clr_lazy_load=True)
        pe.parse_data_directories(directories=[14])  # the COM descriptor (CLR header) only
    except Timeout:
        raise  # (the per-file budget, not a broken file)
    except Exception as exc:  # pefile/dnfile raise many kinds on hostile headers
        raise AssemblyError(f"not a readable PE file ({type(exc).__name__})") from exc
    net = getattr(pe, "net", None)
    md = getattr(net, "mdtables", None) if net is not None else None
    if md is None:
        raise AssemblyError("no .NET metadata (a native DLL, or a CLR header that does not parse)")
    asm = Assembly(shown or "assembly")
    asm.heap = getattr(net, "user_strings", None)
    try:
        tables = Tables(md, getattr(getattr(net, "metadata", None), "streams", None) or {})
        if tables.cut:
            asm.problem(f"metadata cut short ({', '.join(tables.cut[:3])})")
        rows = tables.rows("Assembly", "Name")
        if rows:
            asm.name = tables.string(rows[0][0]) or asm.name
        _read_tables(pe, tables, data, asm)
    except Timeout:
        raise
    except Exception as exc:  # a table that could not be read: what was read so far stands
        asm.problem(f"metadata partly unreadable ({type(exc).__name__})")
    return asm


#: Coded indexes (ECMA-335 II.24.2.6): tag bits and the tables the tags name, in order ("" for unused tags).
_CODED: dict[str, tuple[int, tuple[str, ...]]] = {
    "TypeDefOrRef": (2, ("TypeDef", "TypeRef", "TypeSpec")),
    "ResolutionScope": (2, ("Module", "ModuleRef", "AssemblyRef", "TypeRef")),
    "MemberRefParent": (3, ("TypeDef", "TypeRef", "ModuleRef", "MethodDef", "TypeSpec")),
    "HasCustomAttribute": (5, ("MethodDef", "Field", "TypeRef", "TypeDef", "Param")),
    "CustomAttributeType": (3, ("", "", "MethodDef", "MemberRef")),
    "MemberForwarded": (1, ("Field", "MethodDef")),
    "MethodDefOrRef": (1, ("MethodDef", "MemberRef")),
}


def coded(kind: str, value: int) -> tuple[str, int]:
    """(table name, row) of a coded index value; ("", 0) for a tag this reader has no use for."""
    bits, names = _CODED[kind]
    tag = value & ((1 << bits) - 1)
    return (names[tag], value >> bits) if tag < len(names) and names[tag] else ("", 0)


class Tables:
    """The metadata tables read straight from the ``#~`` stream's bytes (dnfile lays them out: where each
    table starts, its row size and column widths), one C-level unpack per table, and the ``#Strings`` and
    ``#Blob`` heaps read on demand.

    Why not dnfile's rows: it builds every row of every table as Python objects with resolved flags, heap
    items and coded indexes (~1-1.6 CPU-s and ~70 MB a MB of assembly); the analysis needs a few columns of
    eleven tables, as integers, and a few thousand of their strings."""

    def __init__(self, md: Any, streams: Any) -> None:
        self._md = md
        heap = streams.get(b"#Strings") if hasattr(streams, "get") else None
        blob = streams.get(b"#Blob") if hasattr(streams, "get") else None
        self._strings: bytes = getattr(heap, "__data__", None) or b""
        self._blobs: bytes = getattr(blob, "__data__", None) or b""
        self._text: dict[int, str] = {}
        self._cache: dict[str, list[tuple[int, ...]]] = {}
        self.cut: list[str] = []  # tables whose rows run past the stream (a truncated or forged file)

    def count(self, name: str) -> int:
        table = getattr(self._md, name, None)
        return min(int(getattr(table, "num_rows", 0) or 0), MAX_ROWS) if table is not None else 0

    def rows(self, name: str, *columns: str) -> list[tuple[int, ...]]:
        """The named columns of every row of table ``name`` (at most :data:`MAX_ROWS`; [] when absent)."""
        key = name + ":" + ",".join(columns)
        if key in self._cache:
            return self._cache[key]
        table = getattr(self._md, name, None)
        out: list[tuple[int, ...]] = []
        n = self.count(name)
        raw: bytes = getattr(table, "_table_data", None) or b""
        listed = getattr(table, "rows", None)
        spec = getattr(listed[0], "_format", None) if n and listed else None  # (dnfile parses that row only)
        if n and spec:
            codes = [c.split(",", 1) for c in spec[1]]
            layout = "<" + "".join(code for code, _ in codes)
            size = struct.calcsize(layout)
            have = min(n, len(raw) // size) if size else 0
            if have < int(getattr(table, "num_rows", 0) or 0) and have < MAX_ROWS:
                self.cut.append(f"{name}: {have:,} of {int(getattr(table, 'num_rows', 0) or 0):,} rows")
            names = [column.split("_", 1)[0] for _, column in codes]
            picks = [names.index(c) for c in columns]
            out = [tuple(row[i] for i in picks) for row in struct.iter_unpack(layout, raw[: have * size])]
        elif n:
            self.cut.append(f"{name}: unreadable")
        self._cache[key] = out
        return out

    def string(self, at: int) -> str:
        """The ``#Strings`` heap entry at offset ``at`` ("" when outside the heap)."""
        text = self._text.get(at)
        if text is None:
            if 0 <= at < len(self._strings):
                end = self._strings.find(b"\0", at, at + 4096)
                text = self._strings[at : end if end >= 0 else at + 4096].decode("utf-8", "replace")
            else:
                text = ""
            self._text[at] = text
        return text

    def blob(self, at: int) -> bytes:
        """The ``#Blob`` heap entry at offset ``at`` (b"" when outside the heap or its length is broken)."""
        try:
            size, start = _compressed(self._blobs, at)
        except ValueError:
            return b""
        return self._blobs[start : start + size]


def _runs(starts: list[int], total: int) -> list[tuple[int, int]]:
    """The [first, last] rows each row's list column names (a TypeDef's methods, a method's parameters): up
    to the next row's start, or the end of the target table; (0, -1) when empty."""
    out = []
    for i, first in enumerate(starts):
        last = min(starts[i + 1] - 1, total) if i + 1 < len(starts) else total
        out.append((first, last) if first and first <= last else (0, -1))
    return out


def _read_tables(pe: Any, t: Tables, data: bytes, asm: Assembly) -> None:
    typerefs = t.rows("TypeRef", "ResolutionScope", "TypeName", "TypeNamespace")
    typedefs = t.rows("TypeDef", "TypeName", "TypeNamespace", "Extends", "MethodList")
    methods = t.rows("MethodDef", "Rva", "Flags", "Name", "Signature", "ParamList")
    ref_names: dict[int, str] = {}

    def typeref_name(rid: int, depth: int = 0) -> str:
        if rid in ref_names:
            return ref_names[rid]
        if not 0 < rid <= len(typerefs) or depth > 8:
            return "?"
        scope_value, name_at, ns_at = typerefs[rid - 1]
        scope, srid = coded("ResolutionScope", scope_value)
        name, ns = t.string(name_at), t.string(ns_at)
        full = f"{typeref_name(srid, depth + 1)}/{name}" if scope == "TypeRef" else (f"{ns}.{name}" if ns else name)
        ref_names[rid] = full
        return full

    nested: dict[int, int] = {}
    for inner, outer in t.rows("NestedClass", "NestedClass", "EnclosingClass"):
        if inner and outer and inner != outer:
            nested[inner] = outer
    def_names: dict[int, str] = {}

    def typedef_name(rid: int, depth: int = 0) -> str:
        if rid in def_names:
            return def_names[rid]
        if not 0 < rid <= len(typedefs) or depth > 8:
            return "?"
        name, ns = t.string(typedefs[rid - 1][0]), t.string(typedefs[rid - 1][1])
        full = f"{typedef_name(nested[rid], depth + 1)}/{name}" if rid in nested else (f"{ns}.{name}" if ns else name)
        def_names[rid] = full
        return full

    def type_of(kind: str, value: int) -> str:
        table, rid = coded(kind, value)
        if table == "TypeRef":
            return typeref_name(rid)
        if table == "TypeDef":
            return typedef_name(rid)
        return "?"

    # which type each method belongs to: a type's MethodList runs up to the next type's
    owner: dict[int, str] = {}
    starts: list[tuple[int, int]] = []
    runs = _runs([row[3] for row in typedefs], t.count("MethodDef"))
    for i, (_n, _ns, extends, _ml) in enumerate(typedefs, start=1):
        first = runs[i - 1][0]
        if first:
            starts.append((first, i))
        full = typedef_name(i)
        chain: list[str] = []
        base = extends
        seen = {i}
        for _ in range(8):  # base types: within this assembly, then the first one outside it
            table, brid = coded("TypeDefOrRef", base)
            if table == "TypeDef" and 0 < brid <= len(typedefs) and brid not in seen:
                seen.add(brid)
                chain.append(typedef_name(brid))
                base = typedefs[brid - 1][2]
                continue
            if table == "TypeRef":
                chain.append(typeref_name(brid))
            break
        asm.bases[full] = tuple(chain)
    starts.sort()
    for n, (first, tid) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(methods) + 1
        for rid in range(first, min(end, len(methods) + 1)):
            owner.setdefault(rid, typedef_name(tid))

    memberrefs = t.rows("MemberRef", "Class", "Name", "Signature")
    attributes: dict[int, list[str]] = {}
    type_attributes: dict[int, list[str]] = {}
    for parent, ctor in t.rows("CustomAttribute", "Parent", "Type"):
        ptable, prid = coded("HasCustomAttribute", parent)
        if ptable == "MethodDef":
            into = attributes
        elif ptable == "TypeDef":  # ([Authorize] on a controller class)
            into = type_attributes
        else:
            continue
        ttable, trid = coded("CustomAttributeType", ctor)
        if ttable == "MemberRef" and 0 < trid <= len(memberrefs):
            into.setdefault(prid, []).append(type_of("MemberRefParent", memberrefs[trid - 1][0]))
        elif ttable == "MethodDef":
            into.setdefault(prid, []).append(owner.get(trid, "?"))
    for trid_, names_ in type_attributes.items():
        asm.type_attributes[typedef_name(trid_)] = tuple(names_)

    params = t.rows("Param", "Sequence", "Name")
    param_runs = _runs([row[4] for row in methods], len(params))
    sections = _Sections(pe)
    for rid, (rva, flags, name_at, sig_at, _pl) in enumerate(methods, start=1):
        has_this, count, returns, _, kinds = signature(t.blob(sig_at))
        static = bool(flags & 0x10)
        name = t.string(name_at)
        mtype = owner.get(rid, "?")
        asm.members[(T_METHODDEF << 24) | rid] = Member(mtype, name, not static, count, returns, internal=rid, kinds=kinds)
        first, last = param_runs[rid - 1]
        names = [t.string(params[p - 1][1]) for p in range(first, min(last, first + 255) + 1)
                 if 0 < p <= len(params) and params[p - 1][0] > 0]
        method = Method(
            rid, mtype, name, static, count, tuple(names), flags & 0x7 == 0x6, bool(flags & 0x800), rva,
            attributes=tuple(attributes.get(rid, ())),
        )
        if method.rva:
            method.code = _body(sections, data, method, asm)
            found = _CALL_TOKEN.findall(method.code)
            tokens = {struct.unpack("<I", rid3 + table)[0] for rid3, table in found}
            method.tokens = frozenset(tokens)
            method.callees = frozenset(tk & 0xFFFFFF for tk in tokens if tk >> 24 == T_METHODDEF)
        asm.methods[rid] = method

    for rid in range(1, len(typerefs) + 1):
        asm.types[(T_TYPEREF << 24) | rid] = typeref_name(rid)
    typespecs = t.rows("TypeSpec", "Signature")
    for rid, (parent, name_at, sig_at) in enumerate(memberrefs, start=1):
        has_this, count, returns, is_field, kinds = signature(t.blob(sig_at))
        table, crid = coded("MemberRefParent", parent)
        if table == "TypeSpec" and 0 < crid <= len(typespecs):
            mtype = _typespec_name(t.blob(typespecs[crid - 1][0]), typeref_name, typedef_name)
        else:
            mtype = type_of("MemberRefParent", parent)
        asm.members[(T_MEMBERREF << 24) | rid] = Member(mtype, t.string(name_at), has_this, count, returns, is_field, kinds=kinds)
    for rid, (name_at,) in enumerate(t.rows("Field", "Name"), start=1):
        asm.members[(T_FIELD << 24) | rid] = Member("", t.string(name_at), is_field=True, internal=-rid)
    for rid, (method_ref,) in enumerate(t.rows("MethodSpec", "Method"), start=1):
        table, mrid = coded("MethodDefOrRef", method_ref)
        base = (T_METHODDEF << 24 | mrid) if table == "MethodDef" else (T_MEMBERREF << 24 | mrid)
        if table and base in asm.members:
            asm.members[(T_METHODSPEC << 24) | rid] = asm.members[base]
    modulerefs = t.rows("ModuleRef", "Name")
    for forwarded, import_at, scope in t.rows("ImplMap", "MemberForwarded", "ImportName", "ImportScope"):
        table, mrid = coded("MemberForwarded", forwarded)
        if table == "MethodDef" and mrid:
            library = t.string(modulerefs[scope - 1][0]) if 0 < scope <= len(modulerefs) else ""
            decl = asm.methods.get(mrid)
            asm.pinvoke[mrid] = (library, t.string(import_at) or (decl.name if decl else ""))


class _Sections:
    """RVA to file offset through the section table, as pefile maps it, looked up once per section."""

    def __init__(self, pe: Any) -> None:
        self._pe = pe
        self._spans: list[tuple[int, int, int]] = []  # (start RVA, end RVA, file offset of start)
        for s in getattr(pe, "sections", None) or []:
            try:
                start = int(s.VirtualAddress)
                span = (start, start + max(int(s.Misc_VirtualSize), int(s.SizeOfRawData)), int(s.get_offset_from_rva(start)))
            except Exception:  # a broken section header: its RVAs go to pefile's own mapping
                span = None
            if span is not None:
                self._spans.append(span)

    def offset(self, rva: int) -> int:
        for start, end, at in self._spans:
            if start <= rva < end:
                return at + rva - start
        try:
            return int(self._pe.get_offset_from_rva(rva))
        except Exception:
            return -1


def _typespec_name(blob: bytes, typeref_name: Any, typedef_name: Any) -> str:
    """The generic type a TypeSpec instantiates (``List`1`` of ``List<string>``), or ``?``: its blob is
    GENERICINST (0x15), CLASS/VALUETYPE, then a TypeDefOrRef coded index."""
    if len(blob) < 3 or blob[0] != 0x15:
        return "?"
    try:
        coded, _ = _compressed(blob, 2)
    except ValueError:
        return "?"
    tag, rid = coded & 0x3, coded >> 2
    if tag == 0:
        return str(typedef_name(rid))
    if tag == 1:
        return str(typeref_name(rid))
    return "?"


def _body(sections: _Sections, data: bytes, method: Method, asm: Assembly) -> bytes:
    """The IL bytes of a method (its header checked against the file), or b"" with a problem named."""
    off = sections.offset(method.rva)
    if not 0 <= off < len(data):
        asm.problem(f"{method.full}: body RVA 0x{method.rva:x} outside the file")
        return b""
    first = data[off]
    if first & 0x3 == 0x2:  # tiny header: the code size in its top six bits
        header, size = 1, first >> 2
    elif first & 0x3 == 0x3 and off + 12 <= len(data):
        flags = struct.unpack_from("<H", data, off)[0]
        header = (flags >> 12) * 4
        size = struct.unpack_from("<I", data, off + 4)[0]
        if header < 12:
            asm.problem(f"{method.full}: bad method header")
            return b""
    else:
        asm.problem(f"{method.full}: bad method header")
        return b""
    if size > MAX_CODE:
        asm.problem(f"{method.full}: body of {size:,} bytes not read (over {MAX_CODE // 1024} KB)")
        return b""
    if off + header + size > len(data):
        asm.problem(f"{method.full}: body runs past the end of the file")
        return b""
    return data[off + header : off + header + size]


#: Characters of a literal kept (a path, a SQL verb, a method name; a hostile megabyte literal is cut).
MAX_LITERAL = 512


def literal(asm: Assembly, token: int) -> str:
    """The text of an ``ldstr`` token (its #US heap entry), or "" when it cannot be read."""
    if token in asm.strings:
        return asm.strings[token]
    text = ""
    if asm.heap is not None and token >> 24 == 0x70:
        try:
            item = asm.heap.get(token & 0xFFFFFF)
            value = getattr(item, "value", None)
            text = value[:MAX_LITERAL] if isinstance(value, str) else ""
        except Timeout:
            raise
        except Exception:  # a broken heap entry (dnfile raises IndexError, UnicodeDecodeError, ...)
            text = ""
    asm.strings[token] = text
    return text


def stores_field(code: bytes) -> bool:
    """Whether a body may store into a field (a raw-byte screen: a false yes costs one walk)."""
    return _FIELD_STORE.search(code) is not None


def decode(method: Method, asm: Assembly) -> list[Instruction]:
    """The instructions of a method's body (decoded once; an undecodable tail is dropped and named)."""
    if method.instructions is not None:
        return method.instructions
    out: list[Instruction] = []
    reader = CilMethodBodyReaderBytes(method.code)
    at = 0
    end = len(method.code)
    try:
        while at < end:
            insn = reader.read_instruction(at)
            at = reader.tell()
            out.append(insn)
    except (MethodBodyFormatError, struct.error, ValueError, IndexError) as exc:
        asm.problem(f"{method.full}: IL undecodable at offset 0x{at:x} ({type(exc).__name__})")
    method.instructions = out
    return out
