"""The flow walk: what request input the code carries into each variable, field, property, parameter and return
value (a bounded fixpoint). Where the input is read is :mod:`sources`'s, what carries it besides an assignment
:mod:`carriers`'s, what makes a value no longer the input taken whole :mod:`narrowing`'s, which sinks it reaches
:mod:`sinks`'s and whether they count :mod:`qualifiers`'s; the code is rewritten first by :mod:`rewrite`, and
:mod:`arguments` says where a statement's or a call's parts lie."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Any

from extriage.detections.webfiles.behaviour import budget, checks, guard
from extriage.detections.webfiles.behaviour.arguments import (
    _ANY_IDENT,
    _BRACKETS_FROM,
    _IDENT,
    _LITERAL,
    _PARENS,
    _TRIVIAL,
    _after_assignment,
    _args,
    _args_at,
    _brackets,
    _header_end,
    _outside_literals,
    _params,
)
from extriage.detections.webfiles.behaviour.budget import Timeout
from extriage.detections.webfiles.behaviour.carriers import (
    _ARROW_MEMBER,
    _ASSIGN,
    _LISTING,
    _REMOTABLE_CLASS,
    listings,
    other_carriers,
    remote_parameters,
)
from extriage.detections.webfiles.behaviour.knowledge import (
    SCREENED_FROM,
    Knowledge,
    Source,
    occurs,
    prefilter_hits,
)
from extriage.detections.webfiles.behaviour.lazy import lazy
from extriage.detections.webfiles.behaviour.narrowing import (
    _TYPED_CORE,
    held_text,
    literal_receivers,
    numbers_only,
    record_lookup,
    returns_part,
    splices,
    stored_data,
)
from extriage.detections.webfiles.behaviour.qualifiers import (
    dead_blocks,
)
from extriage.detections.webfiles.behaviour.rewrite import _method_spans
from extriage.detections.webfiles.behaviour.sinks import _NAMED_ROOT, WHOLE_MAX
from extriage.detections.webfiles.behaviour.sources import find_sources
from extriage.detections.webfiles.behaviour.syntax import (
    _METHOD_DEF,
    KEYWORDS_OF,
    _param_parts,
    line_of,
    top_level,
)
from extriage.detections.webfiles.behaviour.value import _Taint

#: Properties: ``string Name { get ...`` (C#), ``Property Name`` (VB): a value returned in them is the name's.
_PROPERTY_DEF = {
    "cs": lazy(r"\b([^\W\d]\w*)\s*\{\s*get\b"),
    "vb": lazy(r"\bProperty\s+([^\W\d]\w*)", re.I),
}
#: A condition before a statement without braces: C# ``if (`` / ``else if (`` / ``while (``; VB ``If ... Then``.
_C_CONDITION = lazy(r"\s*(?:else\s+)?(?:if|while)\s*\(")
_VB_IF_THEN = lazy(r'[ \t]*(?:Else)?If\b(?:"[^"\n]*"|[^"\n]){0,2000}?\bThen\b', re.I)


#: What stands before a VB ``x = y`` that compares rather than assigns: a condition's keyword, a logical
#: operator, another ``=`` or an operator (``If Request("p")="x" Or Request("p")="y" Then``, ``ok = a = b``).
_VB_BEFORE_COMPARISON = lazy(
    r"(?:\b(?:If|ElseIf|While|Until|And|Or|AndAlso|OrElse|Not|Xor|Return|Case|Is|Like|Mod)|[=<>(&+\-*/])[ \t]*$",
    re.I,
)


def _vb_compares(code: str, pos: int) -> bool:
    """Whether the VB ``=`` of the assignment-like match at ``pos`` is a comparison (X25's request, session
    13: a password line comparing the request twice made ``Request`` a tainted variable, and every later
    ``Request("x")`` a value spliced into it rather than the request itself)."""
    start = max(code.rfind("\n", 0, pos) + 1, pos - 200)
    return _VB_BEFORE_COMPARISON.search(code, start, pos) is not None














#: Receivers that are outputs or the page itself, never a value's carrier.
_NOT_CARRIERS = frozenset(
    "response controls page context trace console debug server items headers cookies".split()
)
#: A member chain into the response (``ctx.Response.ContentType``): output, not a carrier.
_RESPONSE_MEMBER = lazy(r"\s*\.\s*Response\b", re.I)
#: A call: a name followed by ``(``, or a delegate's ``.Invoke(`` / ``?.Invoke(`` (the name is group 1).
_CALL_SITE = {
    "cs": lazy(r"(?<![\w])([^\W\d]\w*)\s*(?:\??\.\s*Invoke\s*)?\("),
    "js": lazy(r"(?<![\w])([^\W\d]\w*)\s*(?:\??\.\s*Invoke\s*)?\("),
    "vb": lazy(r"(?<![\w])([^\W\d]\w*)\s*(?:\??\.\s*Invoke\s*)?\(", re.I),
}
#: Lambdas bound to a name: ``name = (a, b) =>`` (C#) / ``var name = function (a, b)`` (JScript).
_LAMBDA_DEF = {
    "cs": lazy(r"\b([^\W\d]\w*)\s*=\s*(?:\(([^();{}]{0,200})\)|([^\W\d]\w*))\s*=>"),
    "js": lazy(r"\b([^\W\d]\w*)\s*=\s*function\s*\(([^()]{0,200})\)()"),
    # VB: Dim run As Action(Of String) = Sub(s) ..., Dim f = Function(s As String) ...
    "vb": lazy(
        r"\b([^\W\d]\w*)(?:\s+As\s+[\w.]+(?:\s*\(\s*Of\s+[^()\n]{1,100}\))?)?\s*=\s*(?:Sub|Function)\s*\(([^()\n]{0,200})\)()",
        re.I,
    ),
}
_ASSIGN["js"] = lazy(  # with JScript.NET's type annotation: var v : String = ...
    r"(?<![\w.$])([^\W\d]\w*)((?:\s*\.\s*[^\W\d]\w*){0,4})\s*(?::\s*[\w.]{1,100}(?:\[\])?\s*)?"
    r"(?:\[[^\]\n;]{0,200}\]\s*)?[+|^]?=(?![=>])(?=((?:[^;\"]|\"[^\"\n]*\"){1,2000}))"
)
#: Methods whose parameters the request fills: ASMX web methods and WCF operations (a .svc service).
_WEB_METHOD = {
    "cs": lazy(
        r"\[\s*(?:System\s*\.\s*(?:Web\s*\.\s*Services|ServiceModel)\s*\.\s*)?(?:WebMethod|OperationContract)\b"
        r"[^\]]{0,300}\][^(;{}]{0,300}\(([^()]{0,400})\)"
        # ASP.NET Core Razor Pages: a page's handler methods (OnGet, OnPostAsync, OnPostRun ...) are bound from
        # the request's query, form and route values, and so is a property marked [BindProperty] (session 13)
        r"|\b(?:void|IActionResult|ActionResult|PageResult|Task(?:\s*<\s*IActionResult\s*>)?)\s+"
        r"On(?:Get|Post|Put|Delete|Patch)\w{0,60}\s*\(([^()]{0,400})\)"
        r"|\[\s*BindProperty\b[^\]]{0,200}\]\s*(?:public\s+)?([\w.<>\[\]?]{1,100}\s+[^\W\d]\w*)\s*\{"
        # a minimal API's handler: app.MapGet("/x", (string x) => ..) binds its parameters from the route, query and
        # body (X47's request, session 19)
        r'|\.\s*Map(?:Get|Post|Put|Delete|Patch)\s*\(\s*"[^"\n]{0,300}"\s*,\s*(?:async\s+)?\(([^()]{0,400})\)\s*=>'
    ),
    "js": lazy(r"(?:WebMethod|OperationContract)Attribute[^(;{}]{0,300}\(([^()]{0,400})\)"),
    "vb": lazy(
        r"<\s*(?:WebMethod|OperationContract)\b[^>]{0,300}>[^(\n]{0,300}\(([^()]{0,400})\)", re.I
    ),
}
_REMOTING_EXPOSED = lazy(
    r"\bRegisterWellKnownServiceType\s*\(|\bRemotingServices\s*\.\s*Marshal\s*\(|\bRemotingConfiguration\s*\.\s*Configure\s*\(",
    re.I,
)
#: A class that is an MVC or Web API controller (``class RunController : Controller``, VB ``Inherits
#: ApiController``): its public methods are actions, their parameters bound from the request's route, query and
#: form values (session 13's left-over; the engine reads such a class where ASP.NET compiles it: App_Code).
_CONTROLLER_CLASS = {
    "cs": lazy(r"\bclass\s+[^\W\d]\w*\s*:\s*(?:[\w.]*\.)?(?:Controller|ApiController|ControllerBase|AsyncController)\b"),
    "vb": lazy(
        r"\bClass\s+[^\W\d]\w*\s*(?:\r?\n|:)\s*Inherits\s+(?:[\w.]*\.)?(?:Controller|ApiController|ControllerBase|AsyncController)\b",
        re.I,
    ),
}
#: A controller's action: a public method returning a result (not marked [NonAction]); group 1 its parameters.
_ACTION = {
    "cs": lazy(
        r"\bpublic\s+(?:(?:async|virtual|override|new)\s+){0,3}"
        r"(?:(?:System\s*\.\s*Web\s*\.\s*Mvc\s*\.\s*)?(?:ActionResult|IActionResult|JsonResult|ContentResult|FileResult|"
        r"PartialViewResult|ViewResult|RedirectResult|EmptyResult|HttpResponseMessage|IHttpActionResult)|string|void|object|"
        r"Task\s*<\s*(?:ActionResult|IActionResult|JsonResult|ContentResult|FileResult|HttpResponseMessage|IHttpActionResult|"
        r"string|object)\s*>|Task)\s+[^\W\d]\w*\s*\(((?:[^()]|\([^()]{0,200}\)){0,400})\)\s*\{"
    ),
    "vb": lazy(
        r"^[ \t]*Public\s+(?:(?:Async|Overridable|Overrides|Shadows)\s+){0,3}(?:Function|Sub)\s+[^\W\d]\w*\s*\(([^()\n]{0,400})\)"
        r"(?:\s+As\s+(?:[\w.]*\.)?(?:ActionResult|IActionResult|JsonResult|ContentResult|FileResult|PartialViewResult|ViewResult|"
        r"RedirectResult|EmptyResult|HttpResponseMessage|IHttpActionResult|String|Object|Task(?:\s*\(\s*Of\s+[\w.]+\s*\))?))?[ \t]*$",
        re.I | re.M,
    ),
}
#: A body source read whole as text (see _Analyser._read_as_text): a request value too, and still the body.
_BODY_TEXT = frozenset({"body", "value"})
_TEXT_READER_OPEN = lazy(r"\bStreamReader\s*\(\s*$", re.I)
_TEXT_READ_AFTER = lazy(
    r"(?:\s*[\[(][^;\n()\[\]]{0,40}[\])])?(?:\s*\.\s*(?:InputStream|OpenReadStream\s*\(\s*\)))?\s*\)"
    r"\s*\.\s*ReadToEnd(?:Async)?\s*\(",
    re.I,
)
_BARE_NAME = lazy(r"\s*([^\W\d]\w*)\s*$")
_OUT_REF = lazy(r"\s*(?:out|ref|ByRef)\s+(?:var\s+|string\s+|object\s+)?([^\W\d]\w*)\s*$", re.I)
#: Calls whose result is what a remote server sent back (a response, a downloaded body): a value
#: assigned from them carries no request input, even when the request chose the address.
_REMOTE_RESULT = lazy(
    r"\.\s*(?:GetResponse|GetResponseStream|GetResponseAsync|DownloadString|DownloadData|GetStringAsync)\b",
    re.I,
)
#: What a server the page asks answers (see the fetched-response source).
_FETCHED = frozenset({"fetched"})
_TYPED = lazy(r"\s*(?:\(\s*\w+\s*\)\s*)?" + _TYPED_CORE + r"\s*\(", re.I)


#: A local declared with a number, date, Boolean or GUID type where it is given its value (``int id = ...;``,
#: ``Guid? g = ...``, VB ``Dim n As Integer = ...``, JScript.NET ``var n : int = ...``): whatever the conversion
#: call (an application's own ``.ToInt()``), such a local cannot hold text (B8's request, session 13: an
#: ERP's attachment delete page). C#: the text before the name; VB and JScript: between the name and ``=``.
_NON_TEXT_TYPES = (
    r"(?:System\s*\.\s*)?(?:Guid|Int16|Int32|Int64|UInt16|UInt32|UInt64|Decimal|Double|Single|Boolean|DateTime|"
    r"DateTimeOffset|TimeSpan|Byte|SByte)|"
)
_DECLARED_TYPED = {
    "cs": lazy(
        r"(?<![\w.])(?:" + _NON_TEXT_TYPES + r"int|uint|long|ulong|short|ushort|byte|sbyte|decimal|double|float|"
        r"bool|char)\s*\??\s+$"
    ),
    "vb": lazy(
        r"\s+As\s+(?:" + _NON_TEXT_TYPES + r"Integer|UInteger|Long|ULong|Short|UShort|Date|Char)\s*\??\s*$",
        re.I,
    ),
    "js": lazy(
        r"\s*:\s*(?:" + _NON_TEXT_TYPES + r"int|uint|long|ulong|short|ushort|byte|sbyte|decimal|double|float|"
        r"boolean|char|Number|Date)\s*$"
    ),
}


#: The attribute that keeps a controller's public method from being an action (C# ``[NonAction]``, VB ``<NonAction>``).
_NON_ACTION = lazy(r"[\[<]\s*(?:System\s*\.\s*Web\s*\.\s*Mvc\s*\.\s*)?NonAction(?:Attribute)?\s*(?:\(\s*\))?\s*[\]>][\s_]*$", re.I)
#: A parameter of a number, date, Boolean or GUID type (``int id``, ``Guid? key = null``, VB ``id As Integer``).
#: A minimal API handler's parameter the framework fills with no request value: the context, its request or response,
#: a cancellation token, the user, an interface (a service), or one marked [FromServices].
_SERVICE_PARAM = lazy(
    r"\s*(?:\[\s*FromServices\b|(?:\[[^\]]*\]\s*)*(?:[\w.]*\.)?(?:HttpContext|HttpRequest|HttpResponse|CancellationToken"
    r"|ClaimsPrincipal|I[A-Z]\w*(?:\s*<[^<>]*>)?)\s*\??\s+[^\W\d]\w*\s*$)"
)
_TYPED_PARAM = {
    "cs": lazy(
        r"^\s*(?:\[[^\]]*\]\s*)*(?:" + _NON_TEXT_TYPES + r"int|uint|long|ulong|short|ushort|byte|sbyte|decimal|double|"
        r"float|bool|char)\s*\??\s+[^\W\d]\w*\s*(?:=.*)?$",
        re.S,
    ),
    "vb": lazy(
        r"\bAs\s+(?:" + _NON_TEXT_TYPES + r"Integer|UInteger|Long|ULong|Short|UShort|Date|Char)\s*\??\s*(?:=.*)?$", re.I | re.S
    ),
}


def _declared_typed(code: str, m: re.Match[str], lang: str) -> bool:
    """Whether the assignment ``m`` (an ``_ASSIGN`` match: group 1 the name, 2 its members) declares a local of
    a non-text type (:data:`_DECLARED_TYPED`)."""
    if m.group(2):
        return False
    pattern = _DECLARED_TYPED.get(lang)
    if pattern is None:
        return False
    if lang == "cs":
        return pattern.search(code, max(0, m.start(1) - 60), m.start(1)) is not None
    between = code[m.end(2) : m.start(3)]
    between = between[: between.rfind("=")]
    return pattern.match(between) is not None


_EXTENSION_OF = lazy(r"\s*(?:System\s*\.\s*IO\s*\.\s*)?Path\s*\.\s*GetExtension\s*\(")
_CASE_CALLS = lazy(r"(?:\s*\.\s*(?:ToLower|ToLowerInvariant|ToUpper|ToUpperInvariant|Trim)\s*\(\s*\))*")


def _extension_whole(code: str, start: int, end: int) -> bool:
    """Whether ``code[start:end]`` is one ``Path.GetExtension(..)`` call (its case changed or trimmed), nothing else."""
    m = _EXTENSION_OF.match(code, start, end)
    if m is None:
        return False
    args = _args(code, m.end())
    close = args[-1][1] if args else -1
    if close < 0 or close >= end or code[close] != ")":
        return False
    rest = _CASE_CALLS.match(code, close + 1, end)
    return rest is not None and code[rest.end() : end].strip(" \t\r\n;") == ""


def _typed_whole(code: str, start: int, end: int) -> bool:
    """Whether ``code[start:end]`` is one conversion call to a non-text type, nothing else."""
    m = _TYPED.match(code, start, end)
    if m is None:
        return False
    depth = 1
    for p in _PARENS.finditer(code, m.end(), end):
        depth += 1 if p.group(0) == "(" else -1 if p.group(0) == ")" else 0
        if depth == 0:
            return code[p.end() : end].strip(" \t\r\n;") == ""
    return False


#: The literal keys after a source or a tainted name (``["cmd"]``, ``("cmd")``, ``.Item["cmd"]``,
#: ``.Cookies["a"].Values["b"]``, a helper's ``Take("cmd")``, ``a[0]``): they choose *which* input, they are
#: not literal text spliced into the value.
_INDEX = lazy(
    r'(?:\s*(?:\.\s*\w+\s*)?[\[(]\s*(?:"[^"\n]*"(?:\s*,\s*"[^"\n]*"){0,3}|\d{1,4})?\s*[\])]'
    r"|\s*\.\s*(?:Value|Values|Item|ToString\s*\(\s*\))\b){1,6}"
)
#: Calls on a value that keep it the request's (split, trimmed, replaced, cut): their literal
#: arguments are not text of the value either (``x.Split('|')[0]``, ``x.Replace("+", " ")``).
_KEEPING_CALL = lazy(
    r"\.\s*(?:Split|Trim|TrimStart|TrimEnd|Substring|Remove|PadLeft|PadRight|Normalize|"
    r"ToLower|ToUpper|ToLowerInvariant|ToUpperInvariant|ToString|ToCharArray)\s*\("
    r'(?:\s*(?:"[^"\n]*"|\d{1,6}|[^\W\d][\w.]{0,60}|new\s+char\s*\[\s*\]\s*\{[^{}\n]{0,80}\})\s*,?){0,4}\)'
    # a Replace of literals only (x.Replace("+", " ")); one putting another value in splices it
    r'|\.\s*Replace\s*\(\s*"[^"\n]*"\s*,\s*"[^"\n]*"\s*\)'
    # VB's Split function of the value (taken out before this is matched) on a literal separator (Split(x, vbCrLf)
    # written as Split(x, Chr(13) & Chr(10))): each piece is still the request's
    r'|\b(?i:split)\s*\(\s*,\s*"[^"\n]*"\s*(?:,\s*-?\d{1,6}\s*){0,2}\)'
)




#: ``Path.Combine(`` or FileSystemObject's ``fso.BuildPath(`` leading a value (a folder, then a name below it).
_COMBINE = lazy(
    r"\s*(?:(?:System\s*\.\s*IO\s*\.\s*)?Path\s*\.\s*Combine|[^\W\d]\w*\s*\.\s*BuildPath)\s*\("
)
#: A value of the application's settings looked up by key (``ConfigurationManager.AppSettings[key]``, VB's
#: ``AppSettings(key)`` under ``Imports System.Configuration.ConfigurationManager``, ``.AppSettings.Get(key)``):
#: the request may choose which setting, the value is the configuration's. So for a connection string
#: (``ConnectionStrings[Db.SelectedValue]``: which of the configured databases a report connects to; X49's request,
#: session 20) - except for config-secret, whose sink is that the request names the entry shown (see sinks).
_SETTING_LOOKUP = lazy(
    r"(?<![\w.])(?:(?:System\s*\.\s*Configuration\s*\.\s*)?(?:(?:Web)?ConfigurationManager|ConfigurationSettings)"
    r"\s*\.\s*)?(?:AppSettings\s*(?:\.\s*(?:Get|Item)\s*)?|ConnectionStrings\s*)[\[(]",
    re.I,
)
_SETTINGS_WORD = lazy(r"AppSettings|ConnectionStrings", re.I)
#: A WebSocket message received into a buffer (``ws.ReceiveAsync(new ArraySegment<byte>(buf), ..)``, ASP.NET's
#: AspNetWebSocketContext.WebSocket and System.Net.WebSockets): the bytes a client sent, like a request body.
_WEBSOCKET_RECEIVE = lazy(
    r"\.\s*ReceiveAsync\s*\(\s*(?:new\s+(?:System\s*\.\s*)?ArraySegment\s*(?:<\s*byte\s*>|\(\s*Of\s+Byte\s*\))\s*\(\s*)?"
    r"([^\W\d]\w*)",
    re.I,
)
_WEBSOCKET = lazy(r"\bAcceptWebSocketRequest\b|\bWebSockets\b|\bAspNetWebSocketContext\b|\bWebSocket\b")
#: A C#/JScript indexer on a named collection (``_targets[``, ``this.map[``): what its brackets hold is a key.
#: (Not an array made with ``new byte[n]``: its size from the request stays with it, as a buffer the request fills.)
_INDEXER = lazy(r"(?<![\w.])(?<!new )((?:this\s*\.\s*)?[^\W\d]\w*)\s*\[")




















#: An assignment of a name (``x = ``, ``x += ``, VB ``Dim x As String = ``, ``x &= ``); its value starts after it.
_HELD_ASSIGN = {
    "cs": lazy(r"(?<![\w.])([^\W\d]\w*)\s*(\+)?=(?![=>])\s*@?"),
    "js": lazy(r"(?<![\w.])([^\W\d]\w*)\s*(?::\s*[\w.]+\s*)?(\+)?=(?![=>])\s*"),
    "vb": lazy(r"(?<![\w.])([^\W\d]\w*)(?:\s+As\s+[\w.]+)?\s*([+&])?=(?![=>])\s*", re.I),
}
#: A drive's root as a whole value (after a name's ``=``): ``"C:\\";``, VB's ``"D:\"`` at the line's end.
_DRIVE_ROOT_VALUE = lazy(r'"[A-Za-z]:[\\/]{0,2}"[ \t]*(?:;|\r?$)', re.M)






























class _Analyser:
    def __init__(
        self,
        code: str,
        lang: str,
        know: Knowledge,
        deadline: float,
        decoded: int,
        xslt: bool = False,
        page: str = "",
    ) -> None:
        self.xslt = xslt
        self.page = page  # the whole file (markup too), for the few checks that look beyond the code
        self.code = code
        self.lang = lang
        self.know = know
        self.deadline = deadline
        self.decoded = decoded
        self.taint: dict[str, _Taint] = {}
        self.fold = str.lower if lang == "vb" else (lambda s: s)
        self.keywords = KEYWORDS_OF[lang]
        self._screen: Any = None  # big code: which patterns may occur (knowledge.PatternScreen), read once
        self._possible: frozenset[int] | None = None
        if len(code) >= SCREENED_FROM and know.screens:
            self._screen = know.screens.get(lang)
            if self._screen is not None:
                self._possible = self._screen.possible(code)
        self.sources: list[tuple[int, int, Source]] = []  # found by find_sources, after candidates
        self._starts: list[int] = []  # their start offsets, to find those of a span by bisection
        self._bracket_map: dict[int, tuple[int, list[int]]] | None = None  # (see _brackets)
        self._receivers: frozenset[str] | None = None
        self._literal_seen = False  # whether the last expr() found literal text of the page's own
        self._fixed: frozenset[str] | None = None  # names holding only fixed text (see _fixed_names)
        self._roots: frozenset[str] | None = None  # names holding only a drive's root (see _drive_roots)
        self._views: list[tuple[int, str]] | None = None
        self._ident_re: re.Pattern[str] | None = None
        self._made: dict[str, bool] = {}  # receiver -> whether the page makes it with new (see narrowing.record_lookup)
        self._data_methods: set[str] | None = None  # the methods declared to return rows (see narrowing.stored_data)
        # the page's methods (start, name, parameters) by start, and their call sites (see propagate, qualifiers.shadowed)
        self._defs: list[tuple[int, str, list[str]]] = []
        self._call_sites: dict[str, list[tuple[int, int]]] = {}
        self._methods: list[int] | None = None  # where the page's methods start (see qualifiers.signed_in_before)
        self._guards: dict[int, list[guard.Region]] = {}  # a method's start -> what its sign-in checks guard
        self._gates: re.Pattern[str] | bool | None = None  # a call of a gate method (see qualifiers.gate_call), False: none
        self._callers_checked: dict[tuple[int, int], bool] = {}  # (method start, depth) -> every call checked
        self._dead: list[tuple[int, int]] | None = None  # switched-off blocks (see qualifiers.dead_blocks)
        #: Names whose taint was added or changed (propagate's rounds re-read only what mentions one).
        self._changed: set[str] = set()
        #: Names the code rejects unless they are digits or hex only, and where (see checks.digits).
        self._guarded: dict[str, list[guard.Region]] = checks.digits(code, lang, self._live)
        #: Names checked against a list of literal strings (one of the page's own words), and where.
        self._chosen: dict[str, list[guard.Region]] = checks.listed(code, lang, self._live)
        self._spans: list[tuple[int, int, int, int]] | None = None  # the page's methods (see _decided)
        self._decided_in: dict[tuple[int, str, int], bool] = {}  # (checks, name, method body) -> callers decided

    def _live(self, pos: int) -> bool:
        """Whether a check's ``if`` at ``pos`` can decide: not switched off (``if (false) {..}``, VB ``If False
        Then``) and not under another condition without a block (session 19: a digits guard or an allow-list
        check kept under ``if (false)`` made a shell's command a number, and its process start silent)."""
        if guard.conditional(self.code, self.lang, pos):
            return False
        if self._dead is None:
            if "false" not in self.code.lower():
                self._dead = []
            else:
                self._dead = guard.vb_dead_blocks(self.code) if self.lang == "vb" else dead_blocks(self)
        return not any(a <= pos < b for a, b in self._dead)





    def check_time(self) -> None:
        if budget.now() > self.deadline:
            raise Timeout

    def _fixed_names(self) -> frozenset[str]:
        """Names whose every assignment starts with a literal of the page's own that is not a bare scheme or
        separator (``_tmp = "/App/Temp/" + user + "/"``, ``const string Root = @"D:\\files\\"``; appending with
        ``+=`` keeps it) - a folder held in a name, read like the same text written inline. Found once."""
        if self._fixed is None:
            seen: dict[str, bool] = {}
            for n, m in enumerate(_HELD_ASSIGN[self.lang].finditer(self.code)):
                if n >= 20000:
                    break
                name = self.fold(m.group(1))
                lit = _LITERAL.match(self.code, m.end())
                fixed = lit is not None and not _TRIVIAL.fullmatch(lit.group(0))
                if m.group(2):  # (x += ..: what x held stays at its start)
                    seen.setdefault(name, False)
                    continue
                seen[name] = fixed and seen.get(name, True)
            self._fixed = frozenset(k for k, ok in seen.items() if ok)
        return self._fixed

    def _drive_roots(self) -> frozenset[str]:
        """Names whose every assignment is a drive's root alone (``string path = "C:\\";``): a folder that
        confines nothing, as the root written inline (X45's drive browser). Found once."""
        if self._roots is None:
            seen: dict[str, bool] = {}
            if ':' in self.code:
                for n, m in enumerate(_HELD_ASSIGN[self.lang].finditer(self.code)):
                    if n >= 20000:
                        break
                    name = self.fold(m.group(1))
                    seen[name] = bool(_DRIVE_ROOT_VALUE.match(self.code, m.end())) and seen.get(name, True)
            self._roots = frozenset(k for k, ok in seen.items() if ok)
        return self._roots

    def _idents(self) -> re.Pattern[str] | None:
        if self._ident_re is None and self.taint:
            if len(self.taint) > 64:
                # many names (generated or hostile code): every identifier looked up, no alternation
                # compiled again each time a name is added
                self._ident_re = _ANY_IDENT
                return self._ident_re
            names = sorted(self.taint, key=len, reverse=True)
            flags = re.I if self.lang == "vb" else 0
            self._ident_re = re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, names)) + r")\b", flags)
        return self._ident_re

    def _keys(self, start: int, end: int) -> list[tuple[int, int]]:
        """The brackets in [start, end) that hold a key: of the application's settings (any language, see
        _SETTING_LOOKUP), or indexing a collection the request did not fill (C#, JScript):
        ``_targets[key]`` is one of the page's own values, whatever key the request gives. The collection is
        a plain name (or ``this.name``) holding no request input and no source itself; ``Request[..]``,
        ``parts[..]`` of a split request value and ``args[..]`` of a tainted array stay the request's."""
        code = self.code
        spans: list[tuple[int, int]] = []
        for n, m in enumerate(_SETTING_LOOKUP.finditer(code, start, end)):
            if n >= 64:
                break
            _stops, close = top_level(code, m.end(), min(end, m.end() + 400), "")
            if close >= 0 and code[close] == ("]" if code[m.end() - 1] == "[" else ")"):
                spans.append((m.end(), close))
        if self.lang == "vb":
            return spans
        for n, m in enumerate(_INDEXER.finditer(code, start, end)):
            if n >= 64:
                break  # (a value of more indexers than that is read as before: every name the request's)
            name = m.group(1)
            if self.taint.get(self.fold(name.rsplit(".", 1)[-1].strip())) is not None:
                continue
            j = bisect_left(self._starts, m.start())
            if j < len(self.sources) and self.sources[j][0] < m.end():
                continue  # Request.QueryString[..], a source's own key
            if j > 0 and self.sources[j - 1][1] > m.start():
                continue  # inside a source's span
            _stops, close = top_level(code, m.end(), min(end, m.end() + 400), "")
            if close < 0 or code[close] != "]":
                continue
            spans.append((m.end(), close))
        return spans

    def expr(self, start: int, end: int, kinds: frozenset[str] | None = None) -> _Taint | None:
        """What request input the code in [start, end) carries."""
        found: _Taint | None = None
        text = self.code[start:end]
        stripped = text
        sources = self.sources
        keys = (
            self._keys(start, end)
            if ("[" in text and self.lang != "vb") or _SETTINGS_WORD.search(text)
            else ()
        )
        # the sources inside [start, end) only: a page with thousands of them costs a bisection, not a scan
        for j in range(bisect_left(self._starts, start), len(sources)):
            s, e, src = sources[j]
            if s >= end:
                break
            if keys and any(a <= s < b for a, b in keys):
                continue  # a key picking one of the page's own values (_targets[Request["k"]])
            own = _BODY_TEXT if src.kind == "body" and self._read_as_text(s, e) else {src.kind}
            if kinds is None or not own.isdisjoint(kinds):
                own = own & kinds if kinds is not None else own
                back = e - 1 if self.code[e - 1] in "[(" else e  # the source's own bracket opens the key
                tail = self.code[back : min(end, back + 200)]
                idx = _INDEX.match(tail)
                cut = max(e, back + (idx.end() if idx else 0))
                stripped = stripped.replace(self.code[s:cut], " ", 1)
                if found is None:
                    found = _Taint(set(own), True, line_of(self.code, s), src.title)
                else:
                    found.kinds |= own
        idents = self._idents()
        via: list[str] = []
        if idents is not None:
            # a name inside a string literal is text, not the variable ("cmd.exe" is no use of cmd)
            quoted = [(q.start(), q.end()) for q in _LITERAL.finditer(text)] if '"' in text else []
            for m in idents.finditer(text):
                if quoted and any(a < m.start() < b for a, b in quoted):
                    continue
                if keys and any(a <= start + m.start() < b for a, b in keys):
                    continue
                key = self.fold(m.group(0))
                t = self.taint.get(key)
                if t is None:
                    continue
                if self._chosen and self._decided(self._chosen, key, start + m.start()):
                    continue  # one of the page's own words here
                if self._guarded and "number" not in t.kinds and self._decided(self._guarded, key, start + m.start()):
                    # checked to be digits (or hex) only here: what is left of it can pick a number, no text
                    t = _Taint({"number"}, t.direct, t.line, t.source, t.via)
                if kinds is not None and not (t.kinds & kinds):
                    continue
                via.append(m.group(0))
                idx = _INDEX.match(text, m.end())
                if idx is not None:  # Session["k"], d["k"], a helper's Take("k"): keys, not text
                    stripped = stripped.replace(text[m.start() : idx.end()], " ", 1)
                if found is None:
                    found = _Taint(
                        set(t.kinds & kinds if kinds else t.kinds), t.direct, t.line, t.source, t.via
                    )
                else:
                    found.kinds |= t.kinds
                    found.direct = found.direct and t.direct
                stripped = stripped.replace(m.group(0), " ", 1)
        if found is None:
            return None
        if via:
            found.via = tuple(dict.fromkeys((*found.via, *via)))[:6]
        if '"' in stripped and ("." in stripped or "plit" in stripped or "PLIT" in stripped):
            stripped = _KEEPING_CALL.sub(" ", stripped)
        self._literal_seen = any(not _TRIVIAL.fullmatch(lit) for lit in _LITERAL.findall(stripped))
        fixed = self._fixed_names() if not self._literal_seen and found.direct else frozenset()
        if fixed:
            # a name that only ever holds the page's own fixed text ("/App/Temp/" + user) is that text, as if
            # written here (B23's ProjectCreate: MapPath(_temporaryPath + Path.GetFileName(upload.FileName)))
            self._literal_seen = any(self.fold(m.group(0)) in fixed for m in _ANY_IDENT.finditer(stripped))
        if self._literal_seen:
            found.direct = False
        elif found.direct:
            combine = _COMBINE.match(text)
            if combine is not None:
                # Path.Combine(folder, name), fso.BuildPath(folder, name): a folder the request does not
                # choose, a name below it (a drive's root is no such folder)
                first = _args(self.code, start + combine.end())[0]
                folder = self.code[first[0] : first[1]].strip()
                if (
                    first[1] <= end
                    and self.expr(first[0], first[1]) is None
                    and not _TRIVIAL.fullmatch(folder)
                    and self.fold(folder) not in self._drive_roots()
                ):
                    found.direct = False
        return found

    def _decided(self, checked: checks.Checked, key: str, pos: int) -> bool:
        """Whether a check of ``key`` decides its use at ``pos``: in the check's own region, or in a method the page
        calls only from such regions (checks.callers_decided; once per method and name)."""
        regions = checked.get(key)
        if not regions:
            return False
        if checks.covers(checked, key, pos):
            return True
        if self._spans is None:
            self._spans = _method_spans(self.code, self.lang) if self.lang in ("cs", "vb") else []
        method = next((s for s in self._spans if s[2] <= pos < s[3]), None)
        if method is None:
            return False
        memo = (id(checked), key, method[2])
        if memo not in self._decided_in:
            self._decided_in[memo] = False  # (a method calling itself is not decided through itself)
            self._decided_in[memo] = checks.callers_decided(
                self.code, self.lang, self.page, self._spans, lambda at: checks.covers(checked, key, at), pos
            )
        return self._decided_in[memo]

    def _read_as_text(self, s: int, e: int) -> bool:
        """Whether the body source at [s, e) is read whole as text (``new StreamReader(Request.InputStream)
        .ReadToEnd()``, an upload's ``Request.Files[0].InputStream``, Core's ``Request.Body`` and
        ``ReadToEndAsync().Result``): a string the request wrote, like a form value - a name, a key, a path
        (X44's and X47's siblings, session 19: a connection string, a logon, an upload's saved name given so)."""
        code = self.code
        return _TEXT_READER_OPEN.search(code, max(0, s - 80), s) is not None and (
            _TEXT_READ_AFTER.match(code, e, min(len(code), e + 200)) is not None
        )









    def _add(self, name: str, t: _Taint) -> bool:
        key = self.fold(name)
        held = self.taint.get(key)
        if held is not None and held.kinds == {"listed"} and not t.kinds <= held.kinds:
            # a listed file whose listing the request chose too: both (see carriers.listings)
            t = _Taint(t.kinds | {"listed"}, t.direct, t.line, t.source, t.via)
            del self.taint[key]
        if key in self.keywords or key in self.taint:
            return False
        self.taint[key] = t
        self._ident_re = None
        self._changed.add(key)
        return True





    def propagate(self) -> None:
        code, lang = self.code, self.lang
        controller = _CONTROLLER_CLASS.get(lang)
        actions = controller is not None and controller.search(code) is not None
        sockets = (
            [m for m in _WEBSOCKET_RECEIVE.finditer(code)] if "ReceiveAsync" in code and _WEBSOCKET.search(code) else []
        )
        remoting = lang in _REMOTABLE_CLASS and _REMOTING_EXPOSED.search(code) is not None
        if not self.sources and not actions and not sockets and not remoting and not _WEB_METHOD[lang].search(code):
            return
        for m in sockets:  # the buffer a WebSocket message is received into holds what the client sent
            self._add(m.group(1), _Taint({"body"}, True, line_of(code, m.start()), "WebSocket message"))
        defs = [(m.start(), m.group(1), _params(m.group(2), lang)) for m in _METHOD_DEF[lang].finditer(code)]
        # VB marks by-reference parameters in the definition only: Sub Take(ByRef v As String)
        byref = (
            {
                self.fold(p)
                for m in _METHOD_DEF["vb"].finditer(code)
                for p in re.findall(r"\bByRef\s+([^\W\d]\w*)", m.group(2), re.I)
            }
            if lang == "vb" and "byref" in code.lower()
            else set()
        )
        lam = _LAMBDA_DEF.get(lang)
        if lam is not None:
            for m in lam.finditer(code):
                defs.append((m.start(), m.group(1), _params(m.group(2) or m.group(3) or "", lang)))
            defs.sort(key=lambda d: d[0])
        prop = _PROPERTY_DEF.get(lang)
        if prop is not None:
            defs.extend((m.start(), m.group(1), []) for m in prop.finditer(code))
            defs.sort(key=lambda d: d[0])
        defs = [d for d in defs if self.fold(d[1]) not in self.keywords]
        if actions:
            for m in _ACTION[lang].finditer(code):  # an MVC/Web API action's parameters come from the request
                if _NON_ACTION.search(code, max(0, m.start() - 200), m.start()):
                    continue  # [NonAction]: a public helper no route reaches
                typed = _TYPED_PARAM[lang]
                for part in _param_parts(m.group(1)):  # ([FromForm(Name = "c")] string x: the attribute's own brackets)
                    for name in _params(part, lang):
                        kind = "number" if typed.search(part) else "value"  # (an int id binds no text)
                        self._add(name, _Taint({kind}, True, line_of(code, m.start()), "controller action parameter"))
        for m in _WEB_METHOD[lang].finditer(code):  # a web service method's parameters come from the request
            n = next((i for i, g in enumerate(m.groups(), 1) if g is not None), 1)
            what = {1: "web service method parameter", 2: "Razor Pages handler parameter", 4: "minimal API parameter"}
            for part in _param_parts(m.group(n) or "") if n == 4 else [m.group(n) or ""]:
                if n == 4 and _SERVICE_PARAM.match(part):
                    continue  # (the context, a token, a service the framework injects: no request value)
                for name in _params(part, lang):
                    self._add(name, _Taint({"value"}, True, line_of(code, m.start()), what.get(n, "bound property")))
        if remoting:
            remote_parameters(self)
        if _LISTING.search(code):
            listings(self)
        def_starts = [d[0] for d in defs]
        # the call sites of the defined methods, found once (they do not change between rounds, only the taint
        # does): a name followed by "(" - or by .Invoke( / ?.Invoke( (a delegate) - one scan of the page, not one
        # per method and round (a page padded with 1,600 methods timed out)
        with_params = {self.fold(name) for _pos, name, params in defs if params}
        call_sites: dict[str, list[tuple[int, int]]] = {}
        if with_params:
            for c in _CALL_SITE[lang].finditer(code):
                key = self.fold(c.group(1))
                if key in with_params:
                    call_sites.setdefault(key, []).append((c.start(), c.end()))
        returning = {self.fold(name) for _pos, name, params in defs if params}
        defined = {self.fold(name) for _pos, name, _params_ in defs}
        self._defs, self._call_sites = defs, call_sites
        # the assignments, found once; after the first round one is read again only when a name it mentions
        # (its target, or a word of its value) was tainted or changed since it was last read - what it gives
        # depends on nothing else (sources and code do not change), so the result is the same, in one pass
        # over a page's assignments plus those that can change (a 600 KB code file: every round re-read ~15,000)
        # (not an "a=b" inside a literal: SQL text's "SET Id=@Id, Note=@Note" assigns no name of the code)
        assigns = _outside_literals(code, list(_ASSIGN[lang].finditer(code)))
        if lang == "vb":
            assigns = [m for m in assigns if not _vb_compares(code, m.start())]
        mentions = [
            frozenset(map(self.fold, _IDENT.findall(m.group(3)))) | {self.fold(m.group(1))} for m in assigns
        ]
        recent: set[str] | None = None  # None: the first round reads every assignment
        sites: list[tuple[list[str], list[tuple[int, int]], frozenset[str]]] | None = None
        others: list[tuple[str, re.Match[str], tuple[int, int], frozenset[str]]] | None = None
        for _ in range(6):
            self.check_time()
            changed = False
            self._changed = set()
            for n_assign, m in enumerate(assigns):
                if n_assign & 255 == 255:
                    self.check_time()
                if recent is not None and mentions[n_assign].isdisjoint(recent) and (
                    not self._changed or mentions[n_assign].isdisjoint(self._changed)
                ):
                    continue
                name = m.group(1)
                key = self.fold(name)
                if key in self.keywords:
                    continue
                if m.group(2) and (key.lower() == "response" or _RESPONSE_MEMBER.match(m.group(2))):
                    # context.Response.ContentType = ...: the page's output, not a value's carrier (tainted,
                    # context.Server.MapPath(p) read as only partly the request's)
                    continue
                held = self.taint.get(key)
                if held is not None and held.kinds == {"listed"} and not m.group(2):
                    # a listed file's content given request input later (Regex.Replace(text, find, with)): both
                    # (see _add and carriers.listings)
                    t = self.expr(m.start(3), m.end(3) if lang == "vb" else _header_end(code, m.start(3), m.end(3)))
                    if t is not None and not t.kinds <= held.kinds:
                        changed |= self._add(name, t)
                        continue
                if held is not None:
                    if held.direct and not m.group(2) and splices(self, name, m.start(3), m.end(3)):
                        held.direct = False  # v = "C:\\dir\\" + v, sql = sql.Replace("[X]", y): only part
                        self._changed.update(k for k, v in self.taint.items() if v is held)  # (shared)
                        changed = True
                    elif held.direct and not m.group(2) and returns_part(self, m.start(3), returning):
                        # p = CachePath(ctx, set, name): the value is what the method of the code returns (known
                        # after the first round: its arguments made p whole the request's until then)
                        held.direct = False
                        self._changed.update(k for k, v in self.taint.items() if v is held)  # (shared)
                        changed = True
                    continue
                rhs_end = m.end(3) if lang == "vb" else _header_end(code, m.start(3), m.end(3))
                if record_lookup(self, m.start(3), rhs_end, defined) or stored_data(self, m, rhs_end, defined):
                    continue
                if _REMOTE_RESULT.search(code, m.start(3), rhs_end):
                    # what a remote server answered is its data, not the request's - but fetched from an
                    # address the request chose it is the request's choice of payload ("remote")
                    asked = self.expr(m.start(3), rhs_end, frozenset({"value", "body", "control"}))
                    if asked is not None:
                        changed |= self._add(
                            name, _Taint({"remote"}, False, asked.line, asked.source, asked.via)
                        )
                    else:
                        # from an address the code names: the answer is the server's ("fetched": only the
                        # sinks that run commands or code take it - a polling implant's next command)
                        fetched = self.expr(m.start(3), rhs_end, _FETCHED)
                        if fetched is not None:
                            changed |= self._add(name, fetched)
                    continue
                t = self.expr(m.start(3), rhs_end)
                if (
                    t is not None
                    and t.direct
                    and re.search(r"[+&]=", code[m.end(2) : m.start(3)])
                    and held_text(self, name, m.start())
                ):
                    # p = "temp"; p += "/" + folder: appended to text p held: only part of p
                    t = _Taint(set(t.kinds), False, t.line, t.source, t.via)
                if t is not None and t.direct:
                    root = _NAMED_ROOT.match(code, m.start(3), rhs_end)
                    if root is not None and self.expr(m.start(3), root.end(1)) is None:
                        t = _Taint(set(t.kinds), False, t.line, t.source, t.via)  # below an app folder
                if t is not None and (
                    _typed_whole(code, m.start(3), rhs_end)
                    or _declared_typed(code, m, lang)
                    or numbers_only(self, m.start(3), rhs_end)
                ):
                    # a number, date or GUID parsed from the request (or a local of such a type) names no file,
                    # command or query: it is kept only as a "number" (a port), which only the socket sinks take
                    t = _Taint({"number"}, t.direct, t.line, t.source, t.via)
                elif t is not None and _extension_whole(code, m.start(3), rhs_end):
                    # a name's extension alone (Path.GetExtension(upload.FileName)): a file named by the page
                    # with it (a GUID + ext) is not one the request names - no sink takes an "extension" (B20's
                    # request, session 17: a Razor Page's upload under a generated name)
                    t = _Taint({"extension"}, t.direct, t.line, t.source, t.via)
                if t is not None:
                    changed |= self._add(name, t)
            if others is None:
                # the other ways a name takes a value, found once with the names each reads (as above)
                others = other_carriers(self)
            for n_other, (kind, m, span, said) in enumerate(others):
                if n_other & 255 == 255:
                    self.check_time()
                if recent is not None and said.isdisjoint(recent) and (
                    not self._changed or said.isdisjoint(self._changed)
                ):
                    continue
                if kind == "set":  # Dim x As New T(...), string X => ..., foreach (var x in ...)
                    if m.re is _ARROW_MEMBER and self.fold(m.group(1)) in self.taint:
                        continue
                    t = self.expr(*span)
                    if t is not None:
                        changed |= self._add(m.group(1), t)
                elif kind == "mutator":
                    name = m.group(1)
                    key = self.fold(name)
                    if key in self.taint or key.lower() in _NOT_CARRIERS:
                        continue
                    for a, b in _args_at(code, m.end(), self._brackets()):
                        t = self.expr(a, b)
                        if t is None:
                            continue
                        if t.direct and key in literal_receivers(self):
                            # literal text is added to the same receiver too: the value is only part
                            t = _Taint(set(t.kinds), False, t.line, t.source, t.via)
                        changed |= self._add(name, t)
                        break
                elif kind == "out":
                    if self.fold(m.group(1)) in self.taint:
                        continue
                    t = self.expr(*span)
                    if t is not None:
                        changed |= self._add(m.group(1), t)
                elif kind == "copy":
                    spans = _args(code, m.end())
                    t = self.expr(*spans[0])
                    dst = code[
                        spans[2 if len(spans) >= 5 else 1][0] : spans[2 if len(spans) >= 5 else 1][1]
                    ].strip()
                    if t is not None and _IDENT.fullmatch(dst):
                        changed |= self._add(dst, t)
                else:  # return: the method the return is in, the last defined before it
                    t = self.expr(*span)
                    if t is not None:
                        i_def = bisect_right(def_starts, m.start()) - 1
                        if i_def >= 0:
                            changed |= self._add(defs[i_def][1], t)
            self.check_time()
            if sites is None:
                # the call sites' arguments, split once, with the names they mention (and the method's
                # parameters, whose taint an out/ref argument takes back): read again like the assignments
                sites = []
                brackets = self._brackets()
                for pos, name, params in defs:
                    if not params:
                        continue
                    for c_start, c_end in call_sites.get(self.fold(name), ()):
                        if c_start == pos:
                            continue
                        spans = _args_at(code, c_end, brackets)
                        words = _IDENT.findall(code, c_end, spans[-1][1]) if spans else []
                        sites.append((params, spans, frozenset(map(self.fold, [*words, *params]))))
                    self.check_time()
            for n_site, (params, spans, said) in enumerate(sites):
                if n_site & 255 == 255:
                    self.check_time()
                if recent is not None and said.isdisjoint(recent) and (
                    not self._changed or said.isdisjoint(self._changed)
                ):
                    continue
                for i, (a, b) in enumerate(spans):
                    out = _OUT_REF.match(code, a, b)
                    if out is None and byref and i < len(params) and self.fold(params[i]) in byref:
                        out = _BARE_NAME.match(code, a, b)
                    if out is not None and i < len(params):
                        # out/ref: what the method puts in its parameter comes back to the caller
                        back = self.taint.get(self.fold(params[i]))
                        if back is not None:
                            changed |= self._add(out.group(1), back)
                        continue
                    t = self.expr(a, b)
                    if t is not None and i < len(params):
                        changed |= self._add(params[i], t)
            if not changed:
                break
            recent = self._changed

    def _brackets(self) -> dict[int, tuple[int, list[int]]] | None:
        """The bracket map of big code (:func:`_brackets`, built once), None for code under 64 KB (its calls are
        walked one by one: fewer than the map would cost)."""
        if self._bracket_map is None and len(self.code) > _BRACKETS_FROM:
            self._bracket_map = _brackets(self.code)
        return self._bracket_map




    def statement(self, pos: int) -> tuple[int, int]:
        """The statement holding ``pos``, from after the assignment it is the value of (``Output.Text =
        Process.Start(...)``: the target is where the result goes, not an input)."""
        start, end = self._whole_statement(pos)
        return _after_assignment(self.code, start, pos), end

    def _whole_statement(self, pos: int) -> tuple[int, int]:
        """The statement holding ``pos`` with the target it assigns (``System.IO.FileStream fs = ..``,
        ``Dim cs As System.String = ..``); a condition in front of it (``if (..)``, ``If .. Then``) left out."""
        code = self.code
        if self.lang == "vb":
            start = code.rfind("\n", 0, pos) + 1
            end = code.find("\n", pos)
            while end > 0 and code[end - 1 : end].rstrip() == "" and code[start:end].rstrip().endswith(" _"):
                end = code.find("\n", end + 1)
            cond = _VB_IF_THEN.match(code, start, pos)
            if cond is not None:
                start = cond.end()  # If <condition> Then <statement>: the condition is no input of it
            return start, len(code) if end < 0 else end
        start = (
            max(
                code.rfind(";", max(0, pos - 2000), pos),
                code.rfind("{", max(0, pos - 2000), pos),
                code.rfind("}", max(0, pos - 2000), pos),
            )
            + 1
        )
        cond = _C_CONDITION.match(code, start, pos)
        if cond is not None:
            close = _args(code, cond.end())[-1][1]
            if close < pos:
                start = close + 1  # if (<condition>) <statement>: the condition is no input of it
        end = code.find(";", pos, pos + 2000)
        return start, _header_end(code, pos, pos + 2000 if end < 0 else end)


    def _may(self, pat: re.Pattern[str]) -> bool:
        """Whether ``pat`` may occur in the code (False only when the pattern screen says it cannot)."""
        possible = self._possible
        if possible is None:
            return True
        i = self._screen.index.get(id(pat))
        return i is None or i in possible

    def candidates(self) -> bool:
        """Whether any sink occurs at all (most pages: no), and any input to reach it."""
        code, lang = self.code, self.lang
        if not prefilter_hits(self.know.prefilter.get(lang), code) and len(code.strip()) > WHOLE_MAX:
            return False  # (the screen leaves "whole" sinks out: short code is looked at below)
        present = False
        for sink in self.know.sinks:
            self.check_time()  # (each search reads the whole code: a huge file spends its budget here)
            pat = sink.patterns.get(lang)
            if pat is None or not all(self._may(c[lang]) and occurs(c[lang], code) for c in sink.context if lang in c):
                continue  # (its context first: cheap, and a sink without it cannot count)
            if sink.needs == "whole":
                # the whole (short) code, matched once - never a search (see sinks())
                stripped = code.strip()
                if len(stripped) <= WHOLE_MAX and pat.fullmatch(stripped):
                    present = True
                    break
                continue
            if self._may(pat) and pat.search(code):
                present = True  # one is enough: sinks() looks at each
                break
        if not present:
            return False
        find_sources(self)
        return True



















