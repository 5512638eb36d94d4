"""Rewrites of normalised code made before the flow walk, each keeping line numbers: a local's name made its
method's (:func:`scope_locals`), the request or response object under another name made the object itself
(:func:`member_aliases`), a file written through a stream made the same write through ``File.WriteAllText``
(:func:`stream_writes`); and where the methods lie (:func:`_method_spans`)."""

from __future__ import annotations

import re

from extriage.detections.webfiles.behaviour.arguments import _IDENT, _args, _params
from extriage.detections.webfiles.behaviour.lazy import lazy
from extriage.detections.webfiles.behaviour.syntax import (
    _METHOD_DEF,
    KEYWORDS_OF,
    VB_METHOD_END,
    VB_METHOD_HEAD,
)

#: A file opened for writing as a stream: ``new FileStream(``, ``new StreamWriter(``, ``new BinaryWriter(``,
#: ``File.Create(``, ``File.OpenWrite(``, ``File.CreateText(``, ``File.AppendText(``, ``File.Open(``.
_STREAM_OPEN = (
    r"(?:new\s+(?:System\s*\.\s*)?(?:IO\s*\.\s*)?(?:FileStream|StreamWriter|BinaryWriter)|"
    r"(?:System\s*\.\s*)?(?:IO\s*\.\s*)?File\s*\.\s*(?:Create|OpenWrite|CreateText|AppendText|Open))\s*\("
)
_STREAM_OPEN_RE = lazy(_STREAM_OPEN, re.I)
_STREAM_VAR = {
    "cs": lazy(r"(?<![\w.])([^\W\d]\w*)\s*=\s*" + _STREAM_OPEN),
    "js": lazy(r"(?<![\w.])([^\W\d]\w*)\s*(?::\s*[\w.]+\s*)?=\s*" + _STREAM_OPEN),
    "vb": lazy(r"(?<![\w.])([^\W\d]\w*)(?:\s+As\s+(?:[\w.]+\s*=\s*)?|\s*=\s*)" + _STREAM_OPEN, re.I),
}
#: What is not a file: a stream of the request, the response, memory, a socket, another writer's base.
_NOT_A_FILE = lazy(
    r"Stream\s*\(\s*\)|\.\s*(?:OutputStream|InputStream|BaseStream|GetStream\s*\(|GetRequestStream|GetResponseStream)"
    r"|\bMemoryStream\b|\bNetworkStream\b|\bCryptoStream\b|\bGZipStream\b|\bDeflateStream\b"
    r"|\bRequest\s*\.\s*(?:Body|BodyReader)\b",
    re.I,
)
#: A stream read whole as text (``new StreamReader(Request.Body).ReadToEnd()``): a string, no stream.
_TEXT_READ = lazy(
    r"\bnew\s+(?:System\s*\.\s*IO\s*\.\s*)?StreamReader\s*\((?:[^;()]|\((?:[^;()]|\([^;()]*\))*\)){0,300}\)"
    r"\s*\.\s*ReadToEnd(?:Async)?\s*\(\s*\)",
    re.I,
)
_WRITE_CALL = r"\s*\.\s*(?:Write|WriteLine|WriteAsync|WriteLineAsync)\s*\("


