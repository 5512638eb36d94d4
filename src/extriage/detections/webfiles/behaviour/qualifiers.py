"""The sink qualifiers: what makes a sink the flow walk found count or not - a connection string that only opens a
connection, an XML document read only for fixed values, a file or an answer only decoded as an image, a URI read
only for its parts, a query only of fixed keys, a switched-off block, a program the page names for diagnostics or
configures, a check of the signed-in user before an application feature, a name of another method shadowing the
page's, a stream that is no file, a PowerShell the page makes. Each takes the analyser
(:class:`taint._Analyser`) and the sink's offset."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING

from extriage.detections.webfiles.behaviour import guard
from extriage.detections.webfiles.behaviour.arguments import _IDENT, _args, _args_at
from extriage.detections.webfiles.behaviour.lazy import lazy
from extriage.detections.webfiles.behaviour.rewrite import _NOT_A_FILE
from extriage.detections.webfiles.behaviour.syntax import _METHOD_DEF, line_of, top_level

if TYPE_CHECKING:
    from extriage.detections.webfiles.behaviour.taint import _Analyser

#: A fixed element name read from an XML node (``.Elements("rss")``, ``.Root.Element("item")``) ...
_FIXED_XML_READ = lazy(r"\s*\.\s*(?:Root\s*\.\s*)?(?:Elements|Element|Descendants)\s*\(\s*\"[^\"\n]*\"\s*\)")
#: A VB loop over what follows ``In`` (group 1 the item) and the ``Next`` that ends it (read only when the loop holds
#: no other: the first Next is then its own).
_VB_EACH = lazy(r"[ \t]*For[ \t]+Each[ \t]+([^\W\d]\w*)(?:[ \t]+As[ \t]+[\w.]+)?[ \t]+In[ \t]+[^\n]*$", re.I)
_VB_NEXT = lazy(r"^[ \t]*Next\b", re.I | re.M)
_VB_FOR = lazy(r"^[ \t]*For\b", re.I | re.M)
#: ... for a value or an attribute (not the node itself, written out whole).
_XML_VALUE = lazy(r"\.\s*(?:Value\b|Attribute\s*\()")
#: The name a member call is made on (``ps`` of ``ps.AddArgument(``), written just before the dot.
_RECEIVER_NAME = lazy(r"(?<![\w.])([^\W\d]\w*)\s*$")
#: The program a process is started with, as written.
_PROGRAM = lazy(
    r"(?:\bStartInfo\s*\.\s*FileName\s*=|\bProcessStartInfo\s*\(|\bProcess\s*\.\s*Start\s*\()\s*([^;\n,)]{1,200})",
    re.I,
)
#: A network-diagnostic tool named by a literal (with or without a folder): its arguments run nothing.
_DIAGNOSTIC_PROGRAM = lazy(
    r'@?"(?:[^"\n]{0,200}[\\/])?(?:ping|tracert|pathping|nslookup)(?:\.exe)?"', re.I
)
#: A program given to a start-info object by its property (``psi.FileName = x``, ``{ FileName = x }``).
_FILE_NAME_SET = lazy(r"(?:\.|[{,])\s*FileName\s*=(?!=)\s*([^;\n,}]{1,200})")
#: A value read from the application's configuration.
_CONFIG_READ = lazy(
    r"(?:System\s*\.\s*Configuration\s*\.\s*)?(?:(?:Web)?ConfigurationManager|ConfigurationSettings)\s*\.\s*AppSettings\b"
    r"|(?:Properties\s*\.\s*|My\s*\.\s*)?(?:MySettings|Settings)\s*\.\s*Default\s*\.",
    re.I,
)
#: An image decoder: what it is given is read as pixels (a thumbnail, a resized photo), never sent back as bytes.
_IMAGE_DECODER = lazy(
    r"(?:\bImage\s*\.\s*FromStream|\bnew\s+(?:System\s*\.\s*Drawing\s*\.\s*)?Bitmap"
    r"|\bBitmap(?:Frame|Decoder)\s*\.\s*Create)\s*\(",
    re.I,  # (VB's New Bitmap)
)
#: The name a statement gives the value the sink makes (``FileStream fs = new FileStream(..``, ``var b = wc.``).
_GIVEN_TO = lazy(r"(?<![\w.])([^\W\d]\w*)\s*=(?![=>])[^=;{}]*$")
#: The same in VB, its type declared there too (``Dim doc As XDocument = XDocument.Load(..)``, ``Dim b As Byte() =
#: wc.DownloadData(..)``), or the value made by ``As New`` (``Dim fs As New FileStream(..``, ``Using fs As New ..``).
_VB_GIVEN_TO = lazy(
    r"(?<![\w.])([^\W\d]\w*)(?:(?:\s+As\s+[\w.]+(?:\s*\(\s*\))?)?\s*=(?![=>])[^=;{}]*|\s+As\s+(?:New\b[\w.\s]*)?)$", re.I
)
#: A check of the signed-in user before a sink: ASP.NET's own (User.Identity.IsAuthenticated, Request.IsAuthenticated,
#: User.IsInRole, Roles.IsUserInRole) or an application's (IsLoggedIn(), x.IsAuthorized(..), IsSignedIn(), or a bare
#: Authenticate(user, password) its base class throws from - Umbraco's legacy web services, B22) - the latter only
#: when the page does not define the method (a shell's own password gate is the page's).
_SIGNED_IN = lazy(
    r"\b(?:User\s*\.\s*Identity|Request)\s*\.\s*IsAuthenticated\b|\bUser\s*\.\s*IsInRole\s*\("
    r"|\bRoles\s*\.\s*IsUserInRole\s*\(|\b(IsAuthorized|IsLoggedIn|IsSignedIn|IsLoggedOn|IsUserLoggedIn)\s*\("
    r"|(?<![\w.])(Authenticate)\s*\(\s*[^\W\d]\w*\s*,\s*[^\W\d]\w*\s*\)"
)
#: A connection made with a value (its constructor's argument, its ConnectionString set): the value is not shown.
_CONNECTION_OPEN = lazy(
    r"(?:\bnew\s+(?:\w+\s*\.\s*){0,4}\w*Connection\s*\(|\.\s*ConnectionString\s*=)\s*(?:[^\W\d]\w*\s*\.\s*){0,4}$", re.I
)
#: What follows the name an assignment sets (``request = ..``, not ``==``).
_SET_TARGET = lazy(r"\s*=(?![=>])")
#: ``new Uri(`` (see uri_parts_only), and what reads a Uri's parts.
_NEW_URI = lazy(r"\bnew\s+(?:System\s*\.\s*)?Uri\s*\(")
_URI_PARTS = lazy(
    r"\s*\.\s*(?:Authority|Scheme|Host|Port|AbsoluteUri|AbsolutePath|PathAndQuery|Query|LocalPath|Segments|"
    r"OriginalString|Fragment|UserInfo|DnsSafeHost|IdnHost|IsAbsoluteUri|IsDefaultPort|IsLoopback|IsFile|IsUnc|"
    r"GetLeftPart|GetComponents|ToString|Equals|IsBaseOf|MakeRelativeUri)\b"
)
#: A WS-Federation sign-in or sign-out message's address (``args.SignInRequestMessage.BaseUri = new Uri(..)``): where
#: WIF's module redirects the visitor's browser, as Response.Redirect does; the server fetches nothing from it.
_BROWSER_GOES = lazy(r"\b(?:SignIn|SignOut)RequestMessage\s*\.\s*BaseUri\s*=\s*$")
#: An ``if`` whose condition names ``false`` (see dead_blocks).
_DEAD_IF = lazy(r"\bif\s*\((?=[^;{}]{0,300}?\bfalse\b)")


def diagnostic_programs_only(an: _Analyser) -> bool:
    """Whether every program the code starts is named by a literal network-diagnostic tool (ping,
    tracert, pathping, nslookup - no shell: its arguments are its own, never commands) and none is
    written as a variable: a ping page whose host comes from a TextBox runs no command of the client's."""
    code = an.code
    programs = [m.group(1).strip() for m in _PROGRAM.finditer(code)]
    programs += [m.group(1).strip() for m in _FILE_NAME_SET.finditer(code)]
    if not programs:
        return False
    flags = re.I if an.lang == "vb" else 0
    for p in programs:
        if _DIAGNOSTIC_PROGRAM.fullmatch(p):
            continue
        if _IDENT.fullmatch(p) and re.search(
            r"(?<![\w.])"
            + re.escape(p)
            + r"\s*(?:As\s+)?=?\s*(?:New|new)\s+(?:System\s*\.\s*Diagnostics\s*\.\s*)?"
            r"(?:ProcessStartInfo|Process)\s*[({\n]",
            code,
            flags,
        ):
            continue  # Process.Start(psi): the object, whose program is named where it is set
        return False
    return True


