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
    strings: dict[int, str] = field(default_factory=dict)

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)


def _s(value: Any) -> str:
    """A metadata string (dnfile's heap item, a str, or None) as text."""
    if value is None:
        return ""
    text = getattr(value, "value", value)
    return text if isinstance(text, str) else str(text)


def _blob(value: Any) -> bytes:
    raw = getattr(value, "value", None)
    return raw if isinstance(raw, bytes) else b""


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


def _rows(md: Any, table: str) -> list[Any]:
    """The rows of a metadata table ([] when absent), at most :data:`MAX_ROWS`."""
    t = getattr(md, table, None)
    if t is None:
        return []
    rows = t.rows if hasattr(t, "rows") else list(t)
    return list(rows[:MAX_ROWS])


def _index(ref: Any) -> tuple[str, int]:
    """(table name, row) of a coded index, or ("", 0) when it is broken."""
    if ref is None:
        return "", 0
    table = getattr(ref, "table", None)
    name = getattr(table, "name", "") if table is not None else ""
    return str(name or ""), int(getattr(ref, "row_index", 0) or 0)


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
        rows = _rows(md, "Assembly")
        if rows:
            asm.name = _s(rows[0].Name) or asm.name
        _read_tables(pe, md, data, asm)
    except Timeout:
        raise
    except Exception as exc:  # a table dnfile could not read: what was read so far stands
        asm.problem(f"metadata partly unreadable ({type(exc).__name__})")
    return asm


