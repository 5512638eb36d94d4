"""A small XML applier for the round-trip tests: what an admin (or the generated script) does to a
web.config, done in Python so the verifier can be checked against the result.

Test-only: it edits copies in memory, never files in tests/data or ../shared.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # test-only, on trusted files


def _parse(data: bytes) -> ET.Element:
    return ET.fromstring(data.lstrip(b"\xef\xbb\xbf"))


def _child(parent: ET.Element, tag: str, index: int | None = None) -> ET.Element:
    node = parent.find(tag)
    if node is None:
        node = ET.Element(tag)
        if index is None:
            parent.append(node)
        else:
            parent.insert(index, node)
    return node


def rules_of(root: ET.Element) -> ET.Element:
    return _child(_child(_child(root, "system.webServer"), "rewrite"), "rules")


def apply_rules(web_config: bytes, fragment: bytes) -> bytes:
    """Merge every <rule> of ``fragment`` into the top-level rewrite rules of ``web_config``,
    replacing rules of the same name and leaving every other rule alone (what the script does)."""
    root = _parse(web_config)
    rules = rules_of(root)
    for rule in _parse(fragment).iter("rule"):
        for old in [r for r in rules.findall("rule") if r.get("name") == rule.get("name")]:
            rules.remove(old)
        rules.append(rule)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def add_to_rules(web_config: bytes, element_xml: str, location: str | None = None, first: bool = False) -> bytes:
    """Add an element (``<clear/>``, ``<remove name=.../>``, a ``<rule>``) to the rewrite rules of a
    web.config, at top level or inside ``<location path=location>``."""
    root = _parse(web_config)
    scope = root
    if location is not None:
        scope = ET.SubElement(root, "location", {"path": location})
    rules = rules_of(scope)
    node = ET.fromstring(element_xml)
    if first:
        rules.insert(0, node)
    else:
        rules.append(node)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def edit_rule(web_config: bytes, name: str, path: str, attr: str, value: str | None) -> bytes:
    """Set (or with ``None`` delete) an attribute on ``path`` (".", "match", "action", "conditions/add")
    of the rule called ``name``."""
    root = _parse(web_config)
    for rule in root.iter("rule"):
        if rule.get("name") != name:
            continue
        target = rule if path == "." else rule.find(path)
        assert target is not None, f"{path} not in rule {name}"
        if value is None:
            target.attrib.pop(attr, None)
        else:
            target.set(attr, value)
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)
    raise AssertionError(f"rule {name} not found")


def wrap_rules_in_location(web_config: bytes, inherit: bool) -> bytes:
    """Move the top-level rewrite section into ``<location path="." inheritInChildApplications=...>``."""
    root = _parse(web_config)
    ws = root.find("system.webServer")
    assert ws is not None
    rewrite = ws.find("rewrite")
    assert rewrite is not None
    ws.remove(rewrite)
    loc = ET.SubElement(root, "location", {"path": ".", "inheritInChildApplications": "true" if inherit else "false"})
    ET.SubElement(loc, "system.webServer").append(rewrite)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def add_module_remove(web_config: bytes, module: str) -> bytes:
    root = _parse(web_config)
    modules = _child(_child(root, "system.webServer"), "modules")
    ET.SubElement(modules, "remove", {"name": module})
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def set_app_pool(apphost: bytes, pool: str, **attrs: str) -> bytes:
    root = _parse(apphost)
    for add in root.iter("add"):
        if add.get("name") == pool and add.get("managedRuntimeVersion") is not None:
            for k, v in attrs.items():
                add.set(k, v)
            return ET.tostring(root, encoding="utf-8", xml_declaration=True)
    raise AssertionError(f"app pool {pool} not found")
