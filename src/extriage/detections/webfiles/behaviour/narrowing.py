"""What makes a value the flow walk reaches no longer the request's input taken whole: literal text appended to it or
held before it, a conversion of it to a number, a date or a GUID, a record the application looks up by the request's
ids, rows its database returned, part of a value a page's own helper returns. Each takes the analyser
(:class:`taint._Analyser`); ``propagate`` asks them of each assignment it reads."""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import TYPE_CHECKING

from extriage.detections.webfiles.behaviour.arguments import _args
from extriage.detections.webfiles.behaviour.lazy import lazy

if TYPE_CHECKING:
    from extriage.detections.webfiles.behaviour.taint import _Analyser

#: A call that puts literal text of its own into its receiver (``sb.Append("select ")``).
_ADDS_LITERAL = lazy(
    r'(?<![\w.])([^\W\d]\w*)\s*\.\s*(?:Append\w*|Insert|Add)\s*\((?:\s*\d+\s*,)?\s*"[^"\n]*[^"\s]', re.I
)
#: A value that is one call of a plain name, ``Name(`` (its name is group 1).
_CALLED_NAME = lazy(r"\s*(?:this\s*\.\s*|Me\s*\.\s*)?([^\W\d]\w*)\s*\(", re.I)
#: A value converted whole to a number, date, Boolean or GUID (``Guid.Parse(id)``, ``Convert.ToInt32(x)``,
#: VB ``CInt(x)``): what is left of the request cannot name a file, a command or a query.
_TYPED_CORE = (
    r"(?:(?:System\s*\.\s*)?(?:Guid|Int16|Int32|Int64|UInt16|UInt32|UInt64|int|uint|long|"
    r"ulong|short|ushort|decimal|Decimal|double|Double|float|Single|bool|Boolean|DateTime|DateTimeOffset|TimeSpan|"
    r"byte|Byte)\s*\.\s*Parse(?:Exact)?|(?:System\s*\.\s*)?Convert\s*\.\s*To(?:U?Int(?:16|32|64)|Decimal|Double|"
    r"Single|Boolean|DateTime|Byte)|new\s+(?:System\s*\.\s*)?Guid|C(?:Int|Lng|Dbl|Bool|Date|Dec|Short|Sng|Byte)|Val|"
    # an enum member (B5's request, session 11: a fixed set of names, bounded like a number)
    r"(?:System\s*\.\s*)?(?:\[\s*)?Enum(?:\s*\])?\s*\.\s*Parse(?:\s*<\s*[\w.]{1,100}\s*>)?)"
)
#: A network endpoint made by the page (a listener or client on a port the request may give as a number).
_NETWORK_NEW = lazy(r"\s*new\s+(?:System\s*\.\s*Net\s*\.\s*Sockets\s*\.\s*)?(?:TcpListener|TcpClient|UdpClient|Socket)\b")
#: The same conversions anywhere in a value (a record fetched by ``GetObjectById(typeof(T), Int32.Parse(id))``).
_TYPED_CALL = lazy(r"(?<![\w.])" + _TYPED_CORE + r"\s*\(", re.I)
#: The types that hold rows a database returned (a table, a set, a row, a view, a reader).
_DATA_TYPES = r"(?:System\s*\.\s*Data\s*\.\s*(?:\w+\s*\.\s*)?)?(?:DataTable|DataSet|DataRow|DataView|I?\w*DataReader)\b"
#: A call of a method of the page's own, no receiver (``FindStore(`` / ``Me.FindStore(`` / ``this.FindStore(``).
_OWN_CALL = lazy(r"\s*(?:(?:this|Me)\s*\.\s*)?([^\W\d]\w*)\s*\(", re.I)
#: A method declared to return rows (group 1 its name): C# ``DataTable FindStore(``, VB ``Function FindStore(..)
#: As DataTable``.
_DATA_METHOD = {
    "cs": lazy(r"(?<![\w.])" + _DATA_TYPES + r"\s+([^\W\d]\w*)\s*\("),
    "js": lazy(r"\bfunction\s+([^\W\d]\w*)\s*\([^()]{0,400}\)\s*:\s*" + _DATA_TYPES),
    "vb": lazy(r"\bFunction\s+([^\W\d]\w*)\s*\((?:[^()]|\([^()]*\)){0,600}\)\s*As\s+" + _DATA_TYPES, re.I),
}
#: A VB declaration's type between the name and its '=': ``As DataTable``.
_VB_AS_DATA = lazy(r"\s*As\s+" + _DATA_TYPES + r"\s*$", re.I)
#: A C# local declared as one of :data:`_DATA_TYPES` just before its name (``DataTable store = ``).
_CS_DATA_LOCAL = lazy(_DATA_TYPES + r"\s+[^\W\d]\w*$")
#: A value that is a record the application looks up by the request's ids (``item = store.Find(owner, id)``,
#: ``provider.GetFileByID(user, file)``): the receiver, then a lookup verb (Find, Lookup.., Get..By..).
_LOOKUP_CALL = lazy(
    r"\s*(?:\(\s*[\w.]+\s*\)\s*)?([^\W\d]\w*)\s*\.\s*(Find|Lookup[A-Z]\w*|Get[A-Z]\w*By[A-Z]\w*)\s*\("
)