def configured_programs_only(an: _Analyser) -> bool:
    """Whether every program the code names for a process (``StartInfo.FileName =``, the first
    argument of ``new ProcessStartInfo(`` or ``Process.Start(`` when written out, not a bare
    variable) is read from the application's configuration (``AppSettings``, ``Settings.Default``):
    an application running the virus scanner or converter its operator configured, with a file
    path for argument. Shells name their program (``cmd.exe``) or take it from the request."""
    programs = [m.group(1).strip() for m in _PROGRAM.finditer(an.code)]
    named = [p for p in programs if not _IDENT.fullmatch(p)]
    return bool(named) and all(_CONFIG_READ.match(p) for p in named)


def given_name(an: _Analyser, pos: int) -> re.Match[str] | None:
    """The name the statement at ``pos`` gives the value made there (group 1: ``fs`` of ``var fs =
    File.OpenRead(..``, ``System.IO.FileStream fs = ..``, VB ``Dim fs As FileStream = ..``, ``Dim b As Byte() =
    ..``, ``Dim fs As New FileStream(..``)."""
    s, _e = an._whole_statement(pos)
    return (_VB_GIVEN_TO if an.lang == "vb" else _GIVEN_TO).search(an.code, s, pos)


def connects_only(an: _Analyser, pos: int) -> bool:
    """Whether the connection string looked up at ``pos`` only opens a connection: written as a connection's
    argument (or its ConnectionString), or given a name every later use of which is such an argument."""
    code = an.code
    if _CONNECTION_OPEN.search(code, max(0, pos - 300), pos):
        return True
    given = given_name(an, pos)
    if given is None:
        return False
    name = re.compile(r"(?<![\w.])" + re.escape(given.group(1)) + r"\b", re.I if an.lang == "vb" else 0)
    uses = 0
    for n, u in enumerate(name.finditer(code, pos)):
        if n >= 50 or _CONNECTION_OPEN.search(code, max(0, u.start() - 300), u.start()) is None:
            return False
        uses += 1
    return uses > 0


