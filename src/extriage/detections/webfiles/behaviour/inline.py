"""One-line helper methods written out where they are called: a method whose whole body returns one expression
(C# ``FileStream Open(string p) { return new FileStream(p, FileMode.Create); }`` or ``=> expr;``, JScript
``function f(a) { return expr; }``, VB ``Function F(a) ... Return expr ... End Function`` or ``F = expr``) has
each call ``Open(x)`` replaced by its expression with the arguments put in for the parameters
(``new FileStream(x, FileMode.Create)``). The sinks and their views (a save call's path, a stream opened on a
file) then read what the page does at the call site, as if the helper were not there (X34's request, session 15:
an uploader reaching ``Request.Params``, ``Request.Files`` and its output stream only through such helpers).

Bounded for hostile pages: at most :data:`MAX_HELPERS` helpers, :data:`MAX_SITES` call sites rewritten,
:data:`MAX_DEPTH` helpers within helpers, :data:`MAX_STEPS` expansions in all, and an expansion longer than
:data:`MAX_TEXT` characters is not written (its call stays). One scan of the code for calls; every call site
is looked up by name. Lines do not change: a call written over several lines, or a body of several, is left as
it is; the definitions themselves are left as they are (the taint of their returns still reads them).
"""

from __future__ import annotations

import re

from extriage.detections.webfiles.behaviour.syntax import _METHOD_DEF, KEYWORDS_OF, _param_parts, top_level

#: The most helpers read from one code (the first ones).
MAX_HELPERS = 500
#: The most call sites rewritten in one code.
MAX_SITES = 1000
#: How deep helpers within helpers (and within their arguments) are written out.
MAX_DEPTH = 4
#: The most expansions (a helper's expression written for one call, at any depth) in one code.
MAX_STEPS = 4000
#: The longest text one call is replaced by.
MAX_TEXT = 2000
#: The longest returned expression a helper may have.
_MAX_EXPR = 400

#: The body after a definition's header: ``{ return expr; }`` or ``=> expr;`` (C#), the same with JScript's
#: statement end (a newline may end it); VB below.
_C_BODY = re.compile(r"\s*return\b[ \t]*([^;{}\n]{1,400}?)[ \t]*;\s*\}")
_C_ARROW = re.compile(r"[ \t]*([^;{}\n]{1,400}?)[ \t]*;")
_JS_BODY = re.compile(r"\s*\{\s*return\b[ \t]*([^;{}\n]{1,400}?)[ \t]*;?\s*\}")
#: VB: the rest of the header line (``As String``), then one line ``Return expr`` or ``Name = expr``, then End.
_VB_BODY = re.compile(
    r"[^\n]{0,200}\n[ \t]*(?:Return\b[ \t]*|(?P<name>[^\W\d]\w*)[ \t]*=[ \t]*)([^\n]{1,400}?)[ \t]*\r?\n"
    r"[ \t]*End[ \t]+Function\b",
    re.I,
)
_VB_FUNCTION = re.compile(r"\bFunction\s+$", re.I)
#: A call: a name and its bracket (what stands before it is checked apart: no member of another object, no ``new``).
_CALL = {
    "cs": re.compile(r"(?<![\w.$])([^\W\d]\w*)\s*\("),
    "js": re.compile(r"(?<![\w.$])([^\W\d]\w*)\s*\("),
    "vb": re.compile(r"(?<![\w.])([^\W\d]\w*)\s*\(", re.I),
}
_NEW_BEFORE = re.compile(r"\bnew\s*$", re.I)
#: Text that needs brackets around it where it replaces a call: an operator outside brackets and literals.
_OPERATORS = "+-*/%&|^?:<>=!"
_PARAM_NAME = re.compile(r"[^\W\d]\w*")
#: JScript's code runners as a value.
_CODE_RUNNER = re.compile(r"eval|Function")
#: An argument that is a literal: a string, a number, true/false/null.
_LITERAL_ARG = re.compile(r'"[^"\n]*"|-?\d[\w.]*|true|false|null|Nothing|True|False', re.I)


