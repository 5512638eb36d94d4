"""Normalisation, per language: comments blanked, escapes decoded, literals folded, and spellings
that change nothing of what code does written one way. Every substitution keeps the newlines of what
it replaces."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from extriage.detections.webfiles.behaviour import budget
from extriage.detections.webfiles.behaviour.budget import Timeout
from extriage.detections.webfiles.behaviour.lazy import lazy
from extriage.detections.webfiles.behaviour.syntax import _KEYWORDS, _METHOD_DEF, top_level

_TOKENS = {
    "cs": lazy(
        # interpolated strings first: their holes hold code (and strings of their own)
        r'(?:\$@|@\$)"(?:[^"{]|""|\{\{|\{[^{}]{0,400}\})*"?|\$"(?:[^"\\\n{]|\\.|\{\{|\{[^{}\n]{0,400}\})*"?|'
        r'@"(?:[^"]|"")*"?|"(?:[^"\\\n]|\\.)*"?|\'(?:[^\'\\\n]|\\.){0,8}\'|//[^\n]*|/\*(?:[^*]|\*(?!/))*(?:\*/)?'
    ),
    "js": lazy(r'"(?:[^"\\\n]|\\.)*"?|\'(?:[^\'\\\n]|\\.)*\'?|//[^\n]*|/\*(?:[^*]|\*(?!/))*(?:\*/)?'),
    # (VB 14 interpolated strings first: $"a{x}b", "" for a quote)
    "vb": lazy(
        r'\$"(?:[^"\n{]|""|\{\{|\{[^{}\n]{0,400}\})*"?|"(?:[^"\n]|"")*"?|\'[^\n]*|\bREM\b[^\n]*', re.I
    ),
}
_HOLE = lazy(r"\{\{|\}\}|\{([^{}]*)\}")
_ESCAPE = lazy(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{8}|.)", re.S)
_IDENT_ESCAPE = lazy(r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})")
_SIMPLE = {"n": " ", "r": " ", "t": " ", "0": " ", "a": " ", "b": " ", "f": " ", "v": " "}


#: Unicode format characters (category Cf) that C# ignores inside identifiers.
_FORMAT_CHARS = lazy("[\u00ad\u180b-\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def _unescape(body: str) -> str:
    def one(m: re.Match[str]) -> str:
        e = m.group(1)
        if e[0] in "uxU" and len(e) > 1:
            try:
                return chr(int(e[1:], 16))
            except (ValueError, OverflowError):
                return e
        return _SIMPLE.get(e, e)

    return _ESCAPE.sub(one, body)


def _lit(value: str, original: str = "") -> str:
    """A canonical string literal (double quotes, no quotes or newlines inside) keeping the
    newlines of the text it replaces."""
    clean = "".join(" " if c in '"\n\r' or ord(c) < 32 else c for c in value)
    return '"' + clean + '"' + "\n" * original.count("\n")


class _Norm:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.decoded = 0  # obfuscation folded: escapes, char codes, byte arrays, base64, splits
        self.deadline = float("inf")  # set by analyse: normalisation checks it between passes
        #: Text decoded from base64 literals, by the literal it became (quotes and newlines blanked):
        #: the code a JScript eval of that literal runs (see _evals).
        self.payloads: dict[str, str] = {}
        self.depth = 0  # eval of decoded code inside decoded code: at most two levels

    def tokens(self, code: str) -> str:
        lang = self.lang
        if lang != "vb" and ("\\u" in code or "\\U" in code):  # \u0065val, \U00000065val: legal in names
            code = _IDENT_ESCAPE.sub(self._ident_char, code)
        if _FORMAT_CHARS.search(code):
            # format characters (zero-width, bidi controls, BOM) are ignored inside C# names: Pro\u200Bcess
            code = _FORMAT_CHARS.sub("", code)
            self.decoded += 1

        def one(m: re.Match[str]) -> str:
            tok = m.group(0)
            c = tok[0]
            if c == "/" or (c == "'" and lang == "vb") or (c in "rR" and lang == "vb"):
                return "\n" * tok.count("\n") + " "  # comment
            if lang == "vb":
                if c == "$":
                    return self._interpolated(tok)
                return _lit(tok[1:-1].replace('""', '"') if tok.endswith('"') else tok[1:], tok)
            if c == "$" or tok.startswith("@$"):
                return self._interpolated(tok)
            if c == "@":
                return _lit(tok[2:-1].replace('""', '"'), tok)
            body = tok[1:]
            if c == "$":
                body = tok[2:]
            if body.endswith(tok[0] if c != "$" else '"') and len(body) >= 1:
                body = body[:-1]
            if "\\" in body:
                plain = _unescape(body)
                if re.search(r"\\[ux]", body):
                    self.decoded += 1
                body = plain
            return _lit(body, tok)

        return _TOKENS[lang].sub(one, code)

    def _interpolated(self, tok: str) -> str:
        """``$"a{x}b"`` as ``("a" + (x) + "b")`` (VB: ``&``): the value of a hole is the code's, not literal text
        (a request value inside an interpolated string still reaches the sink)."""
        vb = self.lang == "vb"  # (VB: no backslash escapes, "" is a quote, & joins)
        verbatim = "@" in tok[:2] or vb
        body = tok[3:] if "@" in tok[:2] else tok[2:]
        if body.endswith('"'):
            body = body[:-1]
        parts: list[str] = []
        pos = 0

        def text(raw: str) -> None:
            raw = raw.replace("{{", "{").replace("}}", "}")
            raw = raw.replace('""', '"') if verbatim else _unescape(raw)
            if raw:
                parts.append(_lit(raw))

        for m in _HOLE.finditer(body):
            if m.group(1) is None:
                continue  # {{ or }}: literal braces, kept with the text
            text(body[pos : m.start()])
            hole = m.group(1)
            if "?" not in hole and ":" in hole and "::" not in hole:
                hole = hole[: hole.rfind(":")]  # a format: {x:yyyy-MM-dd}
            hole = re.sub(r",\s*-?\d+\s*$", "", hole)  # an alignment: {x,10}
            parts.append("(" + self.tokens(hole).replace("\n", " ") + ")")
            pos = m.end()
        text(body[pos:])
        return "(" + ((" & " if vb else " + ").join(parts) or '""') + ")" + "\n" * tok.count("\n")

    def _ident_char(self, m: re.Match[str]) -> str:
        value = int(m.group(1) or m.group(2), 16)
        if value >= 0x110000:
            return m.group(0)
        c = chr(value)
        if c.isalnum() or c == "_":
            self.decoded += 1
            return c
        if _FORMAT_CHARS.fullmatch(c):  # \u200B inside a name: C# drops it
            self.decoded += 1
            return ""
        return m.group(0)

    def fold(self, code: str) -> str:
        lang = self.lang
        code = _structure(code, lang)
        flags = re.I if lang == "vb" else 0
        steps: list[tuple[re.Pattern[str], Any]] = []
        if lang == "cs":
            steps.append((re.compile(r"\(\s*char\s*\)\s*(0x[0-9a-fA-F]{1,4}|\d{1,5})\b"), self._char))
            # (char)(80): the number in parentheses of its own
            steps.append((re.compile(r"\(\s*char\s*\)\s*\(\s*(0x[0-9a-fA-F]{1,4}|\d{1,5})\s*\)"), self._char))
            steps.append(
                (re.compile(r"\bConvert\s*\.\s*ToChar\s*\(\s*(0x[0-9a-fA-F]{1,4}|\d{1,5})\s*\)"), self._char)
            )
        if lang == "vb":
            steps.append((re.compile(r"\bChrW?\s*\(\s*(&H[0-9a-fA-F]{1,4}|\d{1,5})\s*\)", re.I), self._char))
        if "FromBase64String" in code:
            code = self._decoder_calls(code)
        if lang == "js":
            code = self._evals(code)
            steps.append(
                (re.compile(r"\bString\s*\.\s*fromCharCode\s*\(\s*([\d\s,xXa-fA-F]{1,4000})\)"), self._codes)
            )
            # JScript .NET's char(n) conversion, also of a constant sum, difference, product or quotient of
            # decimal, octal (0640) or hex (0x94) numbers: char(837-763)
            steps.append((_CHAR_ARITH, self._char_arith))
            steps.append((_UNESCAPE_CALL, self._percent))
        if lang == "vb":
            steps.append((_UNESCAPE_VB, self._percent))
            if self.depth < 2 and _VB_RUN.search(code):
                code = self._vb_runs(code)
            if _VB_PROGID_NAME.search(code):
                code = self._vb_empty_names(code)
        steps.append(
            (
                re.compile(
                    r"\bnew\s+(?:System\s*\.\s*)?(?:byte|Byte|char|Char)\s*(?:\[\s*\d*\s*\]|\(\s*\))\s*\{\s*([\d\s,xXa-fA-F&H]{1,20000})\}",
                    flags,
                ),
                self._codes,
            )
        )
        steps.append(
            (
                re.compile(
                    r'\bnew\s+(?:char|Char)\s*(?:\[\s*\d*\s*\]|\(\s*\))\s*\{((?:\s*"[^"\n]{0,2}"\s*,?){1,2000})\}',
                    flags,
                ),
                self._chars,
            )
        )
        steps.append(
            (
                re.compile(r'\bnew\s+(?:System\s*\.\s*)?(?:string|String)\s*\(\s*("[^"\n]*")\s*\)', flags),
                self._same,
            )
        )
        steps.append(
            (
                re.compile(
                    r'(?:\bSystem\s*\.\s*)?\bConvert\s*\.\s*FromBase64String\s*\(\s*"([A-Za-z0-9+/=\s]{8,20000})"\s*\)',
                    flags,
                ),
                self._base64,
            )
        )
        for pat, fn in steps:
            if budget.now() > self.deadline:
                raise Timeout
            code = pat.sub(fn, code)
        code = self._concat(code)
        if lang == "js" and _BRACKET_CALL.search(code):  # this["ev" + "al"](...) once the name is folded
            code = _THIS["js"].sub("", _BRACKET_CALL.sub(r".\1", code))
        return code

    def _concat(self, code: str) -> str:
        flags = re.I if self.lang == "vb" else 0
        op = r"[+&]" if self.lang == "vb" else r"\+"
        cat = re.compile(r'"([^"\n]*)"((?:\s|_\s)*)' + op + r'(\s*)"([^"\n]*)"')
        rep = re.compile(r'"([^"\n]*)"\s*\.\s*Replace\s*\(\s*"([^"\n]*)"\s*,\s*"([^"\n]*)"\s*\)', flags)
        if self.lang == "vb":  # and VB's Replace function (Replace("a@@b", "@@", ""))
            rep = re.compile(
                rep.pattern + r'|(?<![\w.])Replace\s*\(\s*"([^"\n]*)"\s*,\s*"([^"\n]*)"\s*,\s*"([^"\n]*)"\s*\)', flags
            )
        getstr = re.compile(
            r"(?:\b(?:System\s*\.\s*)?(?:Text\s*\.\s*)?Encoding\s*\.\s*(?:\w+|GetEncoding\s*\(\s*[^()\n]{0,40}\))\s*\.\s*"
            r'|(?<![\w.]))GetString\s*\(\s*("[^"\n]*")\s*\)',
            flags,
        )
        # base64 of a literal assembled from pieces, decoded where it is turned into text
        getstr_b64 = re.compile(
            r'(GetString\s*\(\s*)(?:System\s*\.\s*)?(?:Convert\s*\.\s*)?FromBase64String\s*\(\s*"([A-Za-z0-9+/=\s]{4,20000})"\s*\)',
            flags,
        )
        tostr = re.compile(r'("[^"\n]*")\s*\.\s*ToString\s*\(\s*\)')
        # a literal reversed: new string("ssecorP".Reverse().ToArray()), string.Concat("...".Reverse()),
        # VB StrReverse("...")
        reverse = re.compile(
            r'\bnew\s+(?:System\s*\.\s*)?[Ss]tring\s*\(\s*("[^"\n]*")\s*\.\s*Reverse\s*\(\s*\)\s*\.\s*ToArray\s*\(\s*\)\s*\)'
            r'|\b(?:System\s*\.\s*)?[Ss]tring\s*\.\s*(?:Concat|Join\s*\(\s*""\s*,)\s*\(?\s*("[^"\n]*")\s*\.\s*Reverse\s*\(\s*\)\s*\)'
            r'|\bStrReverse\s*\(\s*("[^"\n]*")\s*\)',
            flags,
        )
        concat_call = re.compile(
            r'\b(?:System\s*\.\s*)?[Ss]tring\s*\.\s*Concat\s*\(\s*("[^"\n]*"(?:\s*,\s*"[^"\n]*"){1,20})\s*\)',
            flags,
        )
        for _ in range(16):
            if budget.now() > self.deadline:
                raise Timeout
            before = code
            code = cat.sub(self._join, code)
            # each pass only where its word occurs (most code has none of them; VB's words in any case)
            low = code.lower() if flags else code
            if "eplace" in low:
                code = rep.sub(self._replace, code)
            if "FromBase64String" in code or (flags and "frombase64string" in low):
                code = getstr_b64.sub(self._base64_in, code)
            if "etstring" in low or "GetString" in code:
                code = getstr.sub(self._same, code)
            if "oString" in code or (flags and "tostring" in low):
                code = tostr.sub(self._same, code)
            if "oncat" in low:
                code = concat_call.sub(self._concat_call, code)
            if "everse" in code:
                code = reverse.sub(self._reverse, code)
                if self.lang == "js":
                    code = _JS_REVERSE.sub(self._reverse, code)
            if code == before:
                break
        return code

    def _vb_runs(self, code: str) -> str:
        """VBScript ``Execute``/``ExecuteGlobal``/``Eval`` of text the page assembles from its own literals
        (``"e"&"v"&"a"&"l"...``, ``Chr(114)+Chr(101)...``, ``Unescape(Replace("...", "@@", ""))``, a name given
        such text once before, a hex literal through a function of the page): the argument is folded on its
        own; when it comes out as one literal, ``Eval("request")`` reads as ``request`` (a classic object
        named in pieces), and code is what runs - written out after the statement (its line kept) with the
        argument named ``__decoded__`` (the ``eval-decoded`` sink). X29's collection, session 14."""
        out: list[str] = []
        pos = 0
        given: dict[str, list[tuple[int, str]]] | None = None  # name -> (where, value) of one-line assignments
        for n, m in enumerate(_VB_RUN.finditer(code)):
            if n >= 50:
                break
            if m.start() < pos:
                continue
            a = m.end()
            if a < len(code) and code[a] == "(":
                close = top_level(code, a + 1, min(len(code), a + 20000), "")[1]
                if close < 0:
                    continue
                b = close + 1
            else:
                stops, close = top_level(code, a, min(len(code), a + 20000), "\n:", first=True)
                b = stops[0] if stops else close if close >= 0 else len(code)
            arg = code[a + 1 : b - 1] if code[a : a + 1] == "(" else code[a:b]
            if not arg.strip() or "__decoded__" in arg:
                continue
            if given is None:
                given = {}
                for g in _VB_GIVEN.finditer(code):
                    given.setdefault(g.group(1).lower(), []).append((g.start(), g.group(2)))
            arg = _vb_held(arg, given, m.start())
            if '"' not in arg and not _VB_CHR.search(arg):
                continue  # no literal, no char code: nothing the page decodes from its own text
            sub = _Norm(self.lang)
            sub.depth = self.depth + 1
            sub.deadline = self.deadline
            text = sub._vb_literal(arg, code)
            if text is None:
                continue
            word = text.strip()
            if m.group(1).lower() == "eval" and _CLASSIC_OBJECT.fullmatch(word):
                self.decoded += 1 + sub.decoded
                out.append(code[pos:a])
                out.append(" " + word + " " + "\n" * arg.count("\n"))
                pos = b
                continue
            if not sub.decoded or not _CODE_TEXT.search(text):
                continue  # Execute "x = 1", Eval("2+3"): text the page spells out, not code it hides
            self.decoded += 1 + sub.decoded
            stops, close = top_level(code, b, min(len(code), b + 20000), "\n:", first=True)
            end = stops[0] if stops else close if close >= 0 else len(code)
            inner = text.replace("\n", " ").replace("\r", " ")
            out.append(code[pos:a])
            out.append("( __decoded__)" + "\n" * arg.count("\n"))
            out.append(code[b:end])
            out.append(": " + inner + " ")
            pos = end
        out.append(code[pos:])
        return "".join(out)

    def _vb_empty_names(self, code: str) -> str:
        """In a ProgID written in pieces (``CreateObject("ScR"&ABc&"ipting.FileSystemObject")``), a name the page
        never gives a value is VBScript's Empty, which ``&`` joins as "": written as ``""`` so the pieces fold
        (X31's collection, session 14). Not when the page includes other files or runs text (the name may be
        given there)."""
        if _VB_ELSEWHERE.search(code):
            return code

        def one(m: re.Match[str]) -> str:
            name = m.group(2)
            if name.lower() in _VB_NOT_HELD or _vb_given(code, name):
                return m.group(0)
            self.decoded += 1
            return m.group(1) + '""' + m.group(3)

        return _VB_PROGID_NAME.sub(one, code)

    def _vb_literal(self, arg: str, page: str) -> str | None:
        """The text ``arg`` folds to when it is one literal (brackets and an empty literal joined first
        dropped), or hex pairs handed to a function the page defines that come out as printable text."""
        folded = self.fold(arg)
        for _ in range(8):
            before = folded
            folded = _VB_LIT_BRACKETS.sub(r"\1\2", folded)
            folded = self._concat(_UNESCAPE_VB.sub(self._percent, folded))
            if folded == before:
                break
        lm = re.fullmatch(r'\s*"([^"\n]*)"\s*', folded)
        if lm is not None:
            return lm.group(1)
        hm = _VB_HEX_CALL.fullmatch(folded)
        if hm is None or not re.search(
            r"\b(?:Function|Sub)[ \t]+" + re.escape(hm.group(1)) + r"\b", page, re.I
        ):
            return None
        try:
            text = bytes.fromhex(hm.group(2)).decode("ascii")
        except ValueError:
            return None
        if not all(32 <= ord(c) < 127 for c in text):
            return None
        self.decoded += 1
        return text

    def _join(self, m: re.Match[str]) -> str:
        self.decoded += 1
        return _lit(m.group(1) + m.group(4), m.group(0))

    def _reverse(self, m: re.Match[str]) -> str:
        self.decoded += 1
        lit = next(g for g in m.groups() if g is not None)
        return _lit(lit[1:-1][::-1], m.group(0))

    def _concat_call(self, m: re.Match[str]) -> str:
        self.decoded += 1
        return _lit("".join(re.findall(r'"([^"\n]*)"', m.group(1))), m.group(0))

    def _replace(self, m: re.Match[str]) -> str:
        self.decoded += 1
        text, old, new = m.group(1, 2, 3) if m.group(1) is not None else m.group(4, 5, 6)
        return _lit(text.replace(old, new) if old else text, m.group(0))

    def _same(self, m: re.Match[str]) -> str:
        return m.group(1) + "\n" * m.group(0).count("\n")

    def _char(self, m: re.Match[str]) -> str:
        v = _number(m.group(1))
        if v is None or not 0 < v < 0x110000:
            return m.group(0)
        self.decoded += 1
        return _lit(chr(v), m.group(0))

    def _codes(self, m: re.Match[str]) -> str:
        parts = [p for p in re.split(r"[\s,]+", m.group(1)) if p]
        values = [_number(p) for p in parts]
        if not values or any(v is None or not (9 <= v < 127) for v in values):
            return m.group(0)
        self.decoded += 1
        return _lit("".join(chr(v) for v in values if v is not None), m.group(0))

    def _chars(self, m: re.Match[str]) -> str:
        self.decoded += 1
        return _lit("".join(re.findall(r'"([^"\n]{0,2})"', m.group(1))), m.group(0))

    def _base64(self, m: re.Match[str]) -> str:
        return self._b64(m.group(1), m.group(0))

    def _b64(self, body: str, original: str) -> str:
        try:
            raw = base64.b64decode("".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            return original
        text = raw.decode("utf-8", errors="replace")
        if not text or sum(32 <= ord(c) < 127 for c in text) < 0.9 * len(text):
            return original  # a binary payload, not a hidden name: leave it
        self.decoded += 1
        lit = _lit(text, original)
        if len(self.payloads) < 64:
            self.payloads[lit[1 : lit.rindex('"')]] = text
        return lit

    def _base64_in(self, m: re.Match[str]) -> str:
        """``GetString(FromBase64String("..."))``: the decoded text, kept inside its GetString."""
        return m.group(1) + self._b64(m.group(2), m.group(0)[len(m.group(1)) :])

    def _char_arith(self, m: re.Match[str]) -> str:
        a = _js_number(m.group(1))
        b = _js_number(m.group(3)) if m.group(3) else None
        op = m.group(2)
        if a is None or (op is not None and b is None):
            return m.group(0)
        v: int | None = a
        if op is not None and b is not None:
            if op == "+":
                v = a + b
            elif op == "-":
                v = a - b
            elif op == "*":
                v = a * b
            elif b != 0 and op == "/" and a % b == 0:
                v = a // b
            elif b != 0 and op == "%":
                v = a % b
            else:
                v = None
        if v is None or not 0 < v < 0x110000:
            return m.group(0)
        self.decoded += 1
        return _lit(chr(v), m.group(0))

    def _percent(self, m: re.Match[str]) -> str:
        """``unescape("%57%53...")`` / ``decodeURIComponent(...)`` of a literal: the text it gives."""
        text = re.sub(
            r"%u([0-9a-fA-F]{4})|%([0-9a-fA-F]{2})",
            lambda e: chr(int(e.group(1) or e.group(2), 16)),
            m.group(1),
        )
        if text == m.group(1):
            return m.group(0)
        self.decoded += 1
        return _lit(text, m.group(0))

    def _decoder_calls(self, code: str) -> str:
        """Calls of a decoding helper the page defines - one string parameter, returned base64-decoded as
        text (``string d(string s) { return Encoding.UTF8.GetString(Convert.FromBase64String(s)); }``) - with a
        literal argument are that literal decoded: names hidden that way (``GetMethod(d("TG9hZA=="))``) read
        as written."""
        names = [m.group(1) for m in _DECODER_DEF[self.lang].finditer(code)][:10]
        if not names:
            return code
        flags = re.I if self.lang == "vb" else 0
        call = re.compile(
            r"(?<![\w.])(?:"
            + "|".join(map(re.escape, names))
            + r')\s*\(\s*"([A-Za-z0-9+/=\s]{4,20000})"\s*\)',
            flags,
        )
        return call.sub(lambda m: self._b64(m.group(1), m.group(0)), code)

    def _evals(self, code: str) -> str:
        """JScript ``eval(<decoded literal>)``: the argument, when it decodes something (base64, char
        codes, percent escapes), is folded on its own; when it folds to one literal holding code, that
        code is what eval runs - written out after the call (its lines kept), and the argument becomes the
        name ``__decoded__`` (the ``eval-decoded`` sink: pages do not eval code they hide)."""
        if self.depth >= 2 or "eval" not in code or not _DECODING.search(code):
            return code
        out: list[str] = []
        pos = 0
        for n, m in enumerate(_EVAL_CALL.finditer(code)):
            if n >= 50:
                break
            if m.start() < pos:
                continue
            spans = _arg_spans(code, m.end())
            if not spans:
                continue
            a, b = spans[0]
            close = spans[-1][1]
            arg = code[a:b]
            held = _BARE.fullmatch(arg)
            if held is not None:
                # eval(k) with k given a decoding expression once before: what k holds
                given = [
                    g.group(1)
                    for g in re.finditer(
                        r"(?<![\w.$])"
                        + re.escape(held.group(1))
                        + r"(?:\s*:\s*String)?\s*=(?![=>])\s*([^;\n]{1,20000})",
                        code[: m.start()],
                    )
                ]
                if len(given) == 1:
                    arg = given[0]
            if close >= len(code) or not _DECODING.search(arg):
                continue
            sub = _Norm(self.lang)
            sub.depth = self.depth + 1
            sub.deadline = self.deadline
            lm = re.fullmatch(r'\s*"([^"\n]*)"\s*', sub.fold(arg))
            if lm is None:
                continue
            text = sub.payloads.get(lm.group(1), lm.group(1))
            if "(" not in text:
                continue  # eval("2+3"): no code to speak of
            self.decoded += 1 + sub.decoded
            inner = sub.fold(sub.tokens(text)).replace("\n", " ").replace("\r", " ")
            out.append(code[pos:a])
            out.append(" __decoded__" + "\n" * code[a:b].count("\n"))
            out.append(code[b : close + 1])
            out.append("; " + inner + ";")
            pos = close + 1
        out.append(code[pos:])
        return "".join(out)


#: A decoding helper's definition (see _Norm._decoder_calls): its name is group 1.
_B64_TEXT = (
    r"(?:System\s*\.\s*)?(?:Text\s*\.\s*)?Encoding\s*\.\s*(?:\w+|GetEncoding\s*\(\s*[^()\n]{0,40}\))\s*\.\s*GetString\s*\(\s*"
    r"(?:System\s*\.\s*)?Convert\s*\.\s*FromBase64String\s*\(\s*\2\s*\)\s*\)"
)
_DECODER_DEF = {
    "cs": lazy(
        r"\b([^\W\d]\w*)\s*\(\s*(?:string|String)\s+([^\W\d]\w*)\s*\)\s*(?:\{\s*return\s+|=>\s*)" + _B64_TEXT
    ),
    "vb": lazy(
        r"\bFunction\s+([^\W\d]\w*)\s*\(\s*(?:ByVal\s+)?([^\W\d]\w*)\s+As\s+String\s*\)(?:\s+As\s+String)?\s*"
        r"(?:Return\s+|\1\s*=\s*)" + _B64_TEXT,
        re.I,
    ),
    "js": lazy(
        r"\bfunction\s+([^\W\d]\w*)\s*\(\s*([^\W\d]\w*)(?:\s*:\s*String)?\s*\)(?:\s*:\s*String)?\s*\{\s*return\s+"
        + _B64_TEXT
    ),
}
_NUM = r"0[xX][0-9a-fA-F]{1,6}|\d{1,7}"
_CHAR_ARITH = lazy(r"(?<![\w.])char\s*\(\s*(" + _NUM + r")\s*(?:([-+*/%])\s*(" + _NUM + r")\s*)?\)")
_UNESCAPE_CALL = lazy(r'\b(?:unescape|decodeURIComponent|decodeURI)\s*\(\s*"([^"\n]{1,4000})"\s*\)')
_JS_REVERSE = lazy(
    r'("[^"\n]*")\s*\.\s*split\s*\(\s*""\s*\)\s*\.\s*reverse\s*\(\s*\)\s*\.\s*join\s*\(\s*""\s*\)'
)
#: VBScript's own Execute/ExecuteGlobal/Eval (not a method of that name: conn.Execute runs SQL), see _Norm._vb_runs.
_VB_RUN = lazy(r"(?<![\w.])(Execute(?:Global)?|Eval)\b[ \t]*", re.I)
#: VBScript's Unescape of a literal (as JScript's, _UNESCAPE_CALL).
_UNESCAPE_VB = lazy(r'\bUnescape\s*\(\s*"([^"\n]{1,4000})"\s*\)', re.I)
#: The objects of classic ASP, named by the text an Eval gives (Eval("req" & "uest")).
_CLASSIC_OBJECT = lazy(r"(?:Request|Session|Application|Server|Response)", re.I)
#: Text that is code: a call, an assignment or a member of an object.
_CODE_TEXT = lazy(r"\w\s*\(|\w\s*=|\w\.\w")
_VB_NAME = lazy(r'(?<![\w."])([^\W\d]\w{0,60})(?![\w(])')
_VB_NOT_HELD = frozenset({"and", "or", "not", "xor", "mod", "true", "false", "nothing", "empty", "null", "vbcrlf"})
#: A literal in brackets of their own (not a call's: after an operator, a bracket, a comma or the start).
_VB_LIT_BRACKETS = lazy(r'((?:^|[&+(,=])\s*)\(\s*("[^"\n]*")\s*\)')
#: A function of the page given hex pairs (Execute(Decode("457865...")): group 1 the name, 2 the hex.
_VB_HEX_CALL = lazy(r'\s*([^\W\d]\w{0,60})\s*\(\s*"((?:[0-9A-Fa-f]{2}){8,4000})"\s*\)\s*')
_VB_CHR = lazy(r"\bChrW?\s*\(", re.I)
#: A bare name joined between two literals inside CreateObject's brackets: group 2 the name.
_VB_PROGID_NAME = lazy(
    r'(\bCreateObject\s*\(\s*(?:"[^"\n]*"\s*&\s*(?:[^\W\d]\w*\s*&\s*)?){0,8}"[^"\n]*"\s*&\s*)([^\W\d]\w{0,60})(\s*&\s*")',
    re.I,
)
#: Text from elsewhere that may give a name its value (an include, code run from text).
_VB_ELSEWHERE = lazy(r"#include\b|(?<![\w.])Execute(?:Global)?\b", re.I)


def _vb_given(code: str, name: str) -> bool:
    """Whether VB ``code`` gives ``name`` a value anywhere: assigned (``x =``, ``Set x =``, ``Const x =``), a
    Function, Sub or Property of that name, a loop variable, a parameter, or a ReDim/Dim with a value."""
    n = re.escape(name)
    return (
        re.search(
            r"(?:^|[:\n])[ \t]*(?:(?:Dim|Set|Const|Public|Private|Static)[ \t]+)*" + n + r"[ \t]*(?:\([^)\n]*\))?[ \t]*=(?!=)"
            r"|\b(?:Function|Sub|Property[ \t]+(?:Get|Let|Set))[ \t]+" + n + r"\b"
            r"|\bFor[ \t]+(?:Each[ \t]+)?" + n + r"\b"
            r"|\b(?:Function|Sub|Property[ \t]+(?:Get|Let|Set))[ \t]+\w+[ \t]*\([^)\n]*\b" + n + r"\b",
            code,
            re.I,
        )
        is not None
    )


#: The functions a self-update may apply to the name's text (x = Replace(x, "0", ""), x = StrReverse(x)).
_VB_CALLS = frozenset({"replace", "strreverse", "unescape", "mid", "left", "right", "trim", "lcase", "ucase", "chr", "chrw"})
#: A one-line VB assignment (``t = Replace("...", "@@", "")``): group 1 the name, 2 the value.
_VB_GIVEN = lazy(r"^[ \t]*(?:Dim[ \t]+)?([^\W\d]\w{0,60})[ \t]*=[ \t]*([^\n:]{1,4000})$", re.I | re.M)


def _vb_held(arg: str, given: dict[str, list[tuple[int, str]]], at: int) -> str:
    """``arg`` with each plain name the code before ``at`` gave a value in a line holding a literal (``t =
    Replace("...", "@@", "")``) written as that value in brackets: given once, or given a literal and then only
    values made of itself and literals (``x = "e0v0a0l" : x = Replace(x, "0", "")``, X31's page, session 14) - at
    most 8 names, 8 steps each."""
    names = {g for g in _VB_NAME.findall(arg) if g.lower() not in _VB_NOT_HELD and g.lower() in given}
    for name in sorted(names)[:8]:
        values = [v for p, v in given[name.lower()] if p < at]
        if not values or len(values) > 8 or '"' not in values[0]:
            continue
        own = re.compile(r'(?<![\w."])' + re.escape(name) + r'(?![\w("])', re.I)
        value = "(" + values[0] + ")"
        if own.search(values[0]):
            continue  # (x = x & "..." first: what x held before is not known)
        for later in values[1:]:
            others = {w.lower() for w in _VB_NAME.findall(later)} - {name.lower()} - _VB_NOT_HELD
            if not own.search(later) or others - _VB_CALLS:
                value = ""
                break
            value = "(" + own.sub(lambda _m: value, later) + ")"  # noqa: B023
        if value:
            arg = own.sub(lambda _m: value, arg)  # noqa: B023
    return arg


#: What an eval argument decodes with (see _Norm._evals).
_DECODING = lazy(r"FromBase64String|(?<![\w.])char\s*\(|fromCharCode|\bunescape\s*\(|\bdecodeURI")
_EVAL_CALL = lazy(r"(?<![\w.$])eval\s*\(")
_BARE = lazy(r"\s*([^\W\d][\w$]*)\s*")


def _js_number(s: str) -> int | None:
    """A JScript number literal: hex (0x94), octal (0640: a leading zero) or decimal."""
    s = s.strip()
    try:
        if s[:2].lower() == "0x":
            return int(s[2:], 16)
        if len(s) > 1 and s[0] == "0":
            return int(s[1:], 8)
        return int(s)
    except ValueError:
        return None


def _arg_spans(code: str, start: int, limit: int = 20000) -> list[tuple[int, int]]:
    """Spans of the top-level arguments of the call whose ``(`` is at ``start - 1``; the last span
    ends at the closing bracket (empty list: not closed within ``limit``)."""
    commas, close = top_level(code, start, min(len(code), start + limit), ",")
    if close < 0:
        return []
    return list(zip([start, *(c + 1 for c in commas)], [*commas, close], strict=True))


_THIS = {
    "cs": lazy(r"\bthis[ \t]*\.[ \t]*(?=[^\W\d])"),
    "js": lazy(r"\bthis[ \t]*\.[ \t]*(?=[^\W\d])"),
    "vb": lazy(r"\bMe[ \t]*\.[ \t]*(?=[^\W\d])", re.I),
}
#: A VB line continued: an explicit `` _`` or (VB 10+) a line ending in ``(``, ``,``, ``&``, ``+``, ``=``.
_VB_CONT = lazy(r"(?:[ \t]_|[(,&+=])[ \t]*\r?\n")
_VB_WITH = lazy(r"^[ \t]*With[ \t]+([^\W\d][\w.]{0,100})[ \t]*$", re.I | re.M)
_VB_END_WITH = lazy(r"^[ \t]*End[ \t]+With\b", re.I | re.M)
_VB_DOT = lazy(r"^([ \t]*)\.(?=[^\W\d])", re.M)
#: A callable under another name: ``var run = eval;`` (JScript), ``Func<string, Process> f =
#: Process.Start;`` (C# method group), then called as ``run(...)``.
_CALL_ALIAS = lazy(
    r"\b([^\W\d][\w$]{0,60})\s*=\s*((?:[^\W\d]\w{0,60}\s*\.\s*){0,6}[^\W\d]\w{0,60})\s*[;\n]"
)
_CALLED = lazy(r"(?<![\w.$])([^\W\d][\w$]*)\s*\(")
#: Type and namespace aliases: ``using P = System.Diagnostics.Process;`` / ``Imports P = ...``.
_TYPE_ALIAS = {
    "cs": lazy(r"\busing\s+([^\W\d]\w{0,60})\s*=\s*((?:global\s*::\s*)?[\w.]{1,200})\s*;"),
    "vb": lazy(r"^[ \t]*Imports\s+([^\W\d]\w{0,60})\s*=\s*([\w.]{1,200})", re.I | re.M),
}
#: VB's late-bound ``CallByName(obj, "Member", CallType.Method|Get|Let|Set, args)``: written as the
#: call or assignment it makes.
_CALL_BY_NAME = lazy(
    r'\bCallByName\s*\(\s*([^\W\d][\w.]{0,200}?)\s*,\s*"([^\W\d]\w{0,60})"\s*,\s*'
    r"(?:Microsoft\s*\.\s*VisualBasic\s*\.\s*)?(?:CallType\s*\.\s*)?(Method|Get|Let|Set|1|2|4|8)\s*(,|\))",
    re.I,
)
#: ``obj["name"](...)`` (JScript): a member chosen by a literal name is that member.
_BRACKET_CALL = lazy(r'(?<=[\w\])])\s*\[\s*"([^\W\d][\w$]{0,60})"\s*\]\s*(?=\()')
#: C# verbatim identifiers (``@Process``): the same names (verbatim strings are tokens by now).
_VERBATIM_IDENT = lazy(r'(?<![\w"@])@(?=[^\W\d])')


def _structure(code: str, lang: str) -> str:
    """Spellings that change nothing of what code does, written one way before the analysis:
    ``this.x``/``Me.x`` as ``x``; VB continued lines joined (their newlines moved to the statement's
    end, so lines stay the file's); a VB ``With`` block's ``.member`` written out with its object;
    JScript aliases of ``eval``/``Function`` called by their own name."""
    flags = re.I if lang == "vb" else 0
    if lang == "vb":
        if _VB_CONT.search(code):
            code = _vb_join(code)
        if _VB_WITH.search(code):
            code = _vb_with(code)
        if _VB_BARE_HINT.search(code):
            code = _vb_bare_calls(code)
        own = {n.lower() for n in _VB_OWN_PROCEDURE.findall(code)[:200]}
        if own:
            code = _vb_own_calls(code, own)
        if "allbyname" in code.lower():
            code = _CALL_BY_NAME.sub(_call_by_name, code)
    else:
        if lang == "cs" and "@" in code:
            code = _VERBATIM_IDENT.sub("", code)
        if lang == "js" and '"' in code:
            code = _BRACKET_CALL.sub(r".\1", code)
        code = _THIS[lang].sub("", code)
        called_names = set(_CALLED.findall(code))  # one pass: only a name that is called is an alias
        for m in [a for a in _CALL_ALIAS.finditer(code) if a.group(1) in called_names][:50]:
            name, target = m.group(1), m.group(2)
            if name == target or name in _KEYWORDS or target.split(".")[0] in _KEYWORDS:
                continue
            # (the name first, its left edge checked behind it: a search can skip to the name's first letter -
            # 50 aliases in 900 KB of code cost 0.7 s with the check in front)
            called = re.compile(re.escape(name) + r"(?<![\w.$]" + re.escape(name) + r")(?=\s*\()")
            if called.search(code, m.end()):
                code = code[: m.end()] + called.sub(target.replace("\\", r"\\"), code[m.end() :])
    if lang == "cs" and "static" in code:
        code = _using_static(code)
    alias = _TYPE_ALIAS.get(lang)
    if alias is not None:
        for m in list(alias.finditer(code))[:50]:
            name = re.escape(m.group(1))
            use = re.compile(name + r"(?<![\w.]" + name + r")(?=\s*[.(]|\s+[^\W\d]|\s*\[\s*\])", flags)
            target = re.sub(r"\s+", "", m.group(2)).replace("global::", "")
            code = code[: m.end()] + use.sub(target.replace("\\", r"\\"), code[m.end() :])
    return _THIS[lang].sub("", code)


_USING_STATIC = lazy(r"\busing\s+static\s+((?:global\s*::\s*)?[\w.]{1,200})\s*;")


def _using_static(code: str) -> str:
    """``using static System.Diagnostics.Process;`` then ``Start(...)``: a bare call of a name the code
    does not define is the imported type's (the first such import: one is the common case)."""
    m = _USING_STATIC.search(code)
    if m is None:
        return code
    owner = re.sub(r"\s+", "", m.group(1)).replace("global::", "")
    defined = {d.group(1) for d in _METHOD_DEF["cs"].finditer(code)} | set(_KEYWORDS)
    bare = re.compile(r"(?<![\w.@$])(?<!new )([^\W\d]\w*)(?=\s*\()")
    return code[: m.end()] + bare.sub(
        lambda c: c.group(1) if c.group(1) in defined else f"{owner}.{c.group(1)}", code[m.end() :]
    )


def _call_by_name(m: re.Match[str]) -> str:
    obj, member, kind, after = m.group(1), m.group(2), m.group(3).lower(), m.group(4)
    if kind in ("let", "set", "4", "8"):
        # CallByName(o, "P", CallType.Let, v) sets o.P = v: the value is the call's last argument
        return f"{obj}.{member} = CType(" if after == "," else f"{obj}.{member}("
    if kind in ("get", "2") and after == ")":
        return f"{obj}.{member}"
    return f"{obj}.{member}(" if after == "," else f"{obj}.{member}()"


def _vb_join(code: str) -> str:
    out: list[str] = []
    pending = 0
    for line in code.split("\n"):
        end = line.rstrip()
        if end.endswith((" _", "\t_")) or end == "_":
            out.append(end[:-1] + " ")
            pending += 1
        elif end.endswith(("(", ",", "&", "+", "=")):
            out.append(end + " ")
            pending += 1
        else:
            out.append(line + "\n" * (pending + 1))
            pending = 0
    joined = "".join(out)
    missing = code.count("\n") - joined.count("\n")
    if missing > 0:
        joined += "\n" * missing
    elif missing < 0 and joined.endswith("\n" * -missing):
        joined = joined[:missing]
    return joined


#: A VBScript call statement, its arguments without brackets (``sh.Run "cmd /c " & c, 0``, ``fs.DeleteFile
#: Request("f")``): classic ASP's way (VB.NET has none). Literals are canonical here (no quote inside).
_VB_BARE_HINT = lazy(
    r"[^\W\d]\w*[ \t]*\.[ \t]*[^\W\d]\w*[ \t]+(?!(?:Then|Else|As|Is|And|Or|Not|Mod|Xor|To|Step|In)\b)[\"\w]", re.I
)
#: A Sub or Function the page defines (its name).
_VB_OWN_PROCEDURE = lazy(
    r"^[ \t]*(?:(?:Public|Private|Static)[ \t]+)*(?:Sub|Function)[ \t]+([^\W\d]\w*)", re.I | re.M
)
#: A statement calling a bare name with arguments and no brackets (``Walk path & "\" & f.Name``): group 2 the name.
_VB_OWN_CALL = lazy(
    r'^([ \t]*(?:(?:If\b(?:"[^"\n]*"|[^"\n]){0,2000}?\bThen|Else)[ \t]+)?)'
    r"([^\W\d]\w*)"
    r"[ \t]+(?!(?:Then|Else|As|Is|And|Or|Not|Mod|Xor|To|Step|In)\b)"
    r'((?:"[^"\n]*"|[^\s=(.,)_+\-*/&\\^<>:])(?:"[^"\n]*"|[^"\n]){0,2000}?)[ \t]*$',
    re.I,
)
#: The statements of a line (``:`` separates them, outside strings).
_VB_STATEMENTS = lazy(r'(?:"[^"\n]*"|[^":\n])+')
_VB_BARE_CALL = lazy(
    r'^([ \t]*(?:(?:If\b(?:"[^"\n]*"|[^"\n]){0,2000}?\bThen|Else)[ \t]+)?)'  # (a one-line If's statement)
    r"((?:[^\W\d]\w*[ \t]*\.[ \t]*)+[^\W\d]\w*)"
    r"[ \t]+(?!(?:Then|Else|As|Is|And|Or|Not|Mod|Xor|To|Step|In)\b)"
    r'((?:"[^"\n]*"|[^\s=(.,)_+\-*/&\\^<>:])(?:"[^"\n]*"|[^"\n]){0,2000}?)[ \t]*$',
    re.I,
)


def _vb_bare_calls(code: str) -> str:
    """``obj.Method a, b`` written ``obj.Method(a, b)``, statement by statement (same line count)."""
    lines = code.split("\n")
    for i, line in enumerate(lines):
        if "." not in line or len(line) > 4000:
            continue
        pieces: list[str] = []
        pos = 0
        for m in _VB_STATEMENTS.finditer(line):
            pieces.append(line[pos : m.start()])
            pieces.append(_VB_BARE_CALL.sub(r"\1\2(\3)", m.group(0), count=1))
            pos = m.end()
        pieces.append(line[pos:])
        lines[i] = "".join(pieces)
    return "\n".join(lines)


def _vb_own_calls(code: str, own: set[str]) -> str:
    """``Walk Trim(parts(i))`` - a Sub or Function the page defines, called as a statement without brackets -
    written ``Walk(Trim(parts(i)))`` so its arguments reach its parameters (X31's writable-folder probes, session
    14); statement by statement, same line count."""
    lines = code.split("\n")
    for i, line in enumerate(lines):
        if len(line) > 4000 or not line.strip():
            continue
        pieces: list[str] = []
        pos = 0
        changed = False
        for m in _VB_STATEMENTS.finditer(line):
            pieces.append(line[pos : m.start()])
            c = _VB_OWN_CALL.match(m.group(0))
            if c is not None and c.group(2).lower() in own:
                pieces.append(c.group(1) + c.group(2) + "(" + c.group(3) + ")")
                changed = True
            else:
                pieces.append(m.group(0))
            pos = m.end()
        if changed:
            pieces.append(line[pos:])
            lines[i] = "".join(pieces)
    return "\n".join(lines)


def _vb_with(code: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _VB_WITH.finditer(code):
        if m.start() < pos:
            continue  # nested: its lines were written out with the outer object
        end = _VB_END_WITH.search(code, m.end())
        stop = end.start() if end else len(code)
        out.append(code[pos : m.end()])
        prefix = r"\g<1>" + m.group(1).replace("\\", "") + "."
        out.append(_VB_DOT.sub(prefix, code[m.end() : stop]))
        pos = stop
    out.append(code[pos:])
    return "".join(out)


def _number(s: str) -> int | None:
    s = s.strip()
    try:
        if s[:2].lower() == "0x":
            return int(s[2:], 16)
        if s[:2].lower() == "&h":
            return int(s[2:], 16)
        return int(s)
    except ValueError:
        return None