def held_text(an: _Analyser, name: str, before: int) -> bool:
    """Whether ``name`` was last assigned something other than an empty string before ``before``
    (what a ``+=`` appends to)."""
    last = None
    flags = re.I if an.lang == "vb" else 0
    assign = r"(?<![\w.])" + re.escape(name) + r"(?:\s+As\s+[\w.]+)?\s*=(?![=>])\s*([^;\n]{1,200})"
    for a in re.finditer(assign, an.code[max(0, before - 20000) : before], flags):
        last = a.group(1).strip()
    return last is not None and last not in ('""', "string.Empty", "String.Empty", "''")


def literal_receivers(an: _Analyser) -> frozenset[str]:
    """Names that get literal text appended or added somewhere in the code (one pass, cached)."""
    if an._receivers is None:
        an._receivers = frozenset(an.fold(m.group(1)) for m in _ADDS_LITERAL.finditer(an.code))
    return an._receivers


def splices(an: _Analyser, name: str, start: int, end: int) -> bool:
    """Whether ``name = ...`` (code[start:end]) updates the name's own value with literal text of
    the page's (``p = folder + "x" + p``, ``sql.Replace("[X]", y)``): the value is then only part of
    it. Another request value mixed in does not count (it is still all the request's)."""
    rhs = an.code[start:end]
    flags = re.I if an.lang == "vb" else 0
    if (name.lower() not in rhs.lower()) if flags else (name not in rhs):
        return False  # (most assignments: no pattern compiled for the name)
    if not re.search(r"(?<![\w.])" + re.escape(name) + r"\b", rhs, flags):
        return False
    t = an.expr(start, end)
    return t is not None and not t.direct and an._literal_seen


def record_lookup(an: _Analyser, a: int, b: int, defined: set[str]) -> bool:
    """Whether the value in [a, b) is a record the application looks up with request ids: the whole value
    is a lookup call (Find, Lookup.., Get..By..) of a method the page does not define, on an object the
    page made itself with ``new`` of a type outside System (``store = new AttachmentStore()``; the
    application's own class) and the request did not give. What such a record holds (its stored path)
    is the application's, not the request's; a page's own helper is followed through its return."""
    code = an.code
    m = _LOOKUP_CALL.match(code, a, b)
    if m is None or an.fold(m.group(2)) in defined:
        return False
    spans = _args(code, m.end())
    close = spans[-1][1] if spans else m.end()
    if close >= b or code[close] != ")" or code[close + 1 : b].strip(" \t\r\n;") != "":
        return False
    recv = m.group(1)
    if an.taint.get(an.fold(recv)) is not None:
        return False
    made = an._made.get(recv)
    if made is None:  # (once per receiver: a page of many lookups costs one search each)
        pat = r"(?<![\w.])" + re.escape(recv) + r"\s*(?:=\s*|As\s+)new\s+(?!System\b)[^\W\d][\w.]*\s*\("
        made = an._made[recv] = re.search(pat, code, re.I if an.lang == "vb" else 0) is not None
    return made