def xml_parsed_only(an: _Analyser, pos: int) -> bool:
    """Whether the XML document loaded at ``pos`` (``doc = XDocument.Load(feed)``) is only read through fixed
    element names for values (``doc.Elements("rss").Elements("channel")... i.Element("title").Value``): a
    parser's input, not a file shown - B26's RSS widget, session 20. Written back whole, queried by a request
    path or given on, it stays a file read."""
    code = an.code
    given = given_name(an, pos)
    close = _args(code, code.index("(", pos) + 1)[-1][1]
    if given is None:
        return fixed_xml_read(an, close + 1)
    name = re.compile(r"(?<![\w.])" + re.escape(given.group(1)) + r"\b", re.I if an.lang == "vb" else 0)
    read = 0
    for n, u in enumerate(name.finditer(code, close)):
        if n >= 50:
            return False
        if _SET_TARGET.match(code, u.end()):
            continue  # (given another document: doc = XDocument.Load(other))
        if not fixed_xml_read(an, u.end()):
            return False
        read += 1
    return read > 0


def fixed_xml_read(an: _Analyser, at: int, loop: bool = True) -> bool:
    """Whether the XML node before ``at`` is read through a fixed element name in a statement taking a value, or
    walked by a VB ``For Each item In doc.Elements("..")`` loop whose every use of ``item`` in its body is such a
    read (B26's VB feed reader, session 21)."""
    code = an.code
    if _FIXED_XML_READ.match(code, at) is None:
        return False
    s, e = an.statement(at)
    if _XML_VALUE.search(code, at, e) is not None:
        return True
    each = _VB_EACH.match(code, s, at) if loop and an.lang == "vb" else None
    stop = _VB_NEXT.search(code, e) if each is not None else None
    if each is None or stop is None or _VB_FOR.search(code, e, stop.start()) is not None:
        return False  # (a loop inside: its Next is not this loop's end)
    item = re.compile(r"(?<![\w.])" + re.escape(each.group(1)) + r"\b", re.I)
    uses = [u.end() for _n, u in zip(range(51), item.finditer(code, e, stop.start()), strict=False)]
    return 0 < len(uses) <= 50 and all(fixed_xml_read(an, u, False) for u in uses)


