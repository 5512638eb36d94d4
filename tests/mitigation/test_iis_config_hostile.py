"""applicationHost.config that is huge or lies about its encoding: linear lookups, named refusals.

Issue 19: N applications made every lookup walk every application (1,000 -> 4 s, 10,000 -> 395 s), and
an XML declaration naming an unknown or multi-byte encoding escaped as LookupError/ValueError (a
traceback in ``mitigation verify``, lost stages in ``scan``). Speed figures are in BENCHMARKS.md
(bench/mitigation/bench_iis_config.py); here the *shape* is checked by counting the work done.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extriage.cli.main import _register, app
from extriage.detections.mitigations.sources import MemorySource
from extriage.detections.mitigations.verify import verify
from extriage.formats import iis_config
from extriage.formats.iis_config import (
    ConfigError,
    IisApplication,
    IisSite,
    IisVirtualDirectory,
    _norm_url,
    parse_application_host,
)
from extriage.scan.pipeline import run_scan

from .conftest import APPHOST, server_files
from .test_cli_and_scan import make_tree

_register()
runner = CliRunner()


def _with_apps(apphost: bytes, n: int) -> bytes:
    apps = "".join(
        f'<application path="/app{i}" applicationPool="P"><virtualDirectory path="/" '
        f'physicalPath="C:\\inetpub\\apps\\app{i}" /></application>'
        for i in range(n)
    )
    at = apphost.index(b"</site>")
    return apphost[:at] + apps.encode() + apphost[at:]


# -- linear in the number of applications ------------------------------------------------------


def _linear_physical_path(site: IisSite, url_path: str) -> str | None:
    """The definition the index must keep: longest app + vdir prefix, first one on ties."""
    wanted = _norm_url(url_path)
    best: tuple[int, str] | None = None
    for application in site.applications:
        for vdir in application.vdirs:
            full = _norm_url(application.path.rstrip("/") + "/" + vdir.path.lstrip("/"))
            if wanted == full or wanted.startswith(full.rstrip("/") + "/"):
                rest = wanted[len(full.rstrip("/")) :].strip("/")
                phys = vdir.physical_path.rstrip("\\") + ("\\" + rest.replace("/", "\\") if rest else "")
                if best is None or len(full) > best[0]:
                    best = (len(full), phys)
    return None if best is None else best[1]


def _linear_application_for(site: IisSite, url_path: str) -> IisApplication | None:
    wanted = _norm_url(url_path)
    best: IisApplication | None = None
    for application in site.applications:
        ap = _norm_url(application.path)
        if (wanted == ap or wanted.startswith(ap.rstrip("/") + "/")) and (
            best is None or len(ap) > len(_norm_url(best.path))
        ):
            best = application
    return best


def test_indexed_lookups_answer_as_the_linear_definition() -> None:
    rng = random.Random(19)
    parts = ["a", "B", "c", "owa", "OWA", "auth", "x y", ""]
    for _ in range(30):
        site = IisSite("S", "1")
        for _ in range(rng.randint(0, 12)):
            path = "/" + "/".join(rng.choice(parts) for _ in range(rng.randint(0, 3)))
            app = IisApplication(path=rng.choice([path, path + "/", path.upper()]), app_pool="p")
            for _ in range(rng.randint(0, 3)):
                vpath = "/" + "/".join(rng.choice(parts) for _ in range(rng.randint(0, 2)))
                app.vdirs.append(IisVirtualDirectory(vpath, f"C:\\w\\{rng.randint(0, 99)}\\"))
            site.applications.append(app)
        for _ in range(40):
            url = "/" + "/".join(rng.choice(parts) for _ in range(rng.randint(0, 5)))
            url = rng.choice([url, url + "/", url.replace("/", "\\"), "  " + url])
            assert site.physical_path_for(url) == _linear_physical_path(site, url), (url, site)
            assert site.application_for(url) is _linear_application_for(site, url), (url, site)
            first = next((a for a in site.applications if _norm_url(a.path) == _norm_url(url)), None)
            assert site.application(url) is first


def test_index_follows_applications_added_after_a_lookup() -> None:
    site = IisSite("S", "1")
    site.applications.append(IisApplication("/", "p", [IisVirtualDirectory("/", "C:\\root")]))
    assert site.physical_path_for("/ecp/x") == "C:\\root\\ecp\\x"
    site.applications.append(IisApplication("/ecp", "p", [IisVirtualDirectory("/", "C:\\ecp")]))
    assert site.physical_path_for("/ecp/x") == "C:\\ecp\\x"


def test_hostile_url_with_thousands_of_slashes_is_cheap() -> None:
    site = IisSite("S", "1")
    site.applications.append(IisApplication("/", "p", [IisVirtualDirectory("/", "C:\\root")]))
    counted: list[str] = []
    real_get = dict.get

    class Counting(dict[str, IisVirtualDirectory]):
        def get(self, key: str, default: object = None) -> IisVirtualDirectory | None:  # type: ignore[override]
            counted.append(key)
            return real_get(self, key, default)  # type: ignore[return-value]

    index = site._lookup()
    index.vdirs = Counting(index.vdirs)
    assert site.physical_path_for("/" + "a/" * 50_000) is not None
    assert len(counted) <= 2  # only prefixes no longer than the longest vdir path are looked up


def _work_for(test_data: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """URL normalisations done by a whole ``mitigation verify`` of a config with ``n`` applications."""
    files = server_files(test_data, "E19")
    files[APPHOST] = _with_apps(files[APPHOST], n)
    calls = 0
    real = iis_config._norm_url

    def counting(path: str) -> str:
        nonlocal calls
        calls += 1
        return real(path)

    monkeypatch.setattr(iis_config, "_norm_url", counting)
    report = verify(MemorySource(files))
    assert any(m.checked for m in report.mitigations)
    return calls


def test_verify_work_grows_linearly_with_applications(test_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = _work_for(test_data, 200, monkeypatch)
    large = _work_for(test_data, 800, monkeypatch)
    # 4x the applications: linear work is ~4x, the quadratic lookups made it ~16x
    assert large < 5 * small, (small, large)


# -- an XML declaration that lies about the encoding ---------------------------------------------


LYING = ["x-evil-42", "UTF-32", "utf-7", "UTF-16"]


@pytest.mark.parametrize("encoding", LYING)
def test_lying_encoding_is_a_named_config_error(encoding: str) -> None:
    xml = f'<?xml version="1.0" encoding="{encoding}"?><configuration><system.applicationHost/></configuration>'
    with pytest.raises(ConfigError) as caught:
        parse_application_host(xml.encode(), "C:\\w\\applicationHost.config")
    message = str(caught.value)
    assert message.startswith("C:\\w\\applicationHost.config: ") and "\n" not in message


def test_real_utf16_config_with_bom_is_read(test_data: Path) -> None:
    data = server_files(test_data, "E19")[APPHOST].decode("utf-8-sig")
    data = data.replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    cfg = parse_application_host(data.encode("utf-16"), "a.config")
    assert cfg.site("Default Web Site") is not None


def _lying_tree(tmp_path: Path, test_data: Path, encoding: str) -> Path:
    ev = make_tree(tmp_path / "ev", test_data, hive_name=None)
    config = ev / "C/Windows/System32/inetsrv/config/applicationHost.config"
    text = config.read_bytes()
    body = text[text.index(b"<configuration") :]
    config.write_bytes(f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode() + body)
    return ev


@pytest.mark.parametrize("encoding", ["x-evil-42", "UTF-32"])
def test_verify_cli_reports_lying_encoding_without_traceback(tmp_path: Path, test_data: Path, encoding: str) -> None:
    ev = _lying_tree(tmp_path, test_data, encoding)
    result = runner.invoke(app, ["mitigation", "verify", str(ev), "--json", "-"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 41
    data = json.loads(result.stdout)
    assert {m["state"] for m in data["mitigations"]} == {"unknown"}
    assert any("applicationHost.config" in e and encoding in e for e in data["errors"])
    shown = runner.invoke(app, ["mitigation", "verify", str(ev)])
    assert shown.exit_code == 41 and "Traceback" not in shown.output


def test_scan_goes_on_past_lying_encoding(tmp_path: Path, test_data: Path) -> None:
    ev = _lying_tree(tmp_path, test_data, "x-evil-42")
    logs = ev / "C/inetpub/logs/LogFiles/W3SVC1"
    logs.mkdir(parents=True)
    (logs / "u_ex210302.log").write_text(
        "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-02 00:00:00\n"
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
        "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
        "2021-03-02 01:02:03 10.0.0.5 GET /owa/auth/x.js - 443 - 203.0.113.9 Mozilla/5.0 - 200 0 0 5\n"
    )
    result = run_scan(str(ev))
    assert "stage_errors" not in result.extras, result.extras.get("stage_errors")
    said = " ".join(result.coverage.warnings) + " " + json.dumps(result.coverage.skipped, default=str)
    assert "x-evil-42" in said
    assert result.extras["mitigation"]["mitigations"]  # the mitigation stage ran and says unknown
    shutil.rmtree(ev)
