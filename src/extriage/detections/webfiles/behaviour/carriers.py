"""What carries request input besides a plain assignment, for the flow walk's rounds: VB ``Dim x As New T(..)``, C#
``X => ..`` members, builders and lists given a value, ``foreach`` variables, ``Read(buf)`` out arguments, array
copies and returns (:func:`other_carriers`); the parameters of a class .NET Remoting serves (:func:`remote_parameters`);
the files a page lists (:func:`listings`). Each takes the analyser (:class:`taint._Analyser`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from extriage.detections.webfiles.behaviour.arguments import _IDENT, _args, _args_at, _params
from extriage.detections.webfiles.behaviour.lazy import lazy
from extriage.detections.webfiles.behaviour.syntax import line_of, top_level
from extriage.detections.webfiles.behaviour.value import _Taint

if TYPE_CHECKING:
    from extriage.detections.webfiles.behaviour.taint import _Analyser

#: Expression-bodied members: ``string Name => expr;`` / ``string Take(k) => expr;``.
_ARROW_MEMBER = lazy(r"\b([^\W\d]\w*)\s*(?:\([^();{}]{0,400}\))?\s*=>\s*(?=([^;{]{1,2000}))")
#: Calls that put a value into their receiver (a builder, a list, a dictionary, a stack).
_MUTATOR = lazy(
    r"(?<![\w.])([^\W\d]\w*)\s*\.\s*(?:Append|AppendLine|AppendFormat|Insert|Add|AddRange|Push|Enqueue)\s*\(",
    re.I,
)
#: Calls that fill their first argument from the receiver: ``stream.Read(buf, ...)``, ``CopyTo(ms)``.
#: (A name, not a member chain: ``CopyTo(context.Response.OutputStream)`` fills the response, not ``context``.)
_OUT_ARG = lazy(r"\.\s*(?:Read|ReadBlock|ReadAsync|CopyTo|CopyToAsync)\s*\(\s*([^\W\d]\w*)(?=\s*[,)])", re.I)
#: Copies from a source array into a destination: (regex, index of source arg, index of target arg).
_COPY = lazy(r"\b(?:Buffer\s*\.\s*BlockCopy|Array\s*\.\s*Copy)\s*\(", re.I)
_ASSIGN = {
    "cs": lazy(
        r"(?<![\w.])([^\W\d]\w*)((?:\s*\.\s*[^\W\d]\w*){0,4})\s*(?:\[[^\];]{0,200}\]\s*)?[+|^]?=(?![=>])"
        r"(?=((?:[^;\"]|\"[^\"\n]*\"){1,2000}))"  # (the value: to its ';', a literal's ';' inside it - session 17)
    ),
    "vb": lazy(
        r"(?<![\w.])([^\W\d]\w*)((?:\s*\.\s*[^\W\d]\w*){0,4})\s*(?:\([^)\n]{0,200}\)\s*)?(?:As\s+(?:New\s+)?[\w.]+(?:\(\))?\s*)?[+&]?=(?=([^\n]{1,2000}))",
        re.I,
    ),
}
#: A class whose objects .NET Remoting serves to remote callers (``class Svc : MarshalByRefObject``, VB ``Inherits
#: MarshalByRefObject``), and the code exposing one (a well-known service type registered, an object marshalled, a
#: remoting configuration loaded): its public methods' parameters are what a remote client sends (X32's
#: RemotingUriShell, session 15: a payload class registering ``Exec(string cmd)`` on the application's channel).
_REMOTABLE_CLASS = {
    "cs": lazy(r"\bclass\s+[^\W\d]\w*\s*:\s*(?:System\s*\.\s*)?MarshalByRefObject\b"),
    "vb": lazy(
        r"\bClass\s+[^\W\d]\w*\s*(?:\r?\n|:)\s*Inherits\s+(?:System\s*\.\s*)?MarshalByRefObject\b", re.I
    ),
}
#: A public method of such a class (group 1 its parameters).
_REMOTE_METHOD = {
    "cs": lazy(
        r"\bpublic\s+(?:(?:virtual|override|new|async)\s+){0,3}(?!class\b)[\w.<>\[\],?]{1,100}\s+[^\W\d]\w*\s*\(([^()]{1,400})\)"
    ),
    "vb": lazy(r"^[ \t]*Public\s+(?:(?:Overridable|Overrides|Shadows)\s+){0,3}(?:Function|Sub)\s+[^\W\d]\w*\s*\(([^()\n]{1,400})\)", re.I | re.M),
}
_CLASS_END = {"vb": lazy(r"^[ \t]*End\s+Class\b", re.I | re.M)}
_VB_DIM_NEW = lazy(r"\bDim\s+([^\W\d]\w*)\s+As\s+New\s+([^\n]{1,2000})", re.I)
_FOREACH = {
    "cs": lazy(
        r"\bforeach\s*\(\s*[\w.<>\[\],\s]{0,100}?\s([^\W\d]\w*)\s+in\s+([^;{}]{1,400}?)\)\s*(?:\{|[^\W\d])"
    ),
    "js": lazy(r"\bfor\s*\(\s*(?:var\s+)?([^\W\d]\w*)\s+in\s+([^)\n]{1,400})\)"),
    "vb": lazy(r"\bFor\s+Each\s+([^\W\d]\w*)(?:\s+As\s+[\w.]+)?\s+In\s+([^\n]{1,400})", re.I),
}
_RETURN = {
    "cs": lazy(r"\breturn\b([^;]{1,2000})"),
    "js": lazy(r"\breturn\b([^;\n]{1,2000})"),
    "vb": lazy(r"\bReturn\b([^\n]{1,2000})", re.I),
}
#: A listing of a folder's files: ``Directory.GetFiles(``, ``GetFileSystemEntries``, ``EnumerateFiles``, a
#: DirectoryInfo's ``.GetFiles(`` / ``.EnumerateFiles(`` / ``.GetFileSystemInfos(`` (VB ``My.Computer.FileSystem.GetFiles``).
_LISTING = lazy(
    r"\b(?:Directory|FileSystem)\s*\.\s*(?:GetFiles|GetFileSystemEntries|EnumerateFiles|EnumerateFileSystemEntries)\s*\("
    r"|\.\s*(?:GetFiles|EnumerateFiles|GetFileSystemInfos|EnumerateFileSystemInfos)\s*\(",
    re.I,
)
#: Bytes written into a memory stream of the page's (``acc.Write(buf, 0, n)``): the stream holds them (a message
#: assembled from fragments); only for names the page makes a MemoryStream (a writer to a file or the response is no
#: value's carrier).
_STREAM_WRITE = lazy(r"(?<![\w.])([^\W\d]\w*)\s*\.\s*Write\s*\(")
_MEMORY_STREAM = lazy(
    r"(?<![\w.])([^\W\d]\w*)\s*(?:=|As)\s*New\s+(?:System\s*\.\s*IO\s*\.\s*)?MemoryStream\s*\(", re.I
)


def other_carriers(an: _Analyser) -> list[tuple[str, re.Match[str], tuple[int, int], frozenset[str]]]:
    """The other statements propagate reads each round, in its order - VB ``Dim x As New T(...)``, C#
    ``X => ...`` members, builders and lists given a value, ``foreach`` variables, ``Read(buf)`` out
    arguments, array copies, returns - as (kind, match, the span read, the names it reads and sets)."""
    code, lang, fold = an.code, an.lang, an.fold
    out: list[tuple[str, re.Match[str], tuple[int, int], frozenset[str]]] = []

    def said(a: int, b: int, *extra: str) -> frozenset[str]:
        return frozenset(map(fold, [*_IDENT.findall(code, a, b), *extra]))

    if lang == "vb":
        for m in _VB_DIM_NEW.finditer(code):
            out.append(("set", m, (m.start(2), m.end(2)), said(m.start(2), m.end(2), m.group(1))))
    if lang == "cs":
        for m in _ARROW_MEMBER.finditer(code):
            out.append(("set", m, (m.start(2), m.end(2)), said(m.start(2), m.end(2), m.group(1))))
    for m in _MUTATOR.finditer(code):
        spans = _args_at(code, m.end(), an._brackets())
        out.append(("mutator", m, (0, 0), said(m.end(), spans[-1][1] if spans else m.end(), m.group(1))))
    if "MemoryStream" in code or "memorystream" in code.lower():
        streams = {fold(s.group(1)) for s in _MEMORY_STREAM.finditer(code)}
        for m in _STREAM_WRITE.finditer(code) if streams else ():
            if fold(m.group(1)) in streams:
                spans = _args_at(code, m.end(), an._brackets())
                out.append(("mutator", m, (0, 0), said(m.end(), spans[-1][1] if spans else m.end(), m.group(1))))
    for m in _FOREACH[lang].finditer(code):
        out.append(("set", m, (m.start(2), m.end(2)), said(m.start(2), m.end(2), m.group(1))))
    for m in _OUT_ARG.finditer(code):
        s, _e = an.statement(m.start())
        out.append(("out", m, (s, m.start()), said(s, m.start(), m.group(1))))
    for m in _COPY.finditer(code):
        spans = _args(code, m.end())
        if len(spans) >= 3:
            out.append(("copy", m, (0, 0), said(m.end(), spans[-1][1])))
    for m in _RETURN[lang].finditer(code):
        out.append(("return", m, (m.start(1), m.end(1)), said(m.start(1), m.end(1))))
    return out


def remote_parameters(an: _Analyser) -> None:
    """The parameters of the public methods of a class .NET Remoting serves (see _REMOTABLE_CLASS), in code that
    exposes one: request values, as a web method's are (the first 20 such classes; their bodies to the brace that
    closes them, VB to ``End Class``)."""
    code, lang = an.code, an.lang
    for n, c in enumerate(_REMOTABLE_CLASS[lang].finditer(code)):
        if n >= 20:
            break
        if lang == "vb":
            end_m = _CLASS_END["vb"].search(code, c.end())
            end = end_m.start() if end_m is not None else len(code)
        else:
            brace = code.find("{", c.end(), c.end() + 400)
            if brace < 0:
                continue
            _stops, close = top_level(code, brace + 1, len(code), "")
            end = close if close >= 0 else len(code)
        for m in _REMOTE_METHOD[lang].finditer(code, c.end(), end):
            for name in _params(m.group(1), lang):
                an._add(name, _Taint({"value"}, True, line_of(code, m.start()), "remoting call parameter"))


def listings(an: _Analyser) -> None:
    """Files the page lists (Directory.GetFiles, DirectoryInfo.GetFiles, ...): a path it did not write
    out, one of many (the site-infector sink). The foreach variable over a listing, or the name a listing
    is assigned to (and a foreach over that name), get the kind ``listed`` before the fixpoint (so it
    travels); request input reaching them later is added to it (see taint._Analyser._add: a request-chosen
    folder's files stay the request's too). No other sink takes the kind."""
    code, lang = an.code, an.lang
    targets: list[tuple[str, int]] = []
    for n, lm in enumerate(_LISTING.finditer(code)):
        if n >= 1000 or len(targets) >= 50:
            break
        s, _e = an.statement(lm.start())
        while s < lm.start() and code[s] in " \t\r\n":
            s += 1
        fe = _FOREACH[lang].match(code, s)
        if fe is not None and fe.start(2) <= lm.start() < fe.end(2):
            targets.append((fe.group(1), lm.start()))
            continue
        # (the last assignment before the listing: string[] files = Directory.GetFiles(...))
        last = list(_ASSIGN[lang].finditer(code, s, lm.start()))[-1:]
        if last:
            targets.append((last[0].group(1), lm.start()))
    listed = {an.fold(name) for name, _pos in targets}
    if listed:  # foreach (string f in files), files listed above
        alt = re.compile(
            r"^\s*(?:" + "|".join(map(re.escape, sorted(listed))) + r")\b", re.I if lang == "vb" else 0
        )
        for fe in _FOREACH[lang].finditer(code):
            if alt.match(fe.group(2)) and len(targets) < 100:
                targets.append((fe.group(1), fe.start()))
    for name, pos in targets:
        key = an.fold(name)
        if key in an.keywords:
            continue
        if key not in an.taint:
            an._add(name, _Taint({"listed"}, True, line_of(code, pos), "a listed file"))
