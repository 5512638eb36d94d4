"""The shared IIS configuration parser on every real config in ../shared and on hostile XML."""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.formats.iis_config import (
    ConfigError,
    expand_env,
    parse_application_host,
    parse_web_config,
)


def _configs(shared_data: Path) -> list[Path]:
    return sorted((shared_data / "exchange-iis-config").rglob("*.config"))


def test_every_real_config_parses_or_is_refused_by_name(shared_data: Path) -> None:
    files = _configs(shared_data)
    assert len(files) >= 50
    bad: list[str] = []
    for f in files:
        data = f.read_bytes()
        try:
            if "applicationhost" in f.name.lower():
                cfg = parse_application_host(data, str(f))
                assert cfg.site("Default Web Site") is not None
            else:
                parse_web_config(data, str(f))
        except ConfigError as exc:
            assert str(f) in str(exc)
            bad.append(f.name)
    # BadApplicationHost.config has a mismatched tag; DefaultWebSite_web1.config an unclosed <system.web>
    assert sorted(bad) == ["BadApplicationHost.config", "DefaultWebSite_web1.config"]


def test_bad_application_host_names_line(shared_data: Path) -> None:
    f = shared_data / "exchange-iis-config/E19/Exchange/IIS/BadApplicationHost.config"
    with pytest.raises(ConfigError, match=r"not well-formed XML at line 128"):
        parse_application_host(f.read_bytes(), "BadApplicationHost.config")


def test_sites_apps_vdirs_and_logs(shared_data: Path) -> None:
    f = shared_data / "exchange-iis-config/E19/Exchange/IIS/applicationHost.config"
    cfg = parse_application_host(f.read_bytes(), str(f))
    dws = cfg.site("default web site")
    assert dws is not None and dws.id == "1"
    assert dws.log_directory == "C:\\inetpub\\logs\\LogFiles"
    assert dws.w3c_log_folder == "C:\\inetpub\\logs\\LogFiles\\W3SVC1"
    assert cfg.site_defaults_log_directory == "C:\\inetpub\\logs\\LogFiles"
    root = dws.application("/")
    assert root is not None and root.root_vdir() is not None
    assert root.vdirs[0].physical_path == "C:\\inetpub\\wwwroot"
    ecp = dws.application("/ECP")
    assert ecp is not None and ecp.app_pool == "MSExchangeECPAppPool"
    assert ecp.vdirs[0].physical_path.endswith("FrontEnd\\HttpProxy\\ecp")
    assert dws.physical_path_for("/owa/auth").endswith("HttpProxy\\owa\\auth")  # type: ignore[union-attr]
    assert any(str(b) == "https/:443:" for b in dws.bindings)
    be = cfg.site("Exchange Back End")
    assert be is not None and be.server_auto_start is True
    rpc = be.application("/Rpc")
    assert rpc is not None and rpc.vdirs[0].physical_path == "C:\\Windows\\System32\\RpcProxy"
    pool = cfg.app_pool("msexchangeecpapppool")
    assert pool is not None and pool.auto_start is None and pool.line > 0
    assert "rewritemodule" in cfg.global_modules
    assert any(loc.path == "Default Web Site" for loc in cfg.locations)


def test_site_log_directory_override() -> None:
    xml = b"""<configuration><system.applicationHost><sites>
      <site name="Default Web Site" id="1"><logFile directory="D:\\IISLogs" />
        <application path="/"><virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\wwwroot" /></application>
      </site>
      <siteDefaults><logFile directory="%SystemDrive%\\logs" /></siteDefaults></sites>
    </system.applicationHost></configuration>"""
    cfg = parse_application_host(xml, "a.config")
    assert cfg.sites[0].log_directory == "D:\\IISLogs"
    assert cfg.site_defaults_log_directory == "C:\\logs"


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b"<configuration>&lol2;</configuration>",
            "DTD",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><configuration>&xxe;</configuration>',
            "DTD",
        ),
        (b"<configuration><system.webServer>", "not well-formed"),
        (b"", "empty"),
        (b"\x00\x01\x02binary", "not well-formed"),
        (b"<html><body/></html>", "not <configuration>"),
        (b"<configuration/>", "no <system.applicationHost>"),
    ],
)
def test_hostile_and_broken_xml(xml: bytes, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        parse_application_host(xml, "evil.config")


def test_deep_nesting_refused() -> None:
    xml = b"<configuration>" + b"<a>" * 500 + b"</a>" * 500 + b"</configuration>"
    with pytest.raises(ConfigError, match="nested"):
        parse_web_config(xml, "deep.config")


def test_expand_env() -> None:
    assert expand_env("%SystemDrive%\\inetpub") == "C:\\inetpub"
    assert expand_env("%windir%\\System32\\RpcProxy") == "C:\\Windows\\System32\\RpcProxy"
    assert expand_env("%ExchangeInstallPath%\\bin") == "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\bin"
    assert expand_env("%UNKNOWN%\\x") == "%UNKNOWN%\\x"
    assert expand_env("\\\\srv\\share") == "\\\\srv\\share"


def test_web_config_sections_with_locations() -> None:
    xml = b"""<configuration><location path="." inheritInChildApplications="false"><system.webServer><rewrite><rules/></rewrite></system.webServer></location>
    <system.webServer><rewrite><rules><clear/></rules></rewrite></system.webServer>
    <location path="auth"><system.webServer><rewrite><rules/></rewrite></system.webServer></location></configuration>"""
    wc = parse_web_config(xml, "w.config")
    secs = wc.sections("system.webServer", "rewrite", "rules")
    assert [(p, inh) for p, inh, _ in secs] == [("", True), ("", False), ("auth", True)]
    assert secs[0][2].children[0].tag == "clear" and secs[0][2].children[0].line == 2