def powershell_receiver(an: _Analyser, pos: int) -> bool:
    """Whether the object before ``.AddArgument(`` at ``pos`` is a PowerShell the page makes or gives a
    command (``ps = PowerShell.Create()``, ``Dim ps As PowerShell = ..``, ``ps.AddCommand(..)``): its argument
    added in a statement of its own is what the command runs on (session 19's left gap)."""
    code = an.code
    recv = _RECEIVER_NAME.search(code, max(0, pos - 200), pos)
    if recv is None:
        return False
    given = re.compile(
        r"(?<![\w.])" + re.escape(recv.group(1)) + r"(?:\s+As\s+[\w.]+)?\s*(?:=\s*(?:[\w.]*\.)?PowerShell\s*\.\s*Create"
        r"|\.\s*AddCommand)\s*\(",
        re.I if an.lang == "vb" else 0,
    )
    return given.search(code) is not None


def query_only(an: _Analyser, a: int, end: int) -> bool:
    """Whether the address starting at ``a`` (an argument, up to the next top-level comma) is a fixed host's
    with its query begun before any other value joins it (``"https://host/verify?secret=k&r=" & r``, or the
    host, then a name holding ``"?secret=" & ..``): the request picks query values, not where the request
    goes. A COM object's ``.open "POST", url`` (X46's request, session 19: a reCAPTCHA check page); the .NET
    sinks ask the same of the address's start (needs: leading)."""
    stops, close = top_level(an.code, a, end, ",", first=True)
    return query_kind(an, a, stops[0] if stops else close if close >= 0 else end, 0) == "address"


def query_kind(an: _Analyser, a: int, b: int, depth: int) -> str | None:
    """``address`` when the value in [a, b) starts with a fixed host and its query, ``query`` when it starts
    a query (``"?k=" & ..``), else None. Names are followed (two deep) through every value they are given."""
    code = an.code
    flags = re.I if an.lang == "vb" else 0
    prefix = ""
    operands = re.split(r'\s*[+&]\s*(?=(?:[^"\n]*"[^"\n]*")*[^"\n]*$)', code[a:b].strip())
    for operand in operands[:20]:
        operand = operand.strip().strip("()").strip()
        lit = re.fullmatch(r'"([^"\n]*)"', operand)
        if lit is not None:
            prefix += lit.group(1)
        elif depth < 2 and re.fullmatch(r"[^\W\d]\w*", operand):
            held = [
                v.end() for v in re.finditer(r"(?<![\w.])" + re.escape(operand) + r"\s*=(?!=)\s*", code, flags)
            ][:10]
            kinds = set()
            for v in held:
                line_end = code.find("\n", v)
                stop = len(code) if line_end < 0 else line_end
                semi = code.find(";", v, stop)
                kinds.add(query_kind(an, v, semi if semi >= 0 else stop, depth + 1))
            if kinds == {"address"} and not prefix:
                return "address"
            if kinds != {"query"}:
                return None
            prefix += "?"
        else:
            return None
        if "?" in prefix:
            if re.match(r"https?://[^/?\s]+", prefix, re.I):
                return "address"
            return "query" if prefix.startswith("?") else None
    return None