class _Helper:
    __slots__ = ("expr", "params", "put", "span")

    def __init__(self, params: list[str], expr: str, span: tuple[int, int], flags: int) -> None:
        self.params = params
        self.expr = expr
        self.span = span
        #: The parameters where the expression names them (not in a literal, not a member of something else).
        names = "|".join(re.escape(p) for p in sorted(params, key=len, reverse=True))
        self.put = re.compile(r'"[^"\n]*"|(?<![\w.])(' + names + r")\b", flags) if params else None


def _param_names(text: str, lang: str) -> list[str] | None:
    """The parameters' names, or None when one cannot be put in plainly (a default value, ``params``, ``out``/``ref``,
    VB ``Optional``/``ParamArray``/``ByRef``)."""
    text = text.strip()
    if not text:
        return []
    names: list[str] = []
    for part in _param_parts(text):
        part = part.strip()
        if "=" in part or re.search(r"\b(?:params|out|ref|this|Optional|ParamArray|ByRef)\b", part, re.I):
            return None
        if lang == "vb":
            part = re.sub(r"\s+As\s+.*$", "", part, flags=re.I)
            part = re.sub(r"^ByVal\s+", "", part, flags=re.I)
        elif lang == "js":
            part = re.sub(r"\s*:.*$", "", part)
        idents = _PARAM_NAME.findall(part)
        if not idents:
            return None
        names.append(idents[-1])
    return names


def _helpers(code: str, lang: str) -> dict[tuple[str, int], _Helper]:
    """The code's one-line helpers by (name, number of parameters); a name and count defined twice (overloads
    of the same arity, a method of another class) is left out."""
    fold = str.lower if lang == "vb" else str
    keywords = KEYWORDS_OF[lang]
    found: dict[tuple[str, int], _Helper | None] = {}
    for n, m in enumerate(_METHOD_DEF[lang].finditer(code)):
        if n >= 20 * MAX_HELPERS or len(found) >= MAX_HELPERS:
            break
        name = m.group(1)
        if fold(name) in keywords or name == "delegate":
            continue
        params = _param_names(m.group(2), lang)
        key = (fold(name), -1 if params is None else len(params))
        body: re.Match[str] | None
        if lang == "cs":
            body = (_C_BODY if code[m.end() - 1] == "{" else _C_ARROW).match(code, m.end())
        elif lang == "js":
            body = _JS_BODY.match(code, m.end())
        else:
            if not _VB_FUNCTION.search(code, max(0, m.start() - 20), m.start(1)):
                found[key] = None  # a Sub: no value
                continue
            body = _VB_BODY.match(code, m.end())
            if body is not None and body.group("name") is not None and fold(body.group("name")) != fold(name):
                body = None  # x = y: a statement, not the function's value
        if key in found or params is None or body is None:
            found[key] = None  # (defined twice, or not a one-line helper: calls of it stay)
            continue
        expr = body.group(body.lastindex or 1).strip()
        if not expr or len(expr) > _MAX_EXPR or expr.count('"') % 2:
            found[key] = None
            continue
        found[key] = _Helper(params, expr, (m.start(), body.end()), re.I if lang == "vb" else 0)
    return {k: v for k, v in found.items() if v is not None}


def _needs_brackets(text: str) -> bool:
    """Whether ``text`` has an operator outside brackets and literals (``a + b``: put in brackets where it replaces
    a call; a name, a member, a call or ``new T(..)`` stand alone)."""
    stops, _close = top_level(text, 0, len(text), _OPERATORS, first=True)
    return bool(stops)