def stream_writes(code: str, lang: str) -> str:
    """Content written into a file through a stream, written out once more as the same write through
    ``File.WriteAllText(path, content)`` on the write's own line (line numbers kept): ``w = new
    FileStream(p, FileMode.Create); w.Write(buf, 0, n)``, ``new StreamWriter(p).Write(body)``,
    ``File.Create(p).Write(...)``, ``src.CopyTo(w)``, a writer over such a stream (``new StreamWriter(fs)``).
    The file sinks (file-write-content, page-write) then judge a stream write as they judge
    ``File.WriteAll*`` (x14 request, 2026-12-06: OilRig TwoFace's upload to %TEMP%). Streams of the
    request, the response, memory or a socket are not files."""
    if "Stream" not in code and "stream" not in code.lower() and "File" not in code:
        return code
    flags = re.I if lang == "vb" else 0
    fold = str.lower if lang == "vb" else (lambda x: x)

    def path_of(start: int, paths: dict[str, str]) -> str | None:
        """The file path given to the stream-opening call whose ``(`` ends at ``start``."""
        first = _args(code, start)[0]
        text = code[first[0] : first[1]].strip()
        if not text or _NOT_A_FILE.search(_TEXT_READ.sub(" ", text) if "ReadToEnd" in text else text):
            return None  # (a stream's text read whole is a name: Path.Combine(root, new StreamReader(s).ReadToEnd()))
        if fold(text) in paths:
            return paths[fold(text)]  # a writer over a file stream kept in a variable
        inner = _STREAM_OPEN_RE.match(text)
        if inner is not None:
            return path_of(
                first[0]
                + (len(code[first[0] : first[1]]) - len(code[first[0] : first[1]].lstrip()))
                + inner.end(),
                paths,
            )
        if _IDENT.fullmatch(text):
            held = re.search(
                r"(?<![\w.])" + re.escape(text) + r"\s*(?:As\s+[\w.]+\s*)?=\s*([^;\n]{1,300})",
                code[:start],
                flags,
            )
            if held is not None and _NOT_A_FILE.search(held.group(1)):
                return None
        return " ".join(text.split())

    paths: dict[str, str] = {}
    for m in _STREAM_VAR[lang].finditer(code):
        if len(paths) >= 50:
            break
        p = path_of(m.end(), paths)
        if p is not None:
            paths.setdefault(fold(m.group(1)), p)
    writes: list[tuple[int, str, str]] = []  # (where the write's call starts, path, content)
    for name, p in paths.items():
        for w in re.finditer(r"(?<![\w.])" + re.escape(name) + _WRITE_CALL, code, flags):
            a, b = _args(code, w.end())[0]
            if code[a:b].strip():
                writes.append((w.start(), p, code[a:b]))
        copy = r"\.\s*CopyTo(?:Async)?\s*\(\s*" + re.escape(name) + r"\s*[,)]"
        for c in re.finditer(copy, code, flags):
            # what is copied: the expression before .CopyTo, from its statement's start
            start = max(code.rfind(x, max(0, c.start() - 400), c.start()) for x in ";{}\n") + 1
            source = code[start : c.start()].strip()
            if source:
                writes.append((c.start(), p, source))
    for m in _STREAM_OPEN_RE.finditer(code):  # new StreamWriter(p).Write(body), File.Create(p).Write(...)
        close = _args(code, m.end())[-1][1]
        chained = re.compile(r"\)" + _WRITE_CALL, flags).match(code, close)
        if chained is None:
            continue
        p = path_of(m.end(), paths)
        a, b = _args(code, chained.end())[0]
        if p is not None and code[a:b].strip():
            writes.append((m.start(), p, code[a:b]))
    if not writes:
        return code
    inserts: list[tuple[int, str]] = []
    for pos, p, content in sorted(writes)[:50]:
        content = " ".join(content.split())
        if lang == "vb":
            end = code.find("\n", pos)
            end = len(code) if end < 0 else end
            inserts.append((end, f" : File.WriteAllText({p}, {content})"))
        else:
            end = code.find(";", pos)  # (after the write's statement, on its last line)
            if end < 0:
                end = code.find("\n", pos)
                end = len(code) if end < 0 else end
            else:
                end += 1
            inserts.append((end, f" File.WriteAllText({p}, {content});"))
    out = code
    for at, text in sorted(inserts, reverse=True):
        out = out[:at] + text + out[at:]
    return out