def uri_parts_only(an: _Analyser, pos: int) -> bool:
    """Whether the ``new Uri(..)`` at ``pos`` (or the ``new Uri`` whose argument it is) is only taken apart: its
    parts read at once (``new Uri(a, b).AbsoluteUri``), or the name it is given read only for its parts
    (``.Authority``, ``.Scheme``, ``.AbsoluteUri`` ...), compared, or made the base of another Uri only taken
    apart. No request leaves the server (B16's request, session 16: RD Web Access's ReturnUrl guard and base
    address). A Uri handed to anything else (a request, a client, a socket's address) stays a request's."""
    code = an.code
    s, e = an.statement(pos)
    outer = pos
    for u in _NEW_URI.finditer(code, s, pos):
        spans = _args(code, u.end())
        if spans and spans[-1][1] > pos:
            outer = u.start()  # the Uri this one is an argument of
            break
    o = _NEW_URI.match(code, outer)
    if o is None:
        return False
    spans = _args(code, o.end())
    close = spans[-1][1] if spans else -1
    if close < 0 or close >= len(code) or code[close] != ")":
        return False
    if _URI_PARTS.match(code, close + 1):
        return True
    if _BROWSER_GOES.search(code, max(0, s - 200), outer) and code[close + 1 : e].strip(" \t\r\n;") == "":
        return True  # where WIF sends the visitor's browser to sign in or out (B21's home-realm Global.asax)
    given = re.search(r"(?<![\w.])([^\W\d]\w*)\s*=\s*$", code[s:outer])
    if given is None or code[close + 1 : e].strip(" \t\r\n;") != "":
        return False
    name = given.group(1)
    flags = re.I if an.lang == "vb" else 0
    for n, u in enumerate(re.finditer(r"(?<![\w.])" + re.escape(name) + r"\b", code, flags)):
        if n >= 200:
            return False
        q = u.start()
        if s <= q < e:
            continue  # the statement giving it
        if _URI_PARTS.match(code, u.end()) or re.match(r"\s*[=!]=", code[u.end() : u.end() + 10]):
            continue
        before = code[max(0, q - 60) : q]
        if re.search(r"(?:[=!]=|\bUri)\s*$", before):
            continue  # compared, or declared (Uri name;)
        base = re.search(r"\bnew\s+(?:System\s*\.\s*)?Uri\s*\(\s*$", before)
        if base is not None:
            inner = _args(code, q - (len(before) - base.end()))
            if inner and inner[-1][1] < len(code) and _URI_PARTS.match(code, inner[-1][1] + 1):
                continue  # the base of another Uri only taken apart
        return False
    return True


def dead_blocks(an: _Analyser) -> list[tuple[int, int]]:
    """The blocks of ``if`` statements whose condition is false whatever the request (``if (false) {``, ``if
    (x.EndsWith("a") && false) {``: a feature switched off in the code; no ``||`` beside it), C#/JScript."""
    code = an.code
    out: list[tuple[int, int]] = []
    for n, m in enumerate(_DEAD_IF.finditer(code)):
        if n >= 200:
            break
        stops, close = top_level(code, m.end(), min(len(code), m.end() + 2000), "|")
        if close < 0 or stops:
            continue  # (an || beside the false: the other side may hold)
        cond = " ".join(code[m.end() : close].split())
        if not (cond == "false" or cond.endswith("&& false") or cond.startswith("false &&")):
            continue
        brace = re.compile(r"\s*\{").match(code, close + 1)
        if brace is None:
            continue
        _stops, end = top_level(code, brace.end(), len(code), "")
        if end >= 0:
            out.append((brace.end(), end))
    return out


def dead_only(an: _Analyser, pos: int) -> bool:
    """Whether the sink at ``pos`` runs only in a switched-off block (see dead_blocks): inside one, or in a method
    the code calls only from such blocks (B15/X36's request, session 16: an application's proxy method whose one
    call sits under ``if (... && false)``). A method called nowhere keeps its sink (it may be reached otherwise)."""
    if an._dead is None:
        an._dead = dead_blocks(an) if "false" in an.code else []
    dead = an._dead
    if not dead:
        return False
    if any(a <= pos < b for a, b in dead):
        return True
    defs = an._defs
    i = bisect_right([d[0] for d in defs], pos) - 1
    if i < 0:
        return False
    d_start, name = defs[i][0], defs[i][1]
    calls = [
        c.start()
        for n, c in zip(range(200), re.finditer(r"(?<![\w.])" + re.escape(name) + r"\s*\(", an.code), strict=False)
        if c.start() != d_start
    ]
    return bool(calls) and all(any(a <= c < b for a, b in dead) for c in calls)