def _read_tables(pe: Any, md: Any, data: bytes, asm: Assembly) -> None:
    typerefs = _rows(md, "TypeRef")
    typedefs = _rows(md, "TypeDef")
    methods = _rows(md, "MethodDef")
    ref_names: dict[int, str] = {}

    def typeref_name(rid: int, depth: int = 0) -> str:
        if rid in ref_names:
            return ref_names[rid]
        if not 0 < rid <= len(typerefs) or depth > 8:
            return "?"
        row = typerefs[rid - 1]
        scope, srid = _index(getattr(row, "ResolutionScope", None))
        name = _s(row.TypeName)
        ns = _s(row.TypeNamespace)
        full = f"{typeref_name(srid, depth + 1)}/{name}" if scope == "TypeRef" else (f"{ns}.{name}" if ns else name)
        ref_names[rid] = full
        return full

    nested: dict[int, int] = {}
    for row in _rows(md, "NestedClass"):
        _t, inner = _index(getattr(row, "NestedClass", None))
        _t, outer = _index(getattr(row, "EnclosingClass", None))
        if inner and outer and inner != outer:
            nested[inner] = outer
    def_names: dict[int, str] = {}

    def typedef_name(rid: int, depth: int = 0) -> str:
        if rid in def_names:
            return def_names[rid]
        if not 0 < rid <= len(typedefs) or depth > 8:
            return "?"
        row = typedefs[rid - 1]
        name, ns = _s(row.TypeName), _s(row.TypeNamespace)
        full = f"{typedef_name(nested[rid], depth + 1)}/{name}" if rid in nested else (f"{ns}.{name}" if ns else name)
        def_names[rid] = full
        return full

    def type_of(ref: Any) -> str:
        table, rid = _index(ref)
        if table == "TypeRef":
            return typeref_name(rid)
        if table == "TypeDef":
            return typedef_name(rid)
        return "?"

    # which type each method belongs to: a type's MethodList runs up to the next type's
    owner: dict[int, str] = {}
    starts: list[tuple[int, int]] = []
    for i, row in enumerate(typedefs, start=1):
        lst = getattr(row, "MethodList", None) or []
        first = int(getattr(lst[0], "row_index", 0) or 0) if lst else 0
        if first:
            starts.append((first, i))
        full = typedef_name(i)
        chain: list[str] = []
        base = getattr(row, "Extends", None)
        seen = {i}
        for _ in range(8):  # base types: within this assembly, then the first one outside it
            table, brid = _index(base)
            if table == "TypeDef" and 0 < brid <= len(typedefs) and brid not in seen:
                seen.add(brid)
                chain.append(typedef_name(brid))
                base = getattr(typedefs[brid - 1], "Extends", None)
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

    attributes: dict[int, list[str]] = {}
    for row in _rows(md, "CustomAttribute"):
        ptable, prid = _index(getattr(row, "Parent", None))
        if ptable != "MethodDef":
            continue
        ttable, trid = _index(getattr(row, "Type", None))
        ctor = getattr(getattr(row, "Type", None), "row", None)
        if ttable == "MemberRef" and ctor is not None:
            attributes.setdefault(prid, []).append(type_of(getattr(ctor, "Class", None)))
        elif ttable == "MethodDef":
            attributes.setdefault(prid, []).append(owner.get(trid, "?"))

    for rid, row in enumerate(methods, start=1):
        flags = getattr(row, "Flags", None)
        has_this, count, returns, _, kinds = signature(_blob(getattr(row, "Signature", None)))
        static = bool(getattr(flags, "mdStatic", False))
        name = _s(row.Name)
        mtype = owner.get(rid, "?")
        asm.members[(T_METHODDEF << 24) | rid] = Member(mtype, name, not static, count, returns, internal=rid, kinds=kinds)
        names: list[str] = []
        for p in (getattr(row, "ParamList", None) or [])[:256]:
            prow = getattr(p, "row", None)
            if prow is not None and int(getattr(prow, "Sequence", 0) or 0) > 0:
                names.append(_s(prow.Name))
        method = Method(
            rid,
            mtype,
            name,
            static,
            count,
            tuple(names),
            bool(getattr(flags, "mdPublic", False)),
            bool(getattr(flags, "mdSpecialName", False)),
            int(getattr(row, "Rva", 0) or 0),
            attributes=tuple(attributes.get(rid, ())),
        )
        if method.rva:
            method.code = _body(pe, data, method, asm)
            found = _CALL_TOKEN.findall(method.code)
            tokens = {struct.unpack("<I", rid3 + table)[0] for rid3, table in found}
            method.tokens = frozenset(tokens)
            method.callees = frozenset(t & 0xFFFFFF for t in tokens if t >> 24 == T_METHODDEF)
        asm.methods[rid] = method

    for rid, row in enumerate(_rows(md, "MemberRef"), start=1):
        has_this, count, returns, is_field, kinds = signature(_blob(getattr(row, "Signature", None)))
        table, crid = _index(getattr(row, "Class", None))
        if table == "TypeRef":
            mtype = typeref_name(crid)
        elif table == "TypeDef":
            mtype = typedef_name(crid)
        elif table == "TypeSpec":
            mtype = _typespec_name(getattr(row, "Class", None), typeref_name, typedef_name)
        else:
            mtype = "?"
        asm.members[(T_MEMBERREF << 24) | rid] = Member(mtype, _s(row.Name), has_this, count, returns, is_field, kinds=kinds)
    for rid, row in enumerate(_rows(md, "Field"), start=1):
        asm.members[(T_FIELD << 24) | rid] = Member("", _s(row.Name), is_field=True, internal=-rid)
    for rid, row in enumerate(_rows(md, "MethodSpec"), start=1):
        table, mrid = _index(getattr(row, "Method", None))
        base = (T_METHODDEF << 24 | mrid) if table == "MethodDef" else (T_MEMBERREF << 24 | mrid)
        if base in asm.members:
            asm.members[(T_METHODSPEC << 24) | rid] = asm.members[base]
    for row in _rows(md, "ImplMap"):
        table, mrid = _index(getattr(row, "MemberForwarded", None))
        scope = getattr(getattr(row, "ImportScope", None), "row", None)
        if table == "MethodDef" and mrid:
            library = _s(getattr(scope, "Name", "")) if scope is not None else ""
            asm.pinvoke[mrid] = (library, _s(row.ImportName) or asm.methods.get(mrid, Method(0, "", "", True, 0, (), False, False, 0)).name)


def _typespec_name(ref: Any, typeref_name: Any, typedef_name: Any) -> str:
    """The generic type a TypeSpec instantiates (``List`1`` of ``List<string>``), or ``?``: its blob is
    GENERICINST (0x15), CLASS/VALUETYPE, then a TypeDefOrRef coded index."""
    row = getattr(ref, "row", None)
    blob = _blob(getattr(row, "Signature", None)) if row is not None else b""
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


def _body(pe: Any, data: bytes, method: Method, asm: Assembly) -> bytes:
    """The IL bytes of a method (its header checked against the file), or b"" with a problem named."""
    try:
        off = int(pe.get_offset_from_rva(method.rva))
    except Exception:
        off = -1
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
