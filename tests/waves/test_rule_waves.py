"""The wave a web shell rule names is a wave of the registry: ``wave = "any"`` (no particular wave) counts
with the web shells no wave's traces lead to, and never becomes a wave of its own in the result (63 shipped
rules say "any"; until session 15 their findings carried a wave called "any", shown as "Per wave: any=...")."""

from __future__ import annotations

import re
from pathlib import Path

from extriage.detections.waves.registry import load_registry, shell_wave, shells_wave_id
from extriage.detections.webfiles.classify import yara_reason
from extriage.detections.webfiles.knowledge import builtin_rule_files
from extriage.findings import Verdict
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

_WAVE_META = re.compile(r'^\s*wave\s*=\s*"([^"]*)"', re.M)


def test_every_shipped_rule_names_a_registry_wave_or_any() -> None:
    reg = load_registry()
    named = {(name, w) for name, text in builtin_rule_files() for w in _WAVE_META.findall(text)}
    assert named, "no wave meta found: the pattern no longer reads the rule files"
    assert {w for _, w in named if w != "any" and w not in reg} == set()


def test_a_rules_wave_any_or_unknown_counts_with_unattributed_shells() -> None:
    hit = {"rule": "R", "namespace": "extriage", "meta": {"wave": "any", "outcome": "webshell"}}
    assert yara_reason(hit, ".aspx").wave == shells_wave_id()
    hit["meta"]["wave"] = "post-exploitation"
    assert yara_reason(hit, ".aspx").wave == "post-exploitation"
    assert shell_wave("no-such-wave") == shells_wave_id()
    assert shell_wave("") == shells_wave_id() and shell_wave(None) == shells_wave_id()


def test_a_scan_names_no_wave_the_registry_does_not_have(tmp_path: Path) -> None:
    # a page hooking an echo handler into the running pipeline: EXT_WEBSHELL_Memory_Shell_Injector (wave "any")
    page = tmp_path / "ev" / "inetpub" / "wwwroot" / "site" / "p.aspx"
    page.parent.mkdir(parents=True)
    page.write_text(
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "public class P : System.Web.Hosting.VirtualPathProvider {\n"
        "  public override string GetCacheKey(string v) {\n"
        '    var c = HttpContext.Current; if (c.Request.Form["k"] != null) { c.Response.Write("ok"); c.Response.End(); }\n'
        "    return Previous.GetCacheKey(v); } }\n</script>\n"
        "<% System.Web.Hosting.HostingEnvironment.RegisterVirtualPathProvider(new P()); %>"
    )
    result = run_scan(str(tmp_path / "ev"), ScanOptions(jobs=0))
    rules = {f.rule_id for f in result.findings}
    assert "WF-YARA-EXT_WEBSHELL_Memory_Shell_Injector" in rules
    reg = load_registry()
    assert {f.wave for f in result.findings} <= set(reg.ids())
    assert set(result.waves) <= set(reg.ids())
    # a shell no wave's traces lead to says a shell was found, not which flaw put it there: it is not ProxyLogon's
    # (until session 15 it was, and a server with only such a page read "proxylogon=compromised")
    assert reg.shells_wave.role == "post-exploitation"
    assert {f.wave for f in result.findings if f.rule_id.startswith("WF-")} == {reg.shells_wave.id}
    assert result.waves.get("proxylogon") != Verdict.COMPROMISED


def test_only_the_oab_config_rule_names_proxylogon() -> None:
    """The OAB virtual directory's ExternalUrl shell is CVE-2021-27065's own; every other shipped rule names a shape
    any intrusion can leave (a China Chopper page, a process runner, a loader) and says ``any``."""
    named = {w for _, text in builtin_rule_files() for w in _WAVE_META.findall(text)}
    by_rule = re.findall(r'^rule (\w+)[^{]*\{(?:(?!^rule ).)*?^\s*wave\s*=\s*"proxylogon"', "\n".join(
        text for _, text in builtin_rule_files()), re.M | re.S)
    assert "proxylogon" in named and by_rule == ["EXT_WEBSHELL_OAB_Config_Shell"]