#: A local variable declared in a method: C# ``Type name =``/``;``/``,``/``in`` (group 2), VB ``Dim name`` (group 1).
_LOCAL_DECL = {
    "cs": lazy(
        r"(?<![\w.])([^\W\d][\w.]*(?:<[^<>;(){}\n]{0,200}>)?(?:\[[\s,]*\])*\??)\s+([^\W\d]\w*)\s*(?==(?![=>])|;|,|\bin\b)"
    ),
    "vb": lazy(r"\bDim\s+([^\W\d]\w*)", re.I),
}
#: Words before a name that are no type (``return x;``, ``throw e;``).
_NOT_TYPES = frozenset(
    "return throw await else case goto yield in is as new out ref params using lock if while for foreach switch "
    "catch typeof sizeof nameof base this checked unchecked get set static const readonly public private "
    "protected internal var_".split()
)
#: Braces outside literals (literals are canonical: no quote inside).
_BRACES = lazy(r'"[^"\n]*"|[{}]')
#: What scope_locals appends to a local's name (a letter, then the method's number): no code has it.
SCOPED = "\u01c4"


def _method_bodies(code: str, lang: str) -> list[tuple[int, int]]:
    """The bodies of the code's methods, outermost only, in order (C#: ``name(...) {`` to its brace;
    VB: ``Sub``/``Function`` to ``End Sub``/``End Function``)."""
    return [(a, b) for _p, _q, a, b in _method_spans(code, lang)]


_VB_PARAMS = lazy(r"\(([^()\n]{0,400})\)")


def _method_spans(code: str, lang: str) -> list[tuple[int, int, int, int]]:
    """:func:`_method_bodies` with each method's parameter list before its body: (list start, list end, body start,
    body end)."""
    out: list[tuple[int, int, int, int]] = []
    if lang == "vb":
        pos = 0
        for m in VB_METHOD_HEAD.finditer(code):
            if m.start() < pos:
                continue
            stop = VB_METHOD_END.search(code, m.end())
            if stop is None:
                break
            p = _VB_PARAMS.search(code, m.start(), m.end())
            ps, pe = (p.start(1), p.end(1)) if p is not None else (m.end(), m.end())
            out.append((ps, pe, m.end(), stop.start()))
            pos = stop.end()
        return out
    close: dict[int, int] = {}
    stack: list[int] = []
    for b in _BRACES.finditer(code):
        c = b.group(0)
        if c == "{":
            stack.append(b.start())
        elif c == "}" and stack:
            close[stack.pop()] = b.start()
    keywords = KEYWORDS_OF[lang]
    pos = 0
    for m in _METHOD_DEF[lang].finditer(code):
        if m.start() < pos or m.group(1) in keywords or code[m.end() - 1] != "{":
            continue
        end = close.get(m.end() - 1)
        if end is None:
            continue
        out.append((m.start(2), m.end(2), m.end(), end))
        pos = end
    return out