def numbers_only(an: _Analyser, start: int, end: int) -> bool:
    """Whether every request input of the value in [start, end) is inside a conversion to a number, date,
    GUID or enum member (``repo.GetObjectById(typeof(Template), Int32.Parse(Request["id"]))``: a record the
    request picked by number, whose fields - a template's folder - are the application's; cuyahoga's
    TemplateEdit, benign19, listed once a DirectoryInfo's files counted in session 17)."""
    code = an.code
    if _TYPED_CALL.search(code, start, end) is None or _NETWORK_NEW.match(code, start, end):
        return False  # (a listener on the request's port is the request's channel: what it reads is input)
    spans = []
    for n, c in enumerate(_TYPED_CALL.finditer(code, start, end)):
        if n >= 50:
            return False
        args = _args(code, c.end())
        spans.append((c.start(), args[-1][1] if args else c.end()))

    def inside(pos: int) -> bool:
        return any(a <= pos < b for a, b in spans)

    for j in range(bisect_left(an._starts, start), len(an.sources)):
        s, _e, _src = an.sources[j]
        if s >= end:
            break
        if not inside(s):
            return False
    idents = an._idents()
    if idents is not None:
        for m in idents.finditer(code, start, end):
            if an.taint.get(an.fold(m.group(0))) is not None and not inside(m.start()):
                return False
    return True


def stored_data(an: _Analyser, m: re.Match[str], end: int, defined: set[str]) -> bool:
    """Whether the assignment ``m`` (value up to ``end``) gives its name rows the database returned: the whole
    value one call of a method the page defines, the name declared as a table, set, row or reader, or the
    method declared to return one (``Dim store As DataTable = FindStore(Request("store"))``). The request
    chose which rows (a query's parameter); what they hold - a tenant's server, a stored path - is the
    application's data (B19's request, session 17: a POS handler's connection string built from the columns
    of its store's row)."""
    if m.group(2):
        return False
    code, lang = an.code, an.lang
    call = _OWN_CALL.match(code, m.start(3), end)
    if call is None or an.fold(call.group(1)) not in defined:
        return False
    spans = _args(code, call.end())
    close = spans[-1][1] if spans else call.end()
    if close >= end or code[close] != ")" or code[close + 1 : end].strip(" \t\r\n;") != "":
        return False
    if lang == "vb":
        between = code[m.end(2) : m.start(3)]
        if _VB_AS_DATA.match(between[: between.rfind("=")]):
            return True
    elif lang == "cs" and _CS_DATA_LOCAL.search(code, max(0, m.start(1) - 80), m.end(1)):
        return True
    if an._data_methods is None:  # (one walk over the code for every method declared to return rows)
        an._data_methods = {an.fold(d.group(1)) for d in _DATA_METHOD[lang].finditer(code)}
    return an.fold(call.group(1)) in an._data_methods


def returns_part(an: _Analyser, start: int, methods: set[str]) -> bool:
    """Whether the value at ``start`` is a call of a method of this code (one of ``methods``) whose
    return value carries request input only in part (``CachePath(ctx, name)`` returning
    ``MapPath(Path.Combine("~/cache", name + ".png"))``)."""
    if not methods:
        return False
    call = _CALLED_NAME.match(an.code, start)
    if call is None or an.fold(call.group(1)) not in methods:
        return False
    t = an.taint.get(an.fold(call.group(1)))
    return t is not None and not t.direct