def stream_operand(an: _Analyser, a: int, b: int) -> bool:
    """Whether the operand in [a, b) is a stream that is no file (:data:`_NOT_A_FILE`: memory, a cipher, a
    compressor, the request or a socket), written there or held in a name the code gives such a stream
    (``using (CryptoStream cs = new CryptoStream(ms, ..))`` then ``new StreamReader(cs)``; B15's request,
    session 16: an AES cookie decrypted in memory read as a file)."""
    code = an.code
    text = code[a:b].strip()
    if _NOT_A_FILE.search(text):
        return True
    if not _IDENT.fullmatch(text):
        return False
    flags = re.I if an.lang == "vb" else 0
    given = re.compile(
        r"(?<![\w.])" + re.escape(text) + r"\s*(?:=(?![=>])|As\s+New\b|As\s+[\w.]+\s*=)\s*([^;\n]{1,300})", flags
    )
    last = None
    for g in given.finditer(code, max(0, a - 20000), a):  # (the value it was last given before the reader)
        last = g.group(1)
    return last is not None and _NOT_A_FILE.search(last) is not None


def signed_in_before(an: _Analyser, pos: int, depth: int = 0, line: int = 0) -> bool:
    """Whether a check of the signed-in user (see _SIGNED_IN) in the method a sink at ``pos`` is in guards it
    (guard.regions: the sink runs only after the check passed; ``line``, where the sink's request value was
    read, counts inside a checked block too): an application's handler for its signed-in users (a CMS's
    download of site files for its editors), not a page for whoever knows its address. C#, and VB with
    ASP.NET's own checks (an application method's name is no ASP.NET sign in VB, which classic ASP pages are
    written in too). A method the page calls only where such a check guards the call counts as checked (two
    calls deep): Rock's FileUploader checks IsAuthenticated in ProcessRequest and writes in a method it calls
    (left by A8, session 15). A check merely present guards nothing (session 19)."""
    if an.lang not in ("cs", "vb"):
        return False
    code = an.code
    starts = method_starts(an)
    i = bisect_right(starts, pos) - 1
    a = starts[i] if i >= 0 else 0
    if a not in an._guards:  # (once per method: a method of 6,000 calls is not scanned per call)
        defined = {an.fold(d[1]) for d in an._defs}
        end = starts[i + 1] if i + 1 < len(starts) else len(code)
        found: list[guard.Region] = []
        for n, c in enumerate(_SIGNED_IN.finditer(code, a, end)):
            own = c.group(1) or c.group(2)
            if n >= 50 or (own is not None and (an.lang != "cs" or an.fold(own) in defined)):
                continue
            found += guard.regions(code, an.lang, c.start(), c.end(), c.group(2) is not None)
        gates = gate_call(an)
        for n, c in enumerate(gates.finditer(code, a, end) if gates is not None else ()):
            if n >= 50:
                break
            found += guard.regions(code, an.lang, c.start(), c.end(), True)  # (Gate(); as a statement)
        an._guards[a] = found
    for r in an._guards[a]:
        if r.start <= pos < r.end or (line and r.lines and r.start <= pos and r.lines[0] <= line <= r.lines[1]):
            return True
    if i < 0 or depth >= 2:
        return False
    key = (a, depth)
    if key not in an._callers_checked:
        an._callers_checked[key] = False  # (a method calling itself is not checked through itself)
        method = _METHOD_DEF[an.lang].match(code, a)
        calls: list[int] = []
        # (not the definition's own name: a VB method starts at its Sub, the name comes after)
        own = (a, method.start(1)) if method is not None else ()
        if method is not None and an.fold(method.group(1)) in an._call_sites:
            # (found once for the methods with parameters; x.Name( of another object counts as a call too)
            calls = [c[0] for c in an._call_sites[an.fold(method.group(1))][:52] if c[0] not in own][:50]
        elif method is not None:
            flags = re.I if an.lang == "vb" else 0
            call = re.compile(r"(?<![\w.])" + re.escape(method.group(1)) + r"\s*\(", flags)
            calls = [c.start() for _n, c in zip(range(52), call.finditer(code), strict=False) if c.start() not in own]
            calls = calls[:50]
        an._callers_checked[key] = bool(calls) and all(signed_in_before(an, c, depth + 1) for c in calls)
    return an._callers_checked[key]


