"""Sink matching: where the code does what a sink of the knowledge table names (its spellings, on the code the
screen lets through, or the whole code of a stub page), and whether request input reaches the part of the statement
the sink takes (the argument after a comma, SQL text beside its bound values, a native function's arguments, an
upload saved under the client's name, SQL text a constant comparison ends), then the qualifiers
(:mod:`qualifiers`) that decide whether it counts. Each takes the analyser (:class:`taint._Analyser`) after its
flow walk."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from extriage.detections.webfiles.behaviour.arguments import (
    _ANY_IDENT,
    _IDENT,
    _TRIVIAL,
    _args,
    _argument_before,
    _in_literal,
    _initializer_end,
    _leading,
    _open_brackets,
    _value_start,
)
from extriage.detections.webfiles.behaviour.knowledge import Sink, occurs
from extriage.detections.webfiles.behaviour.lazy import lazy
from extriage.detections.webfiles.behaviour.qualifiers import (
    _NEW_URI,
    configured_programs_only,
    connects_only,
    dead_only,
    diagnostic_programs_only,
    image_only,
    powershell_receiver,
    query_only,
    shadowed,
    signed_in_before,
    stream_operand,
    text_reader_only,
    uri_parts_only,
    xml_parsed_only,
)
from extriage.detections.webfiles.behaviour.syntax import top_level
from extriage.detections.webfiles.behaviour.value import _Taint

if TYPE_CHECKING:
    from extriage.detections.webfiles.behaviour.taint import _Analyser

#: The longest server code a "whole" sink (a page that is nothing but a stub) is checked on; the page
#: screen leaves the "whole" sinks out (their spellings are everyday code): short code is matched whole.
WHOLE_MAX = 400
#: ``new Name(`` with a name of no namespace (``new ExampleTool()``).
_UNDOTTED_NEW = lazy(r"\bnew\s+[^\W\d]\w*\s*\(", re.I)
#: A server control in markup (other than a script block). Its attributes end at the next ``<`` as well as
#: at ``>``: one search stays linear in the page (with ``[^>]`` a page of unclosed ``<a`` tags cost one
#: search ~2,000 characters per tag, 12-17 s for 300,000 of them).
_SERVER_CONTROL = lazy(r"<(?!script\b)[\w:]+\b[^<>]{0,2000}?\brunat\s*=\s*[\"']?server", re.I)
#: The name a native declaration gives its function (C# ``extern T Name(``, VB ``Function Name``): the last.
_DECLARED_NATIVE = lazy(r"(?:\bextern\s+[\w.<>\[\]?]{1,100}\s+|\b(?:Function|Sub)\s+)([^\W\d]\w*)", re.I)
#: A file-saving call whose path is a name, or literals and names joined ("./" + name) (see save_calls).
_SAVE_CALL = lazy(
    r"(?:\.\s*SaveAs|\bnew\s+(?:System\s*\.\s*IO\s*\.\s*)?FileStream|\bFile\s*\.\s*(?:WriteAllBytes|Create|OpenWrite))"
    r'\s*\(\s*((?:"[^"\n]*"|[^\W\d]\w*)(?:\s*[+&]\s*(?:"[^"\n]*"|[^\W\d]\w*)){0,6})\s*[,)]',
    re.I,
)
#: A posted control's text: what a listener's port may come from too (the socket sink's "listen" patterns).
_CONTROL = frozenset({"control"})
#: A path built on a folder the code names by a setting, field or property (``clsConfig.UploadPath +``,
#: ``this.root +``), not by a call (``Server.MapPath(".") +`` is the page's own folder).
_NAMED_ROOT = lazy(r"\s*((?:this\s*\.\s*)?[^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*){1,3})\s*\+")
#: A save call (its path written out from locals) whose path starts with a folder held in a setting or
#: field - not the page's or the application's own folder (those are spelled by MapPath, PhysicalPath,
#: BaseDirectory ... and stay a match).
_SAVED_UNDER_SETTING = lazy(
    r"\.\s*SaveAs\s*\(\s*(?:this\s*\.\s*)?(?![^\n(+]{0,200}(?:Physical|MapPath|BaseDirectory|DirectoryName|"
    r"CurrentDirectory|AppDomain))[^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*){1,3}\s*\+",
    re.I,
)
#: The application's folder, as a page names it (what the requested path is joined to).
_APP_FOLDER = lazy(r"(?:PhysicalApplicationPath|AppDomainAppPath|BaseDirectory)$")
#: Source kinds of the page's own path (the self-delete sink).
_OWN_KINDS = frozenset({"self", "url"})
#: An uploaded file or the request body as a stream: data, never an address.
_STREAM_OPERAND = lazy(
    r"(?:[\w.]{1,200}\s*\.\s*)?(?:InputStream|PostedFile|Files\s*\[[^\]]{0,100}\])(?:\s*\.\s*InputStream)?"
)
#: SQL text the page writes that ends in a comparison of two constants (``"select ... where 11=1"``,
#: ``and 2<>3``; nothing after it, no quote opened), optionally with a ``{0}`` right after it: the
#: ``sql-channel`` sink (what follows the comparison is SQL the request appends).
_CONST_PREDICATE = lazy(
    r'"(?=[^"\n]{0,2000}?\b(?:select|update|delete|insert|exec|execute|union)\b)[^"\n]{0,2000}?'
    r"\b(?:where|and|or|having)\s+\(?\s*(?:\d{1,9}|'[^'\n]{0,20}')\s*(?:=|<>|!=|<=|>=|<|>)\s*"
    r"(?:\d{1,9}|'[^'\n]{0,20}')\s*\)?\s*(\{0\})?\"",
    re.I,
)
#: The request value itself, as the operand appended: a name, a member, literal-keyed indexers
#: (``Request["id"]``, ``Request.QueryString("f")``, ``id``, ``T1.Text``), no call of the code's own.
_PLAIN_OPERAND = lazy(
    r'\s*[^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*){0,4}(?:\s*[\[(]\s*"[^"\n]{0,100}"\s*[\])])?'
    r"(?:\s*\.\s*(?:ToString\s*\(\s*\)|Trim\s*\(\s*\)|Value))?\s*"
)
_ASSIGNED_TO = {
    "cs": lazy(r"(?<![\w.])([^\W\d]\w*)\s*=\s*$"),
    "js": lazy(r"(?<![\w.])([^\W\d]\w*)\s*(?::\s*[\w.]+\s*)?=\s*$"),
    "vb": lazy(r"(?<![\w.])([^\W\d]\w*)(?:\s+As\s+[\w.]+)?\s*=\s*$", re.I),
}
_FORMAT_OPEN = lazy(r"\b(?:String|string)\s*\.\s*Format\s*\(\s*$", re.I)
#: The sinks an application's own feature can be (application_features.yml, less the reflection dispatcher - a
#: loader's shape too): behind a check of the signed-in user they are that feature, not a planted page.
_SIGNED_IN_FEATURES = frozenset(
    "file-write file-copy file-write-content upload-to-request-path upload-beside-page upload-to-app-root "
    "file-read sql-connection sql-text sql-text-orm http-out registry directory-query".split()
)
_MEMBER_AFTER = lazy(r"\)\s*\.\s*[A-Za-z_]")
#: A sink pattern naming ADO's command type (the SQL text is an argument beside it).
_COMMAND_TYPE_TEXT = lazy(r"\bCommandType\s*\.\s*Text\b")
#: Values bound to a command's parameters, given beside its SQL text: an anonymous object, an array of
#: values or parameters, a parameter, or a name that says it holds them.
_BOUND_VALUES = lazy(
    r"\s*(?:new\s*(?:\{|\[\s*\]|[\w.]*Parameter\b|[\w.<>]+\s*\[\s*\d*\s*\])[\s\S]*"
    r"|(?i:[A-Za-z_]\w*(?:param|parm|prm|arg)\w*|null|nothing))\s*"
)
#: A reader opened on its argument (a path, or a stream).
_READER_OPEN = lazy(r"\bStreamReader\s*\(\s*$|\bStreamReader\s*\($")
#: A statement that starts by setting a member of a named object (``src.ConnectionString``, VB ``Dim``-less).
_OBJECT_SET = lazy(r"\s*[^\W\d]\w*\s*\.")


def operand(an: _Analyser, a: int, b: int) -> _Taint | None:
    """The taint of the operand starting at ``a`` (before ``b``) when it is the request value itself
    (see _PLAIN_OPERAND), taken whole. It ends at a top-level ``+``/``&``, ``,`` or a bracket closing
    the call it is an argument of."""
    while a < b and an.code[a] in " \t\r\n":
        a += 1
    stops, close = top_level(an.code, a, b, "+&,;\n" if an.lang == "vb" else "+&,;", first=True)
    b = stops[0] if stops else close if close >= 0 else b
    if not _PLAIN_OPERAND.fullmatch(an.code, a, b):
        return None
    t = an.expr(a, b, frozenset({"value", "control"}))
    return t if t is not None and t.direct else None


def sql_channels(an: _Analyser) -> tuple[dict[str, _Taint], list[tuple[int, _Taint]]]:
    """SQL text ending in a comparison of two constants with the request value appended at once: the
    names that hold it (``q = "... where 7=1"; q += Request["id"];``, ``q = "... 11=1" + Request["id"]``,
    ``sql = String.Format("... 2=1{0}", Request["f"])``) and the places it is written inline."""
    code, lang = an.code, an.lang
    names: dict[str, _Taint] = {}
    inline: list[tuple[int, _Taint]] = []
    join = r"[+&]" if lang == "vb" else r"\+"
    for n, m in enumerate(_CONST_PREDICATE.finditer(code)):
        if n >= 100:
            break
        _s, e = an.statement(m.start())
        e = max(e, m.end())
        head = code[max(0, m.start() - 200) : m.start()]
        t: _Taint | None = None
        target = None
        if m.group(1):  # String.Format("... 2=1{0}", value)
            fm = _FORMAT_OPEN.search(head)
            if fm is None:
                continue
            spans = _args(code, m.start())
            if len(spans) >= 2:
                t = operand(an, *spans[1])
            head = head[: fm.start()]
        else:
            after = re.compile(r"\s*" + join + r"=?").match(code, m.end())
            if after is not None:  # "... 11=1" + Request["id"]
                lead = _leading(code, after.end(), e)
                t = operand(an, after.end(), lead)
            else:  # q = "... 7=1"; then q += Request["id"]
                to = _ASSIGNED_TO[lang].search(head)
                rest = code[m.end() : e].strip(" \t\r\n;)")
                if to is None or rest:
                    continue
                flags = re.I if lang == "vb" else 0
                more = re.compile(
                    r"(?<![\w.])"
                    + re.escape(to.group(1))
                    + r"\s*(?:"
                    + join
                    + r"=|=\s*"
                    + re.escape(to.group(1))
                    + r"\s*"
                    + join
                    + r")\s*",
                    flags,
                ).search(code, m.end())
                if more is not None:
                    _s2, e2 = an.statement(more.end())
                    t = operand(an, more.end(), _leading(code, more.end(), e2))
                target = to.group(1)
        if t is None:
            continue
        to = _ASSIGNED_TO[lang].search(head)
        target = target or (to.group(1) if to is not None else None)
        if target is not None:
            names[an.fold(target)] = t
        inline.append((m.start(), t))
    return names, inline


def save_calls(an: _Analyser) -> list[tuple[int, str]]:
    """Each file-saving call whose path argument is a name, with that name written out as what was
    assigned to it (and the names in that, once more): ``p = Server.MapPath("./") + n; f.SaveAs(p)``
    reads as ``f.SaveAs(Server.MapPath("./") + Path.GetFileName(f.FileName))``; a path of literals
    and names joined (``f.SaveAs("./" + n)``) has its names written out."""
    if an._views is not None:
        return an._views
    code, flags = an.code, re.I if an.lang == "vb" else 0
    end_of = r"[^;\n]{1,400}" if an.lang != "vb" else r"[^\n]{1,400}"

    def value(name: str, before: int) -> str | None:
        last = None
        # (the name first, its left edge checked behind it; the code up to `before` not copied)
        word = re.escape(name)
        assign = word + r"(?<![\w.]" + word + r")(?:\s+As\s+[\w.]+)?\s*=(?![=>])\s*(" + end_of + ")"
        for a in re.compile(assign, flags).finditer(code, 0, before):
            last = a.group(1).strip()
        return last

    views: list[tuple[int, str]] = []
    for m in _SAVE_CALL.finditer(code):
        if len(views) >= 50:
            break
        arg = m.group(1)
        if _IDENT.fullmatch(arg):
            text = value(arg, m.start())
            if text is None:
                continue
        elif '"' in arg and _ANY_IDENT.search(arg.replace('"', " ")):
            text = arg  # "./" + name: the names in it written out
        else:
            continue
        for ident in set(_ANY_IDENT.findall(re.sub(r'"[^"\n]*"', " ", text))) - {arg}:
            inner = value(ident, m.start())
            if inner is not None and len(inner) < 400:
                written = "(" + inner.replace("\\", "\\\\") + ")"  # a replacement template
                text = re.sub(r"(?<![\w.])" + re.escape(ident) + r"\b", written, text)
        views.append((m.start(), code[m.start() : m.start(1)] + text + ")"))
    an._views = views
    return views


def native_call(an: _Analyser, decl: re.Match[str], kinds: frozenset[str]) -> tuple[int, _Taint] | None:
    """The first call of the native function ``decl`` declares whose arguments carry request input of
    ``kinds``: (where the call is, its taint)."""
    names = _DECLARED_NATIVE.findall(decl.group(0))
    if not names:
        return None
    code = an.code
    call = re.compile(
        r"(?<![\w])" + re.escape(names[-1]) + r"\s*\(", re.I if an.lang == "vb" else 0
    )
    for n, c in enumerate(call.finditer(code)):
        if n >= 200:
            break
        an.check_time()
        if decl.start() <= c.start() < decl.end():
            continue  # the declaration itself
        spans = _args(code, c.end())
        t = an.expr(spans[0][0], spans[-1][1], kinds)
        if t is not None:
            return c.start(), t
    return None


def find_sinks(an: _Analyser, already: set[str]) -> list[tuple[Sink, int, _Taint | None, bool]]:
    found: list[tuple[Sink, int, _Taint | None, bool]] = []
    code, lang = an.code, an.lang
    short = len(code.strip()) <= WHOLE_MAX  # only short code can be a stub page ("whole" sinks)
    channels: tuple[dict[str, _Taint], list[tuple[int, _Taint]]] | None = None
    for sink in an.know.sinks:
        an.check_time()
        if sink.id in already:
            continue
        pat = sink.patterns.get(lang)
        if pat is None or (sink.needs == "whole" and not short):
            continue
        if not all(an._may(c[lang]) and occurs(c[lang], code) for c in sink.context if lang in c):
            continue
        if any(an._may(u[lang]) and occurs(u[lang], code) for u in sink.unless if lang in u):
            continue
        if sink.needs == "none" and sink.category == "file-write" and not pat.search(code):
            # the saved path built in locals first: match the save call with them written out
            view = next(
                (
                    (pos, v)
                    for pos, v in save_calls(an)
                    if pat.search(v) and not _SAVED_UNDER_SETTING.search(v)
                ),
                None,
            )
            if view is not None:
                found.append((sink, view[0], None, True))
            continue
        if sink.id == "process" and (
            configured_programs_only(an) or diagnostic_programs_only(an)
        ):
            continue  # the operator's tool, named in web.config: request input is its argument
        if sink.needs == "whole":
            # the page's whole code, stripped, matched once (a search over code that is mostly the
            # newlines of a page's markup tried the pattern's leading \s* at each of them: quadratic in
            # the markup - a shell after 26,000 lines of comments timed out)
            body = code.strip()
            if pat.fullmatch(body) and not (
                _UNDOTTED_NEW.search(body) and _SERVER_CONTROL.search(an.page)
            ):
                # (a class of the page's own beside its server controls is a page, not a stub)
                found.append((sink, len(code) - len(code.lstrip()), None, True))
            continue
        for m in pat.finditer(code) if an._may(pat) else ():
            an.check_time()
            if sink.code_only and _in_literal(code, m.start()):
                continue
            if "ps_arg" in pat.groupindex and m.group("ps_arg") and not powershell_receiver(an, m.start()):
                continue  # (a report helper's r.AddArgument(..) of its own)
            if sink.needs in ("none", "whole") or (
                an.xslt and sink.needs in ("any", "direct", "leading")
            ):
                if an.lang != "vb" and not an.xslt and dead_only(an, m.start()):
                    continue
                found.append((sink, m.start(), None, True))
                break
            if sink.needs == "native-call":
                call = native_call(an, m, sink.kinds)
                if call is not None:
                    found.append((sink, call[0], call[1], not call[1].via))
                    break
                continue
            s, e = an.statement(m.start())
            if sink.needs == "listed-write":
                # request content written into each of the files a listing gave (a site-wide infector)
                spans = _args(code, m.end()) if m.group(0).rstrip().endswith("(") else []
                if len(spans) < 2 or an.expr(spans[0][0], spans[0][1], frozenset({"listed"})) is None:
                    continue
                t = an.expr(spans[1][0], spans[1][1], sink.kinds - {"listed"})
                if t is None:
                    continue
            elif sink.needs == "all-args":
                spans = _args(code, m.end()) if m.group(0).rstrip().endswith("(") else []
                if len(spans) < 2:
                    continue
                t = an.expr(spans[0][0], spans[0][1], sink.kinds)
                content = an.expr(spans[1][0], spans[1][1], sink.kinds)
                if t is None or content is None:
                    continue
            elif sink.needs == "direct":
                matched = m.group(0).rstrip()
                if matched.endswith("("):
                    spans = _args(code, m.end())
                    a, b = spans[0]
                    if _READER_OPEN.search(matched) and stream_operand(an, a, b):
                        continue  # a reader over a stream of memory, a cipher, the request: no file opened
                elif matched.endswith(",") or _COMMAND_TYPE_TEXT.search(matched):
                    a, b = argument_after(an, m.start(), m.end(), e, matched)
                else:
                    a, b = m.end(), e
                page = "page_control" in pat.groupindex and m.group("page_control")
                t = an.expr(a, b, sink.kinds | _CONTROL if page else sink.kinds)
                if t is None or not t.direct:
                    continue
                if "xml_load" in pat.groupindex and m.group("xml_load") and xml_parsed_only(an, m.start()):
                    continue
                root = _NAMED_ROOT.match(code, a, b)
                if (
                    root is not None
                    and an.expr(a, root.end(1)) is None
                    and not (sink.kinds <= _OWN_KINDS and _APP_FOLDER.search(root.group(1)))
                ):
                    # (the application's own folder + the requested path is the page's own file)
                    # cfg.UploadPath + "\\" + name: the request names a path below a folder the
                    # application keeps in a setting or field (an application's file manager)
                    continue
            elif sink.needs == "channel":
                if channels is None:
                    channels = sql_channels(an)
                held, inline = channels
                t = next((c for p, c in inline if s <= p < e), None)
                if t is None and held:
                    for ident in _ANY_IDENT.finditer(code, s, e):
                        t = held.get(an.fold(ident.group(0)))
                        if t is not None:
                            break
                if t is None:
                    continue
            elif sink.needs == "leading":
                # the value *starts* with request input taken whole (who chooses the address of
                # an outbound request: the request, whatever path or query text follows)
                spans = _args(code, m.end()) if m.group(0).rstrip().endswith("(") else []
                if not spans:
                    continue
                a, b = spans[0]
                lead = _leading(code, a, b)
                while lead < b and _TRIVIAL.fullmatch(code[a:lead].strip()):
                    a = lead + 1  # a bare scheme or separator first: the next operand leads
                    lead = _leading(code, a, b)
                if _STREAM_OPERAND.fullmatch(code[a:lead].strip()):
                    continue  # a posted file's stream is what is sent, not where (UploadFile(f.InputStream, ...))
                t = an.expr(a, lead, sink.kinds)
                if t is None or not t.direct:
                    continue
                if _NEW_URI.match(code, m.start()) and uri_parts_only(an, m.start()):
                    continue  # an address only taken apart or compared (a same-site ReturnUrl guard)
                whole = an.expr(a, b, sink.kinds)
                if whole is not None:
                    t.via = whole.via
            else:
                b = e
                if m.group(0).rstrip().endswith("=") and _OBJECT_SET.match(code, s, m.start() + 1):
                    # src.ConnectionString = <value>: what is given is the value; the object may carry
                    # other members' input (src.SelectCommand = "... Id=" + id) that this one never sees
                    s = m.end()
                if m.group(0).rstrip().endswith("("):
                    # what is done with the call's result (Assembly.Load("App_Code").GetType(name))
                    # is not its input: the statement up to the call's closing bracket
                    # (and the variable given that result is not the sink's object either)
                    close = _args(code, m.end())[-1][1]
                    if close < e and _MEMBER_AFTER.match(code, close):
                        b = close + 1
                        s = _value_start(code, s, m.start())
                    elif close < e and _open_brackets(code, s, m.start()) > 0:
                        # a call or constructor given as an argument of another call (new
                        # SqlDataAdapter(sql, new SqlConnection(cs))): its input is its own arguments
                        # and an initializer right after them, not the other arguments around it
                        s, b = m.start(), _initializer_end(code, close + 1, e)
                listens = "listen" in pat.groupindex and (m.group("listen") or m.group("listen_create"))
                if sink.id == "config-secret":
                    # the entry the request names (the key itself: a settings key is no input elsewhere),
                    # unless only a connection is made with it (a report choosing its configured database)
                    s, b = m.end(), top_level(code, m.end(), min(len(code), m.end() + 400), "")[1]
                    if b < 0 or connects_only(an, m.start()):
                        continue
                t = an.expr(s, b, sink.kinds | _CONTROL if listens else sink.kinds)
                if t is None:
                    continue
            if t.via and an.lang != "vb" and shadowed(an, m.start()):
                continue
            if an.lang != "vb" and dead_only(an, m.start()):
                continue
            if sink.category in ("file-read", "http") and image_only(an, m.start()):
                continue
            if sink.category == "file-read" and m.group(0).endswith("(") and text_reader_only(an, m.end()):
                continue
            if sink.category == "http" and not m.group(0).rstrip().endswith("(") and query_only(an, m.end(), e):
                continue
            if sink.id in _SIGNED_IN_FEATURES and signed_in_before(an, m.start(), line=t.line):
                continue
            near = not t.via
            found.append((sink, m.start(), t, near))
            break
    return found


def argument_after(an: _Analyser, start: int, pos: int, end: int, matched: str) -> tuple[int, int]:
    """The argument a sink whose pattern ends after a comma is given: the one after that comma (File.Copy's
    destination, the content of a page's WriteAllText). For ``CommandType.Text,`` the SQL text: the first
    argument after it that is no set of values bound to the text's parameters (``new { Id = id }``, ``new
    SqlParameter[] {..}``, ``parms``), else the one before it (``ExecuteScalar(tx, sql, CommandType.Text, new
    {..})``, ``ExecuteScalar(tx, sql, CommandType.Text)``) - the values bound are no SQL text (B17's
    Dental_Services.asmx, session 16)."""
    code = an.code
    end = min(end, len(code))
    if matched.endswith(","):
        stops, close = top_level(code, pos, end, ",")
        stop = close if close >= 0 else end
        spans = list(zip([pos, *(c + 1 for c in stops)], [*stops, stop], strict=True))
    else:
        spans = []  # (the last argument: ExecuteScalar(tx, sql, CommandType.Text))
    if not _COMMAND_TYPE_TEXT.search(matched):
        return spans[0] if spans else (pos, pos)
    for a, b in spans:
        if not _BOUND_VALUES.fullmatch(code, a, b):
            return a, b
    before = _argument_before(code, start)
    return before if before is not None else (pos, pos)