#: A local given a process's start information or standard input (``var i = p.StartInfo;``, ``Dim w As
#: StreamWriter = p.StandardInput``): the same object under another name (group 1 the name, 2 the object).
_MEMBER_ALIAS = {
    "cs": lazy(
        r"(?<![\w.])(?:(?:var|[^\W\d][\w.]{0,100})\s+)?([^\W\d]\w{0,60})\s*=\s*"
        r"((?:[^\W\d]\w{0,60}\s*\.\s*){1,4}(?:StartInfo|StandardInput))\s*;"
    ),
    "vb": lazy(
        r"^[ \t]*(?:Dim[ \t]+|Set[ \t]+)?([^\W\d]\w{0,60})(?:[ \t]+As[ \t]+[\w.]{1,100})?[ \t]*=[ \t]*"
        r"((?:[^\W\d]\w{0,60}[ \t]*\.[ \t]*){1,4}(?:StartInfo|StandardInput))[ \t]*$",
        re.I | re.M,
    ),
    "js": lazy(
        r"(?<![\w.$])(?:var[ \t]+)?([^\W\d][\w$]{0,60})(?:[ \t]*:[ \t]*[\w.]{1,100})?[ \t]*=[ \t]*"
        r"((?:[^\W\d]\w{0,60}[ \t]*\.[ \t]*){1,4}(?:StartInfo|StandardInput))[ \t]*[;\n]"
    ),
}
#: A local or parameter that holds the page's response object (``HttpResponse r = HttpContext.Current.Response;``,
#: ``var r = context.Response;``, ``void Send(HttpResponseBase r, ...)``, VB ``Dim r As HttpResponse =
#: ctx.Response``): group 1 the name, group 2 the object (empty for a parameter: the response). B8's request,
#: session 13: ``response.TransmitFile(Request[..])`` read the request's file unseen.
_RESPONSE_ALIAS = {
    "cs": lazy(
        r"(?<![\w.])(?:(?:var|(?:System\s*\.\s*Web\s*\.\s*)?HttpResponse(?:Base|Wrapper)?)\s+)?([^\W\d]\w{0,60})"
        r"\s*=\s*((?:[^\W\d]\w{0,60}\s*\.\s*){0,4}Response)\s*;"
        r"|\bHttpResponse(?:Base|Wrapper)?\s+([^\W\d]\w{0,60})\s*(?=[,)])()"
    ),
    "vb": lazy(
        r"^[ \t]*(?:Dim[ \t]+|Set[ \t]+)?([^\W\d]\w{0,60})(?:[ \t]+As[ \t]+(?:System\.Web\.)?HttpResponse(?:Base|Wrapper)?)?"
        r"[ \t]*=[ \t]*((?:[^\W\d]\w{0,60}[ \t]*\.[ \t]*){0,4}Response)[ \t]*$"
        r"|\b(?:ByVal[ \t]+)?([^\W\d]\w{0,60})[ \t]+As[ \t]+(?:System\.Web\.)?HttpResponse(?:Base|Wrapper)?[ \t]*(?=[,)])()",
        re.I | re.M,
    ),
    "js": lazy(
        r"(?<![\w.$])(?:var[ \t]+)?([^\W\d][\w$]{0,60})(?:[ \t]*:[ \t]*HttpResponse(?:Base|Wrapper)?)?[ \t]*=[ \t]*"
        r"((?:[^\W\d]\w{0,60}[ \t]*\.[ \t]*){0,4}Response)[ \t]*[;\n]"
    ),
}
#: Cheap test before the response aliases are looked for: the response taken whole, or typed.
_RESPONSE_WHOLE = lazy(r"Response[ \t]*(?:[;\r\n]|$)|HttpResponse(?:Base|Wrapper)?[ \t]+[^\W\d]", re.I | re.M)


def member_aliases(code: str, lang: str) -> str:
    """``code`` with a local that holds a process's ``StartInfo`` or ``StandardInput`` written as that member
    after it is given it, to the end of its method (``var i = p.StartInfo; i.Arguments = a; p.Start()`` reads
    as ``p.StartInfo.Arguments = a``): what is set on or written to it is set on or written to the process
    (X26's request, session 13: the HyperShell pages). Run after scope_locals (a name is one method's);
    lines do not change."""
    text, keys = (code.lower(), ("startinfo", "standardinput")) if lang == "vb" else (code, ("StartInfo", "StandardInput"))
    pattern, responses = _MEMBER_ALIAS.get(lang), _RESPONSE_ALIAS.get(lang)
    if pattern is None or responses is None:
        return code
    found: list[tuple[int, int, str, str, bool]] = []  # (start, end, name, object, a parameter)
    if any(k in text for k in keys):
        found += [(m.start(), m.end(), m.group(1), m.group(2), False) for m in pattern.finditer(code)]
    lines: set[int] = set()
    for hit in _RESPONSE_WHOLE.finditer(code):  # (the lines that can hold one: a megabyte of code has a few)
        start = code.rfind("\n", 0, max(0, code.rfind("\n", 0, hit.start()))) + 1  # (and the one before)
        if start in lines:
            continue
        lines.add(start)
        end = code.find("\n", hit.end())
        for m in responses.finditer(code, start, end if end >= 0 else len(code)):
            if m.group(1) is not None:
                found.append((m.start(), m.end(), m.group(1), m.group(2), False))
            elif lang != "js":
                found.append((m.start(), m.end(), m.group(3), "Response", True))
        if len(lines) >= 1000:
            break
    if not found:
        return code
    found = sorted(set(found))[:50]
    flags = re.I if lang == "vb" else 0
    bodies = _method_bodies(code, lang)
    for start, stop, name, obj, param in reversed(found):  # (from the end: an earlier alias's span is not moved)
        target = re.sub(r"\s+", "", obj)
        said = name.lower() if lang == "vb" else name
        if said in ("var", "dim", "set", "Response", "response" if lang == "vb" else "") or target.split(".")[0] == name:
            continue
        if param:  # to the end of the method whose parameter it is (the first body after it)
            stop, end = next(((a, b) for a, b in bodies if a >= stop), (stop, stop))
        else:
            end = next((b for a, b in bodies if a <= start < b), len(code))
        use = re.compile(r"(?<![\w.$])" + re.escape(name) + r"(?=\s*\.\s*[^\W\d])", flags)
        code = code[:stop] + use.sub(target.replace("\\", r"\\"), code[stop:end]) + code[end:]
    return code