class _Inliner:
    def __init__(self, code: str, lang: str, helpers: dict[tuple[str, int], _Helper]) -> None:
        self.code = code
        self.lang = lang
        self.helpers = helpers
        self.fold = str.lower if lang == "vb" else str
        self.call = _CALL[lang]
        self.steps = 0
        self.names = frozenset(name for name, _n in helpers)

    def _site(self, text: str, m: re.Match[str], depth: int) -> tuple[int, str] | None:
        """The call of a helper at ``m`` in ``text`` written out: (where the call ends, its text), or None."""
        if _NEW_BEFORE.search(text, max(0, m.start() - 8), m.start()):
            return None  # new Name(..): a constructor
        quotes = text.count('"', text.rfind("\n", 0, m.start()) + 1, m.start())
        if quotes % 2:
            return None  # inside a literal (literals are canonical: one line, no quote inside)
        spans_close = top_level(text, m.end(), min(len(text), m.end() + MAX_TEXT), ",")
        commas, close = spans_close
        if close < 0 or text[close] != ")":
            return None
        starts = [m.end(), *(c + 1 for c in commas)]
        ends = [*commas, close]
        args = [text[a:b].strip() for a, b in zip(starts, ends, strict=True)]
        if args == [""]:
            args = []
        helper = self.helpers.get((self.fold(m.group(1)), len(args)))
        if helper is None or "\n" in text[m.start() : close]:
            return None
        if args and all(_LITERAL_ARG.fullmatch(a) for a in args):
            # given literals only: no request input passes through its parameters, and what the helper makes of
            # them is its own (a decoder of a scrambled literal is named as the page's function: eval-decoder-call)
            return None
        if self.lang == "js" and any(_CODE_RUNNER.fullmatch(a) for a in args):
            return None  # JScript's eval or Function handed on (pick(eval)): the eval-handed sink reads the call

        self.steps += 1
        if self.steps > MAX_STEPS:
            return None
        out_args: list[str] = []
        for arg in args:
            expanded = self.expand(arg, depth + 1)
            if expanded is None:
                return None
            out_args.append(expanded)
        body = helper.expr
        if helper.put is not None:
            by_name = {self.fold(p): a for p, a in zip(helper.params, out_args, strict=True)}
            body = helper.put.sub(lambda p: p.group(0) if p.group(1) is None else by_name[self.fold(p.group(1))], body)
        expanded_body = self.expand(body, depth + 1) if depth + 1 < MAX_DEPTH else body
        if expanded_body is None:
            return None
        if _needs_brackets(expanded_body):
            expanded_body = "(" + expanded_body + ")"
        if len(expanded_body) > MAX_TEXT:
            return None
        return close + 1, expanded_body

    def expand(self, text: str, depth: int, skip: list[tuple[int, int]] | None = None) -> str | None:
        """``text`` with the helper calls in it written out (None when it grows past :data:`MAX_TEXT` below the
        top; the calls past the limits stay as they are)."""
        if depth >= MAX_DEPTH:
            return text
        out: list[str] = []
        pos = 0
        sites = 0
        i_skip = 0
        search = self.call.search
        m = search(text, 0)
        while m is not None:
            if skip is not None:
                while i_skip < len(skip) and skip[i_skip][1] <= m.start():
                    i_skip += 1
                if i_skip < len(skip) and skip[i_skip][0] <= m.start():
                    m = search(text, skip[i_skip][1])  # a helper's own definition stays as it is
                    continue
            done = None
            if self.fold(m.group(1)) in self.names:
                if depth == 0 and sites >= MAX_SITES:
                    break
                done = self._site(text, m, depth)
            if done is None:
                m = search(text, m.end())
                continue
            end, written = done
            out.append(text[pos : m.start()])
            out.append(written)
            pos = end
            sites += 1
            if depth > 0 and sum(map(len, out)) > MAX_TEXT:
                return None
            m = search(text, end)
        if not out:
            return text
        out.append(text[pos:])
        return "".join(out)


def inline_helpers(code: str, lang: str) -> str:
    """``code`` with each call of a one-line helper replaced by the helper's expression, its arguments put in
    (see the module's text). Lines do not change."""
    if lang not in _CALL:
        return code
    if lang != "vb" and "return" not in code and "=>" not in code:
        return code  # (no helper can be written: most code files)
    helpers = _helpers(code, lang)
    if not helpers:
        return code
    inliner = _Inliner(code, lang, helpers)
    skip = sorted(h.span for h in helpers.values())
    out = inliner.expand(code, 0, skip)
    return code if out is None else out
