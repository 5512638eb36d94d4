"""Shell pages rewritten in spellings ASP.NET's page parser accepts: do the own checks still find them?

``mutate_corpus.py`` varies what a page's code does; this varies how the page is *written*. Each variant
below is a spelling the ASP.NET page grammar accepts for the same page (facts from its parser, which
the project does not copy: the directive regex ``<%\\s*@(\\s*(?<attrname>\\w[\\w:]*(?=\\W))(\\s*=\\s*"..."|
\\s*=\\s*'...'|\\s*=\\s*[^\\s"'%>]*|...))*\\s*?%>`` and the expression regex ``<%\\s*?=`` of
System.Web.RegularExpressions, as transcribed in dotnet/systemweb-adapters and Mono's ``AspGenerator``;
``TemplateParser.ProcessDirective``: "Empty means default" - a directive without a name is the file's
main directive; the tag regex ``<(?<tagname>[\\w:.]+)(\\s+(?<attrname>\\w[-\\w:]*)(\\s*=\\s*"..."|'...'|
[^\\s="'/>]*))*`` for ``<script runat=server>``; the compiler names of machine.config's
``<compilers>``: ``c#;cs;csharp``, ``vb;vbs;visualbasic;vbscript``, ``js;jscript;javascript``, matched
without regard to case). Each is applied alone to every page it changes:

* pages: the shells and ordinary pages of every rule table in ``tests/webfiles`` (modules holding
  ``CASES``), and ``../shared/data/aspnet-corpus`` (``webshells``, ``benign``);
* shells: counted **lost** when no own check (own YARA, behaviour, other) finds the variant but one
  finds the page as written; **rule lost** when the table's rule no longer fires on a table shell (the
  rule is expected to hold every spelling), or no own YARA rule on a corpus shell some rule found;
* ordinary pages: counted **newly flagged** when an own check fires on the variant but not on the
  page as written (table ordinary pages: **rule flagged** when the table's rule newly fires).

Every page goes through ``content.examine`` (YARA and behaviour, as ``extriage scan``) from a temporary
file. ``--benign-sample N`` examines a seeded sample of the corpus's benign pages (the full set is
1,597 files per variant).

Usage (from the repo root):
    PYTHONPATH=src:tests .venv/bin/python bench/webfiles/page_grammar.py [--shared DIR]
        [--variants a,b] [--benign-sample N] [--jobs N] [--list]
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import re
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from extriage.detections.webfiles import content
from extriage.detections.webfiles.rules import build_ruleset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_corpus import shared_dir

REPO = Path(__file__).resolve().parents[2]

_DIRECTIVE = re.compile(r"<%\s*@(.*?)%>", re.S)
#: One attribute of a directive, as the parser reads it (name, optional ``=`` value in any quoting).
_ATTR = re.compile(r"""\s*(\w[\w:]*)(?:(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'%>]*))?""")
#: The directive a file type reads as its main one (a nameless directive is that one).
_MAIN = {
    ".aspx": "page",
    ".ascx": "control",
    ".master": "master",
    ".asax": "application",
    ".ashx": "webhandler",
    ".asmx": "webservice",
}
#: Main-directive attributes that may go with the directive when a page drops it (nothing else depends
#: on them for the page to compile and serve); a page whose directive holds others keeps it.
_DROPPABLE = {
    "language",
    "debug",
    "validaterequest",
    "enableviewstate",
    "enableviewstatemac",
    "enableeventvalidation",
    "autoeventwireup",
    "trace",
    "codepage",
    "responseencoding",
    "enablesessionstate",
    "aspcompat",
    "buffer",
}
_SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
_TAG_ATTR = re.compile(r"""\s*(\w[-\w:]*)(?:(\s*=\s*)("[^"]*"|'[^']*'|[^\s="'/>]*))?""")
_LANGS = {
    "short": {"c#": "cs", "csharp": "cs", "vb": "vbs", "jscript": "js", "javascript": "js"},
    "long": {
        "c#": "csharp",
        "cs": "csharp",
        "vb": "visualbasic",
        "jscript": "javascript",
        "js": "javascript",
    },
    "other": {"c#": "CSharp", "csharp": "C#", "vb": "vbscript", "jscript": "JS", "js": "jscript"},
}

Attrs = list[tuple[str, str, str]]  # (name, "=" with its blanks or "", value as written)


def _parse(body: str) -> Attrs | None:
    """A directive's attributes (its name first, with no value), or None when not read whole."""
    out: Attrs = []
    pos = 0
    body = body.rstrip()
    while pos < len(body):
        m = _ATTR.match(body, pos)
        if not m or m.end() == pos:
            return None
        out.append((m.group(1), m.group(2) or "", m.group(3) or ""))
        pos = m.end()
    return out


def _unquote(v: str) -> str:
    return v[1:-1] if v[:1] in "\"'" and len(v) >= 2 else v


def _directives(text: str, fn: Callable[[Attrs, bool], str | None], ext: str) -> str:
    """``text`` with each directive ``fn(attrs, is_main)`` returns rewritten (None: kept)."""
    main = _MAIN.get(ext, "page")

    def one(m: re.Match[str]) -> str:
        attrs = _parse(m.group(1))
        if not attrs or attrs[0][1]:
            return m.group(0)
        new = fn(attrs, attrs[0][0].lower() == main)
        return m.group(0) if new is None else new

    return _DIRECTIVE.sub(one, text)


def _write(attrs: Attrs, open_: str = "<%@ ", sep: str = " ", close: str = " %>") -> str:
    return open_ + sep.join(f"{n}{e}{v}" for n, e, v in attrs) + close


def _quoted(attrs: Attrs, q: str) -> Attrs:
    out: Attrs = []
    for n, e, v in attrs:
        inner = _unquote(v)
        if e and q == "" and (not inner or re.search(r"""[\s"'%>]""", inner)):
            return []  # not writable unquoted: the variant leaves this directive
        if e and q and q in inner:
            return []
        out.append((n, "=" if e else "", f"{q}{inner}{q}" if e else v))
    return out


def _lang(table: dict[str, str]) -> Callable[[Attrs, bool], str | None]:
    def fn(attrs: Attrs, _main: bool) -> str | None:
        out: Attrs = []
        changed = False
        for n, e, v in attrs:
            if e and n.lower() == "language" and _unquote(v).lower() in table:
                q = v[0] if v[:1] in "\"'" else '"'
                out.append((n, e, f"{q}{table[_unquote(v).lower()]}{q}"))
                changed = True
            else:
                out.append((n, e, v))
        return _write(out) if changed else None

    return fn


def _script_lang(table: dict[str, str]) -> Callable[[str], str]:
    def fn(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            return re.sub(
                r"""(\blanguage\s*=\s*)(["']?)([\w#]+)\2""",
                lambda a: a.group(1) + a.group(2) + table.get(a.group(3).lower(), a.group(3)) + a.group(2),
                m.group(0),
                flags=re.I,
            )

        return _SCRIPT.sub(one, text)

    return fn


def _script_tags(how: str) -> Callable[[str], str]:
    """``<script runat=server ...>`` tags with their attributes reversed, unquoted or upper-cased."""

    def one(m: re.Match[str]) -> str:
        inner = m.group(1).rstrip().rstrip("/")
        if not re.search(r"\brunat\b", inner, re.I):
            return m.group(0)
        attrs: Attrs = []
        pos = 0
        while pos < len(inner):
            a = _TAG_ATTR.match(inner, pos)
            if not a or a.end() == pos:
                return m.group(0)
            attrs.append((a.group(1), a.group(2) or "", a.group(3) or ""))
            pos = a.end()
        if how == "reversed":
            attrs.reverse()
        elif how == "unquoted":
            if any(e and (not _unquote(v) or re.search(r"""[\s="'/>]""", _unquote(v))) for _, e, v in attrs):
                return m.group(0)
            attrs = [(n, "=" if e else "", _unquote(v)) for n, e, v in attrs]
        elif how == "upper":
            attrs = [(n.upper(), e, v.upper() if n.lower() == "runat" else v) for n, e, v in attrs]
            return "<SCRIPT " + " ".join(f"{n}{e}{v}" for n, e, v in attrs) + ">"
        return "<script " + " ".join(f"{n}{e}{v}" for n, e, v in attrs) + ">"

    def fn(text: str) -> str:
        out = _SCRIPT.sub(one, text)
        return re.sub(r"</script\s*>", "</SCRIPT>", out, flags=re.I) if how == "upper" else out

    return fn


def _drop_main(langs: set[str], ext: str, named_only: bool = False) -> Callable[[str], str]:
    """The page without its main directive, when it names only ``langs`` (or none, unless ``named_only``)
    and attributes that nothing else needs (a page without one compiles in the configured default language)."""

    def fn(text: str) -> str:
        if ext not in (".aspx", ".ascx", ".master", ".asax"):
            return text  # a handler or service needs its directive's Class

        def one(attrs: Attrs, main: bool) -> str | None:
            if not main:
                return None
            named = {n.lower(): _unquote(v).lower() for n, _e, v in attrs[1:]}
            fallback = "" if named_only else next(iter(langs))
            if not set(named) <= _DROPPABLE or named.get("language", fallback) not in langs:
                return None
            return ""

        return _directives(text, one, ext)

    return fn


def variants(ext: str) -> dict[str, Callable[[str], str]]:
    """Each spelling, as a function of the page text (the page comes back unchanged where it does not apply)."""

    def d(fn: Callable[[Attrs, bool], str | None]) -> Callable[[str], str]:
        return lambda text: _directives(text, fn, ext)

    def nameless(attrs: Attrs, main: bool) -> str | None:
        return _write(attrs[1:]) if main and len(attrs) > 1 else None

    def reversed_(attrs: Attrs, _main: bool) -> str | None:
        return _write(attrs[:1] + attrs[:0:-1]) if len(attrs) > 2 else None

    def quoted(q: str) -> Callable[[Attrs, bool], str | None]:
        return lambda attrs, _main: _write(a) if (a := _quoted(attrs, q)) else None

    out: dict[str, Callable[[str], str]] = {
        "directive-tight": d(lambda a, _m: _write(a, "<%@", " ", "%>")),
        "directive-spaced-at": d(lambda a, _m: _write(a, "<% @ ")),
        "directive-newlines": d(lambda a, _m: _write(a, "<%@\r\n\t", "\r\n\t", "\r\n%>")),
        "directive-upper-case": d(lambda a, _m: _write([(n.upper(), e, v) for n, e, v in a])),
        "directive-nameless": d(nameless),
        "attrs-reversed": d(reversed_),
        "attrs-single-quoted": d(quoted("'")),
        "attrs-unquoted": d(quoted("")),
        "attrs-spaced-equals": d(lambda a, _m: _write([(n, " = " if e else "", v) for n, e, v in a])),
    }
    for name, table in _LANGS.items():
        fn_dir = d(_lang(table))
        fn_script = _script_lang(table)
        out[f"language-{name}"] = lambda text, f=fn_dir, g=fn_script: g(f(text))
    out["script-attrs-reversed"] = _script_tags("reversed")
    out["script-attrs-unquoted"] = _script_tags("unquoted")
    out["script-upper-case"] = _script_tags("upper")
    out["runat-unquoted"] = lambda t: re.sub(
        r"""\brunat\s*=\s*(["'])server\1""", "runat=server", t, flags=re.I
    )
    out["expression-spaced"] = lambda t: re.sub(r"<%=", "<% =", t)
    out["code-tight"] = lambda t: re.sub(r"<%[ \t\r\n]+(?=[^@=:#$\-\s])", "<%", t)
    out["no-directive-vb"] = _drop_main({"vb", "vbs", "visualbasic", "vbscript"}, ext)
    #: accepted only where web.config sets <compilation defaultLanguage="c#">: reported apart
    out["no-directive-cs*"] = _drop_main({"c#", "cs", "csharp"}, ext)
    #: accepted only where web.config sets <compilation defaultLanguage="js"> (X46's left item; X49): apart too
    out["no-directive-js*"] = _drop_main({"js", "jscript", "javascript"}, ext, named_only=True)
    return out


# --- examining ----------------------------------------------------------------------------------

_PARAMS: content.ContentParams | None = None
_TMP = Path(tempfile.gettempdir())


def _init() -> None:
    global _PARAMS
    rs = build_ruleset([])
    _PARAMS = content.ContentParams(rs.serialized, 1024 * 1024, 5.0)


def checks(job: tuple[str, str, str]) -> tuple[set[str], bool]:
    """(own YARA rules, any own check) of one page (key, extension, text)."""
    _key, ext, text = job
    assert _PARAMS is not None
    folder = Path(tempfile.mkdtemp(prefix="grammar-", dir=_TMP))
    path = folder / f"p{ext}"
    latin = text.startswith("\x00latin1")
    path.write_bytes(text[7:].encode("latin-1") if latin else text.encode("utf-8"))
    try:
        t = content.Target(str(path), str(path).lower(), str(path), path.name, path.stat().st_size, None)
        hits: list[dict[str, Any]] = content.examine(t, content.DEEP, _PARAMS).data.get("hits", [])
    finally:
        path.unlink()
        folder.rmdir()
    rules = {str(h["rule"]) for h in hits if h["check"] == "yara"}
    return rules, bool(hits)


def _decode(raw: bytes) -> str:
    """The page's text; a file in neither UTF-16 nor UTF-8 (GB2312 pages of the benign set) is read as
    Latin-1, which :func:`checks` writes back byte for byte (the variants add ASCII only)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "\x00latin1" + raw.decode("latin-1")


def pages(shared: Path, sample: int | None) -> list[tuple[str, str, str, str, str | None]]:
    """(group, key, ext, text, table rule) of every page: group is shell or ordinary."""
    out: list[tuple[str, str, str, str, str | None]] = []
    for mod in sorted((REPO / "tests" / "webfiles").glob("test_*.py")):
        if not re.search(r"^CASES\b", mod.read_text(encoding="utf-8"), re.M):
            continue
        cases = importlib.import_module(f"webfiles.{mod.stem}").CASES
        for rule, shells, ordinary in cases:
            for case, ext, page in shells:
                out.append(("table-shell", f"{mod.stem}:{case}", ext, page, rule))
            for case, ext, page in ordinary:
                out.append(("table-ordinary", f"{mod.stem}:{case}", ext, page, rule))
    corpus = shared / "webshells"
    for p in sorted(corpus.iterdir()):
        if p.is_file() and p.suffix.lower() in _MAIN:
            out.append(("corpus-shell", p.name, p.suffix.lower(), _decode(p.read_bytes()), None))
    benign = sorted(p for p in (shared / "benign").iterdir() if p.suffix.lower() in _MAIN)
    if sample is not None:
        benign = sorted(random.Random(18).sample(benign, min(sample, len(benign))))
    for p in benign:
        out.append(("corpus-benign", p.name, p.suffix.lower(), _decode(p.read_bytes()), None))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared")
    ap.add_argument("--variants", help="comma-separated variant names (default: all)")
    ap.add_argument("--benign-sample", type=int, help="examine a seeded sample of the corpus's benign pages")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--list", action="store_true", help="name every lost shell and newly flagged page")
    args = ap.parse_args()
    allp = pages(shared_dir(args.shared), args.benign_sample)
    names = list(variants(".aspx"))
    if args.variants:
        names = [n for n in args.variants.split(",") if n in names]
    jobs: list[tuple[str, str, str]] = [
        (f"0|{i}", ext, text) for i, (_g, _k, ext, text, _r) in enumerate(allp)
    ]
    index: list[tuple[str, int]] = []
    for name in names:
        for i, (_g, _k, ext, text, _r) in enumerate(allp):
            varied = variants(ext)[name](text)
            if varied != text:
                jobs.append((f"{name}|{i}", ext, varied))
                index.append((name, i))
    with ProcessPoolExecutor(args.jobs, initializer=_init) as pool:
        results = dict(zip((j[0] for j in jobs), pool.map(checks, jobs, chunksize=8), strict=True))
    groups = ("table-shell", "corpus-shell", "table-ordinary", "corpus-benign")
    totals = {g: sum(1 for p in allp if p[0] == g) for g in groups}
    base = {i: results[f"0|{i}"] for i in range(len(allp))}
    print("pages: " + ", ".join(f"{g} {totals[g]}" for g in groups))
    print(
        "as written: table shells found "
        f"{sum(base[i][1] for i, p in enumerate(allp) if p[0] == 'table-shell')}, "
        f"their rule {sum(p[4] in base[i][0] for i, p in enumerate(allp) if p[0] == 'table-shell')}; "
        f"corpus shells found {sum(base[i][1] for i, p in enumerate(allp) if p[0] == 'corpus-shell')}; "
        f"table ordinary flagged by their rule "
        f"{sum(p[4] in base[i][0] for i, p in enumerate(allp) if p[0] == 'table-ordinary')}; "
        f"benign flagged {sum(base[i][1] for i, p in enumerate(allp) if p[0] == 'corpus-benign')}"
    )
    head = ("variant", "shells changed", "lost", "rule lost", "ordinary changed", "flagged", "rule flagged")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    notes: list[str] = []
    for name in names:
        row = {"changed_s": 0, "lost": 0, "rule_lost": 0, "changed_o": 0, "flagged": 0, "rule_flagged": 0}
        for vname, i in index:
            if vname != name:
                continue
            group, key, _ext, _text, rule = allp[i]
            rules, anyhit = results[f"{name}|{i}"]
            brules, bany = base[i]
            if group.endswith("shell"):
                row["changed_s"] += 1
                if bany and not anyhit:
                    row["lost"] += 1
                    notes.append(f"{name}: lost {key}")
                if (rule in brules and rule not in rules) if rule is not None else (brules and not rules):
                    row["rule_lost"] += 1
                    notes.append(f"{name}: rule lost {rule} {key}")
            else:
                row["changed_o"] += 1
                if anyhit and not bany:
                    row["flagged"] += 1
                    notes.append(f"{name}: flagged {key} {sorted(rules)}")
                if rule is not None and rule in rules and rule not in brules:
                    row["rule_flagged"] += 1
                    notes.append(f"{name}: rule flagged {rule} {key}")
        print(f"| {name} | " + " | ".join(str(v) for v in row.values()) + " |")
    if args.list:
        for n in notes:
            print("  " + n)


if __name__ == "__main__":
    main()
