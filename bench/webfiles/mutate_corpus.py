"""Real web shells varied the ways authors vary them: does the behaviour analysis still find them?

``mutants.py`` varies harmless reproductions; this varies the real shells of
``../shared/data/aspnet-corpus/webshells`` (in memory only: nothing is written, nothing run) with
semantics-preserving text edits, each applied alone to every shell the behaviour analysis finds as it
is, and counts how many are still found (behaviour alone, as ``content.examine`` runs it). Edits are
made outside string literals and comments, per the page's language (C#/JScript edits are not made to
Visual Basic pages):

* ``request-httpcontext``  ``Request.X`` -> ``HttpContext.Current.Request.X``
* ``request-page``         ``Request.X`` -> ``Page.Request.X`` (pages only)
* ``comments-after-dots``  ``a.B(`` -> ``a./**/B(``
* ``spaces-around-dots``   ``a.B`` -> ``a . B``
* ``newlines-in-calls``    a line break after every ``(`` (C#/JScript)
* ``rename-locals``        declared local names renamed (ASCII ``_0x..`` and non-ASCII names)
* ``unicode-escapes``      ``Request``/``Assembly``/``Load``/``Process``/``Start``/``Invoke`` written with a
                           ``\\uXXXX`` first letter (C#/JScript identifiers allow it)
* ``split-strings``        every string literal of 6+ characters as ``"abc" + "def"`` (VB: ``&``)
* ``directive``            ``Language="C#"`` -> ``language='c#'`` (any case/quote spelling)

Usage (from the repo root):
    .venv/bin/python bench/webfiles/mutate_corpus.py [--shared DIR] [--list]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from extriage.detections.webfiles.behaviour import analyse, extract

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_corpus import shared_dir

_STRINGS = {
    "cs": re.compile(r'@"(?:[^"]|"")*"|\$?"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*(?:[^*]|\*(?!/))*\*/'),
    "js": re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|//[^\n]*|/\*(?:[^*]|\*(?!/))*\*/'),
    "vb": re.compile(r'"(?:[^"\n]|"")*"|\'[^\n]*'),
}


def _outside(text: str, lang: str, fn: Callable[[str], str]) -> str:
    """``fn`` applied to the parts of ``text`` that are not string literals or comments."""
    out: list[str] = []
    pos = 0
    for m in _STRINGS[lang].finditer(text):
        out.append(fn(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(fn(text[pos:]))
    return "".join(out)


def _strings(text: str, lang: str, fn: Callable[[str], str]) -> str:
    """``fn`` applied to the plain (not verbatim, not interpolated) string literals of ``text``."""

    def one(m: re.Match[str]) -> str:
        tok = m.group(0)
        return fn(tok) if tok.startswith('"') and len(tok) >= 8 and "\\" not in tok else tok

    return _STRINGS[lang].sub(one, text)


def _split(tok: str, op: str) -> str:
    body = tok[1:-1]
    half = len(body) // 2
    return f'"{body[:half]}" {op} "{body[half:]}"'


_LOCAL = {
    "cs": re.compile(r"\b(?:string|var|object|byte\s*\[\s*\]|int|Type|Assembly)\s+([a-z_]\w{0,30})\s*="),
    "js": re.compile(r"\bvar\s+([a-z_]\w{0,30})\s*[=:]"),
    "vb": re.compile(r"\bDim\s+([a-z_]\w{0,30})\b", re.I),
}
_ESCAPED = ("Request", "Assembly", "Load", "Process", "Start", "Invoke", "CreateInstance")


def _rename(text: str, lang: str, code: str) -> str:
    names = sorted({m.group(1) for m in _LOCAL[lang].finditer(code)} - {"e", "s"}, key=len, reverse=True)
    for i, name in enumerate(names[:40]):
        new = f"_0x{i:x}f" if i % 2 else f"变量{i}"
        text = _outside(
            text,
            lang,
            lambda t, n=name, w=new, f=re.I if lang == "vb" else 0: re.sub(
                rf"(?<![\w.]){re.escape(n)}\b", w, t, flags=f
            ),
        )
    return text


def mutations(text: str, ext: str) -> dict[str, str]:
    """Each edit alone, and ``all-at-once``: every edit applied in turn to the same page."""
    ex = extract(text, ext)
    langs = set(ex.code)
    if not langs:
        return {}
    lang = "vb" if "vb" in langs else ("js" if "js" in langs else "cs")
    code = "".join("".join(b) for b in ex.code.values())
    c_like = lang in ("cs", "js")
    req = re.compile(r"(?<![\w.])Request(?=\s*[.\[(])", re.I if lang == "vb" else 0)
    op = "&" if lang == "vb" else "+"
    edits: dict[str, Callable[[str], str]] = {
        "request-httpcontext": lambda x: _outside(
            x, lang, lambda t: req.sub("HttpContext.Current.Request", t)
        ),
    }
    if ext == ".aspx":
        edits["request-page"] = lambda x: _outside(x, lang, lambda t: req.sub("Page.Request", t))
    if c_like:
        edits["comments-after-dots"] = lambda x: _outside(
            x, lang, lambda t: re.sub(r"(?<=[\w)\]])\.(?=[A-Z]\w*\s*[\[(])", "./**/", t)
        )
        edits["newlines-in-calls"] = lambda x: _outside(
            x, lang, lambda t: re.sub(r"(?<=\w)\((?=[^)\s])", "(\n", t)
        )
        edits["unicode-escapes"] = lambda x: _outside(
            x,
            lang,
            lambda t: re.sub(
                r"(?<![\w\\])(" + "|".join(_ESCAPED) + r")\b",
                lambda m: f"\\u{ord(m.group(1)[0]):04X}" + m.group(1)[1:],
                t,
            ),
        )
    edits["spaces-around-dots"] = lambda x: _outside(
        x, lang, lambda t: re.sub(r"(?<=[a-z\])])\.(?=[A-Z])", " . ", t)
    )
    edits["rename-locals"] = lambda x: _rename(x, lang, code)
    edits["split-strings"] = lambda x: _keep_directives(x, _strings(x, lang, lambda tok: _split(tok, op)))
    edits["directive"] = lambda x: re.sub(
        r'(<%@\s*\w+[^%]*?)\bLanguage\s*=\s*"(C#|c#|CSharp|VB|JScript)"',
        lambda m: m.group(1) + f"language='{m.group(2).lower()}'",
        x,
        flags=re.I,
    )
    out = {name: fn(text) for name, fn in edits.items()}
    stacked = text
    for name, fn in edits.items():
        if name != "request-page":
            stacked = fn(stacked)
    out["all-at-once"] = stacked
    return {k: v for k, v in out.items() if v != text}


def _keep_directives(orig: str, changed: str) -> str:
    """``changed`` with every ``<%@ ... %>`` directive and every HTML tag line as in ``orig``."""
    keep = re.compile(r"<%@[^%]*%>|<(?:script|form|input|asp:)[^>]*>", re.I)
    originals = keep.findall(orig)
    it = iter(originals)
    return keep.sub(lambda _m: next(it, _m.group(0)), changed)


def found(text: str, ext: str) -> bool:
    return bool(analyse(text.encode("utf-8"), ext, budget=10.0).hits)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    folder = shared_dir(args.shared) / "webshells"
    per: dict[str, list[int]] = {}
    missed: list[str] = []
    base_found = 0
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".aspx", ".ashx", ".asax")
    )
    for p in files:
        raw = p.read_bytes()
        text = (
            raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8", "replace")
        )
        ext = p.suffix.lower()
        if not found(text, ext):
            continue
        base_found += 1
        for kind, varied in mutations(text, ext).items():
            row = per.setdefault(kind, [0, 0])
            row[1] += 1
            if found(varied, ext):
                row[0] += 1
            else:
                missed.append(f"{kind} {p.name}")
    print(f"shells found as they are: {base_found}/{len(files)}")
    print(f"{'edit':22} {'still found':>14}")
    tot = [0, 0]
    for kind, (f, t) in per.items():
        print(f"{kind:22} {f:>6}/{t:<5} {100 * f / max(1, t):5.1f}%")
        tot = [tot[0] + f, tot[1] + t]
    print(f"{'all':22} {tot[0]:>6}/{tot[1]:<5} {100 * tot[0] / max(1, tot[1]):5.1f}%")
    if args.list:
        for m in missed:
            print("  missed", m)


if __name__ == "__main__":
    main()
