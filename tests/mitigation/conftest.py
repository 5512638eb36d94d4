"""Fixtures: the real HealthChecker-collected configs (tests/data, MIT) laid out at their server paths."""

from __future__ import annotations

from pathlib import Path

import pytest

HP = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy"
APPHOST = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"
ROOT_WEB = "C:\\inetpub\\wwwroot\\web.config"
SYSTEM = "C:\\Windows\\System32\\config\\SYSTEM"
DATA = Path(__file__).resolve().parent / "data"

#: flat file name in exchange-iis-config -> where the file lives on the server (from applicationHost.config)
FLAT = {
    "DefaultWebSite_web.config": ROOT_WEB,
    "DefaultWebSite-ECP_web.config": HP + "\\ecp\\web.config",
    "DefaultWebSite-OWA_web.config": HP + "\\owa\\web.config",
    "DefaultWebSite-EWS_web.config": HP + "\\EWS\\web.config",
    "DefaultWebSite-AutoD_web.config": HP + "\\Autodiscover\\web.config",
    "DefaultWebSite-EAS_web.config": HP + "\\sync\\web.config",
    "DefaultWebSite-OAB_web.config": HP + "\\OAB\\web.config",
    "DefaultWebSite-PowerShell_web.config": HP + "\\PowerShell\\web.config",
    "DefaultWebSite-MAPI_web.config": HP + "\\mapi\\web.config",
    "DefaultWebSite-RPC_web.config": HP + "\\rpc\\web.config",
    "DefaultWebSite-Rest_web.config": HP + "\\Rest\\web.config",
}


def server_files(test_data: Path, version: str, apphost: str = "applicationHost.config", root_web: str = "DefaultWebSite_web.config") -> dict[str, bytes]:
    """The real configs of one server (E16/E19) keyed by Windows path."""
    folder = test_data / "exchange-iis-config" / version / "Exchange" / "IIS"
    files = {APPHOST: (folder / apphost).read_bytes()}
    for flat, path in FLAT.items():
        name = root_web if flat == "DefaultWebSite_web.config" else flat
        files[path] = (folder / name).read_bytes()
    return files


def hive(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture()
def e19(test_data: Path) -> dict[str, bytes]:
    return server_files(test_data, "E19")


@pytest.fixture()
def e16(test_data: Path) -> dict[str, bytes]:
    return server_files(test_data, "E16")