def gate_call(an: _Analyser) -> re.Pattern[str] | None:
    """A call of a page method whose own sign-in check ends the request (guard.gates), or None."""
    if an._gates is None:
        spans = tuple(
            (c.start(), c.end())
            for _n, c in zip(range(50), _SIGNED_IN.finditer(an.code), strict=False)
            if c.group(1) is None and c.group(2) is None
        )
        names = guard.gates(an.code, an.lang, spans)
        an._gates = (
            re.compile(
                r"(?<![\w.])(?:" + "|".join(map(re.escape, sorted(names))) + r")\b(?:\s*\()?",
                re.I if an.lang == "vb" else 0,
            )
            if names
            else False
        )
    return an._gates if isinstance(an._gates, re.Pattern) else None


def method_starts(an: _Analyser) -> list[int]:
    if an._methods is None:
        an._methods = [
            m.start()
            for m in _METHOD_DEF[an.lang].finditer(an.code)
            if an.fold(m.group(1)) not in an.keywords  # (if (x) {, using (..) {: no method)
        ]
    return an._methods


#: A reader over text the page holds, not a file (``new StringReader(xml)``).
_STRING_READER = lazy(r"\s*new\s+(?:System\s*\.\s*IO\s*\.\s*)?StringReader\s*\(", re.I)
#: An XML reader made on its first argument (``new XmlTextReader(text)``, ``XmlReader.Create(text)``): a text reader
#: if that argument is one.
_XML_READER_ON = lazy(
    r"\s*(?:new\s+(?:System\s*\.\s*Xml\s*\.\s*)?XmlTextReader|(?:System\s*\.\s*Xml\s*\.\s*)?XmlReader\s*\.\s*Create)\s*\(",
    re.I,
)


#: No value: ``null``, VB ``Nothing``.
_NO_VALUE = lazy(r"\s*(?:null|Nothing)\s*", re.I)


def text_reader_only(an: _Analyser, start: int) -> bool:
    """Whether the first argument of the file-read call opened just before ``start`` is a reader over text, not a
    path: ``new StringReader(x)``, an XML reader made on one, or a name the page gives only such readers
    (``StringReader text = new StringReader(xml); XmlTextReader reader = new XmlTextReader(text); ds.ReadXml(reader)``,
    VB ``Dim text As New StringReader(xml)``). A document read from request text is parsed, not a file opened (B30's
    request, session 22); ``new XmlTextReader(path)`` of a string still opens the path or URL it names."""
    first = _args(an.code, start)[0]
    return _text_reader_value(an, first[0], first[1], 0)


def _text_reader_value(an: _Analyser, a: int, b: int, depth: int) -> bool:
    code = an.code
    if _STRING_READER.match(code, a, b):
        return True
    if depth >= 3:
        return False
    made = _XML_READER_ON.match(code, a, b)
    if made is not None:
        first = _args(code, made.end())[0]
        return _text_reader_value(an, first[0], first[1], depth + 1)
    name = _IDENT.fullmatch(code[a:b].strip())
    return name is not None and _text_reader_name(an, name.group(0), depth + 1)


def _text_reader_name(an: _Analyser, name: str, depth: int) -> bool:
    """Whether every value the page gives ``name`` is a text reader (C# ``name = ..``, VB ``Dim name As New ..``,
    ``Dim name As T = ..``; ``null`` aside); a name given no reader, or anything else once, is not."""
    code = an.code
    given = re.compile(
        r"(?<![\w.])" + re.escape(name) + r"(?:\s+As(?=\s+New\b)|(?:\s+As\s+[\w.]+)?\s*=(?![=>]))",
        re.I if an.lang == "vb" else 0,
    )
    values = 0
    for n, g in enumerate(given.finditer(code)):
        if n >= 20:
            return False
        end = code.find("\n" if an.lang == "vb" else ";", g.end())
        end = len(code) if end < 0 else end
        if _NO_VALUE.fullmatch(code, g.end(), end):
            continue  # (declared empty first: System.IO.StringReader oStream = null;)
        if not _text_reader_value(an, g.end(), end, depth):
            return False
        values += 1
    return values > 0


def in_image_decoder(an: _Analyser, pos: int) -> bool:
    """Whether ``pos`` is inside the brackets of an image decoder's call opened just before it
    (``Image.FromStream(new MemoryStream(wc.DownloadData(url)))``)."""
    code = an.code
    a = max(0, pos - 200)
    for d in _IMAGE_DECODER.finditer(code, a, pos):
        _stops, close = top_level(code, d.end(), pos, "")
        if close < 0:
            return True
    return False


