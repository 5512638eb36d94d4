"""Sharing between application scopes gives the answers computed one by one.

``mitigation verify`` at 100,000 applications shares work between scopes (BENCHMARKS.md, "IIS
configuration"): section lists by contributing levels, empty sections left out of merges, parsed
trees of identical web.config bytes copied. Each shortcut is checked here against the plain
computation on a tree where the scopes differ in every way that matters: empty and non-empty
sections, ``<clear/>``/``<remove>``, ``inheritInChildApplications="false"``, nested applications,
``<location path="sub">`` inside a web.config, identical files in different folders.
"""

from __future__ import annotations

import gc
from pathlib import Path

from extriage.detections.mitigations.hierarchy import (
    SectionCollector,
    collect_sections,
    merge_collection,
    scope_for,
)
from extriage.detections.mitigations.sources import MemorySource
from extriage.detections.mitigations.verify import MODULES_TAGS, RULES_TAGS, WebConfig, verify
from extriage.formats.iis_config import XNode, parse_application_host, parse_web_config

from .conftest import APPHOST, ROOT_WEB, server_files

_WEB = {
    0: b"<configuration><system.webServer><rewrite><rules/></rewrite></system.webServer></configuration>",
    1: b"<configuration><system.webServer><rewrite><rules><clear/></rules></rewrite></system.webServer></configuration>",
    2: b'<configuration><system.webServer><modules><remove name="RewriteModule"/></modules></system.webServer></configuration>',
    3: b'<configuration><location path="sub" inheritInChildApplications="false"><system.webServer><rewrite>'
       b"<rules><clear/></rules></rewrite></system.webServer></location></configuration>",
    4: b'<configuration><system.webServer><rewrite><rules><rule name="X" stopProcessing="true"><match url=".*"/>'
       b"</rule></rules></rewrite></system.webServer></configuration>",
    5: b'<configuration><location path="." inheritInChildApplications="false"><system.webServer><modules>'
       b"<clear/></modules><rewrite><rules/></rewrite></system.webServer></location></configuration>",
}


def _tree(test_data: Path, n: int = 60) -> dict[str, bytes]:
    files = server_files(test_data, "E19")
    apps = []
    for i in range(n):
        apps.append(
            f'<application path="/app{i}" applicationPool="P"><virtualDirectory path="/" '
            f'physicalPath="C:\\inetpub\\apps\\app{i}" /></application>'
        )
        if i % 4 == 0:
            apps.append(
                f'<application path="/app{i}/sub" applicationPool="P"><virtualDirectory path="/" '
                f'physicalPath="C:\\inetpub\\apps\\app{i}\\sub" /></application>'
            )
    host = files[APPHOST]
    at = host.index(b"</site>")
    files[APPHOST] = host[:at] + "".join(apps).encode() + host[at:]
    for i in range(n):
        if i % 7 != 6:  # some applications have no web.config of their own
            files[f"C:\\inetpub\\apps\\app{i}\\web.config"] = _WEB[i % len(_WEB)]
        if i % 8 == 0:
            files[f"C:\\inetpub\\apps\\app{i}\\sub\\web.config"] = _WEB[(i // 8) % len(_WEB)]
    return files


def test_shared_section_lists_merge_like_the_plain_collection(test_data: Path) -> None:
    files = _tree(test_data)
    source = MemorySource(files)
    cfg = parse_application_host(files[APPHOST], "applicationHost.config")
    site = cfg.site("Default Web Site")
    assert site is not None
    cache: dict[str, WebConfig] = {}

    def load(path: str) -> WebConfig | str | None:
        loaded = source.read(path)
        return None if loaded is None else parse_web_config(loaded.data, loaded.display)

    urls = [app.path for app in site.applications]
    for url in urls:
        scope_for(site, url, load, cache)
    shared = SectionCollector(cfg, site, cache, "applicationHost.config", skip_empty=True)
    seen_lists = set()
    for tags, item in ((RULES_TAGS, "rule"), (MODULES_TAGS, "add")):
        for url in urls:
            plain = collect_sections(cfg, site, url, tags, cache, "applicationHost.config")
            fast = shared.collect(url, tags)
            seen_lists.add(id(fast))
            one = merge_collection(plain, item)
            two = merge_collection(fast, item)
            assert [(e.name, id(e.node), e.file) for e in one.entries] == [(e.name, id(e.node), e.file) for e in two.entries], url
            assert [(r.name, id(r.node), r.file) for r in one.removals] == [(r.name, id(r.node), r.file) for r in two.removals], url
            assert [(d.name, id(d.node)) for d in one.duplicates] == [(d.name, id(d.node)) for d in two.duplicates], url
    assert len(seen_lists) < 2 * len(urls)  # answers are shared, or the test checks nothing


def test_identical_web_configs_get_their_own_nodes(test_data: Path) -> None:
    """Copied trees are the parse of the same bytes, node for node, but never the same objects (the
    report names a deciding element once per file: shared nodes would merge two files' deciders)."""
    data = _WEB[4]
    first = parse_web_config(data, "a\\web.config").root
    copy = first.copy()

    def flat(node: XNode) -> list[tuple[str, dict[str, str], int]]:
        return [(n.tag, n.attrs, n.line) for n in node.iter()]

    assert flat(copy) == flat(first)
    assert not {id(n) for n in copy.iter()} & {id(n) for n in first.iter()}
    assert all(a.attrs is not b.attrs for a, b in zip(copy.iter(), first.iter(), strict=True))


def test_verify_names_each_identical_file(test_data: Path) -> None:
    """Folders holding the same bytes that take RewriteModule away (``<remove>``, ``<clear/>``): each
    file is named in the problems, as when every file was parsed on its own."""
    files = _tree(test_data, 12)
    report = verify(MemorySource(files))
    named = {p.file for m in report.mitigations for p in m.problems if p.file}
    for i in range(12):
        if i % 7 != 6 and i % len(_WEB) in (2, 5):
            assert f"C:\\inetpub\\apps\\app{i}\\web.config" in named, i
    assert len(named) >= 3 and ROOT_WEB in files


def test_parsing_leaves_no_cycles() -> None:
    """``verify`` runs with the cyclic collector paused: a parse must leave nothing only it can free
    (the expat parser and its handlers formed a cycle, keeping ~8 KB per file of 100,000)."""
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for i in range(50):
            parse_web_config(_WEB[i % len(_WEB)], f"app{i}\\web.config")
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()