def scope_locals(code: str, lang: str) -> str:
    """``code`` with the locals that two methods (or more) declare under one name renamed per method
    (``note`` -> ``note`` + :data:`SCOPED` + the method's number), so the taint of one method's local does
    not become another's (B6's request, session 12: dasBlog's entry editor). Names are the taint's keys; a
    local lives in its method. Literals are left as they are; lines do not change."""
    decl = _LOCAL_DECL.get(lang)
    if decl is None:
        return code
    fold = str.lower if lang == "vb" else str
    group = 1 if lang == "vb" else 2

    def declared(m: re.Match[str]) -> bool:
        return lang == "vb" or fold(m.group(1)) not in _NOT_TYPES

    counts: dict[str, int] = {}
    for m in decl.finditer(code):
        if declared(m):
            key = fold(m.group(group))
            counts[key] = counts.get(key, 0) + 1
    # a method's parameters are its own names too (B14's request, session 16: a helper's parameter `name` given request
    # text made the caller's later local `name`, a fixed log path, the request's)
    keywords = KEYWORDS_OF[lang]
    for m in _METHOD_DEF[lang].finditer(code):
        if fold(m.group(1)) not in keywords:
            for p in _params(m.group(2), lang):
                counts[fold(p)] = counts.get(fold(p), 0) + 1
    if not any(n > 1 for n in counts.values()):
        return code  # (most pages: every local name declared once)
    spans = _method_spans(code, lang)
    bodies = [(ps, b) for ps, _pe, _a, b in spans]  # (a method's names: its parameters and its locals)
    per_body: list[set[str]] = []
    seen: dict[str, int] = {}
    for ps, pe, a, b in spans:
        names = {fold(m.group(group)) for m in decl.finditer(code, a, b) if declared(m)}
        names.update(fold(p) for p in _params(code[ps:pe], lang))
        per_body.append(names)
        for n in names:
            seen[n] = seen.get(n, 0) + 1
    scoped = {n for n, k in seen.items() if k > 1}
    if not scoped:
        return code
    flags = re.I if lang == "vb" else 0
    out: list[str] = []
    pos = 0
    for i, ((a, b), names) in enumerate(zip(bodies, per_body, strict=True)):
        mine = names & scoped
        if not mine:
            continue
        pattern = re.compile(
            r'"[^"\n]*"|(?<![\w.])(' + "|".join(map(re.escape, sorted(mine, key=len, reverse=True))) + r")\b(?!\s*:(?!:))",
            flags,
        )
        suffix = f"{SCOPED}{i}"

        def renamed(m: re.Match[str], x: str = suffix) -> str:
            return m.group(0) if m.group(1) is None else m.group(1) + x

        out.append(code[pos:a])
        out.append(pattern.sub(renamed, code[a:b]))
        pos = b
    out.append(code[pos:])
    return "".join(out)