def image_only(an: _Analyser, pos: int) -> bool:
    """Whether what a file-read or HTTP sink at ``pos`` reads is only decoded as an image: the sink is an
    argument of an image decoder, or the statement gives its stream or bytes to a name that the page then
    only hands to image decoders (and closes). A thumbnail or photo handler sends pixels it re-encodes, not
    the file or the answer: a shell's download or proxy sends the bytes back (C#, VB, JScript)."""
    if in_image_decoder(an, pos):
        return True
    if "Bitmap" not in an.code and "FromStream" not in an.code:
        return False
    code = an.code
    s, e = an._whole_statement(pos)
    given = given_name(an, pos)
    if given is None:
        return False
    name = given.group(1)
    flags = re.I if an.lang == "vb" else 0
    decoded = 0
    for u in re.finditer(r"(?<![\w.])" + re.escape(name) + r"\b", code, flags):
        if s <= u.start() < e:
            continue
        if in_image_decoder(an, u.start()):
            decoded += 1
        elif not re.match(r"\s*(?:\.\s*(?:Close|Dispose)\s*\(|[!=]=\s*null\b|\bIs\s+Nothing\b)", code[u.end() : u.end() + 40], flags):
            return False  # used otherwise: written out, copied, read
    return decoded > 0


def shadowed(an: _Analyser, pos: int) -> bool:
    """Whether the request input a sink at ``pos`` sees is only a name of another method: every tainted name
    of the sink's statement is a parameter of the method the sink is in, tainted by a source outside that
    method (``url = Request["url"]`` in ProcessRequest, ``PostData(string url, ..)`` fetching), and every
    call of the method passes text with no request input for it (``PostData(_urlDict[url], ..)``). The
    engine's names are the page's, not a method's: a parameter shares the taint of a local of the same
    name elsewhere. (C# and JScript; a method called nowhere, or once with request text, keeps the sink.)"""
    defs = an._defs
    if not defs:
        return False
    i_next = bisect_right([d[0] for d in defs], pos)
    code = an.code
    s, e = an.statement(pos)
    j = bisect_left(an._starts, s)
    if j < len(an.sources) and an.sources[j][0] < e:
        return False  # a source in the statement itself
    names: list[str] = []
    lines: list[int] = []
    idents = an._idents()
    for m in idents.finditer(code, s, e) if idents is not None else ():
        key = an.fold(m.group(0))
        t = an.taint.get(key)
        if t is None or _SET_TARGET.match(code, m.end()):
            continue  # (the name the statement sets is no input of the sink)
        names.append(key)
        lines.append(t.line)
    if not names:
        return False
    # the method: the nearest defined before the sink whose parameters the names are (a lambda or callback
    # defined in it between may be nearer), up to where the next definition after the sink starts
    for i_def in range(i_next - 1, max(-1, i_next - 5), -1):
        folded = [an.fold(p) for p in defs[i_def][2]]
        if all(k in folded for k in names):
            break
    else:
        return False
    d_start, d_name = defs[i_def][0], defs[i_def][1]
    first = line_of(code, d_start)
    last = line_of(code, defs[i_next][0]) if i_next < len(defs) else code.count("\n") + 1
    if any(first <= line <= last for line in lines):
        return False  # tainted inside the method itself (the parameter given request text there)
    d_end = defs[i_next][0] if i_next < len(defs) else len(code)
    for k in set(names):
        given = re.compile(r"(?<![\w.])" + re.escape(k) + r"\s*[+&]?=(?![=>])|\b(?:out|ref)\s+" + re.escape(k) + r"\b")
        if given.search(code, d_start, d_end):
            return False  # the parameter is given another value in the method (read there as the page's)
    used = [folded.index(k) for k in names]
    sites = [c for c in an._call_sites.get(an.fold(d_name), ()) if c[0] != d_start]
    if not used or not sites:
        return False
    brackets = an._brackets()
    for _c_start, c_end in sites:
        spans = _args_at(code, c_end, brackets)
        for i in used:
            if i >= len(spans) or an.expr(spans[i][0], spans[i][1]) is not None:
                return False
    return True
