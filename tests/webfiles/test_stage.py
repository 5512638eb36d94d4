"""The webfiles stage end to end on generated servers, with the real baseline and a test baseline."""

from __future__ import annotations

import csv
import gzip
import hashlib
import os
from pathlib import Path

import pytest

from extriage.detections.webfiles.baseline import (
    KNOWN_GOOD,
    MODIFIED,
    UNKNOWN,
    infer_build,
    load_baseline,
    normalise_relative,
)
from extriage.detections.webfiles.knowledge import location_rules
from extriage.detections.webfiles.paths import PathMatcher
from extriage.detections.webfiles.urls import core_route, url_for_path
from extriage.findings import Outcome, ScanResult, Severity, TimelineEvent
from extriage.generator.api import generate
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages.webfiles import STAGES

EX = "C:\\Program Files\\Microsoft\\Exchange Server\\V15"


def scan(path: Path, **opts: object) -> ScanResult:
    return run_scan(str(path), ScanOptions(jobs=int(opts.pop("jobs", 2)), **opts), stages=list(STAGES))  # type: ignore[arg-type]


def write_baseline(root: Path, out: Path, build: str = "15.1.2176.2") -> Path:
    """A known-good baseline CSV vouching for every web file of the Exchange install at ``root`` (its FrontEnd and
    ClientAccess folders) as it is now, for ``build``."""
    rows = []
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and rel.lower().startswith(("frontend/", "clientaccess/")):
            rows.append((rel, hashlib.sha256(p.read_bytes()).hexdigest(), build))
    with out.open("w", newline="") as fh:
        csv.writer(fh).writerows([("relative_path", "sha256", "builds"), *rows])
    return out


def wf(result: ScanResult) -> list:  # type: ignore[type-arg]
    return [f for f in result.findings if f.rule_id.startswith("WF-")]


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    dest = tmp_path_factory.mktemp("full") / "server"
    gen = generate(dest, scenario="full", size="1MB", layout="kape", seed=11, events=False)
    return dest, gen


def test_every_planted_file_is_found(full: tuple[Path, object]) -> None:
    dest, gen = full
    result = scan(dest)
    planted = gen.plan.extras["webfiles"]["planted"]  # type: ignore[attr-defined]
    by_path = {}
    for f in wf(result):
        for p in f.indicators.paths:
            by_path[p.lower()] = f
    missing = []
    for item in planted:
        f = by_path.get(item["path"].lower())
        if f is None:
            missing.append(item["family"])
            continue
        if item["webshell"]:
            assert f.outcome == Outcome.WEBSHELL, item
        assert f.evidence and f.evidence[0].sha256 and f.first_seen is not None
    assert not missing
    # the files every finding rests on are in the hash ledger
    hashed = {r.path for r in result.files}
    for f in wf(result):
        assert f.evidence[0].source in hashed
    shared_paths = result.extras["webfiles"]["suspicious_files"]
    assert any(s["url"] and s["url"].lower().startswith("/aspnet_client/") for s in shared_paths)


def test_webshell_paths_are_shared_for_correlation(full: tuple[Path, object]) -> None:
    dest, gen = full
    from extriage.evidence.locate import build_inventory
    from extriage.evidence.source import open_source
    from extriage.findings import ScanResult as SR
    from extriage.scan.context import ScanContext

    spec = open_source(dest)
    ctx = ScanContext(build_inventory(spec, lambda p, w: None), SR(spec.root), ScanOptions(jobs=1))
    STAGES[0].run(ctx)
    from extriage.scan.facts import WebFilePivots

    paths = ctx.facts.get(WebFilePivots).webshell_paths
    for shell in gen.plan.shells:  # type: ignore[attr-defined]
        assert shell.path.lower() in paths
        assert shell.url.lower() in paths


def test_clean_server_has_nothing_above_info(tmp_path: Path) -> None:
    dest = tmp_path / "clean"
    generate(dest, scenario="clean", size="1MB", layout="drive", seed=4, events=False)
    result = scan(dest)
    above = [f for f in wf(result) if f.severity > Severity.INFO]
    assert not above, [(f.rule_id, f.title) for f in above]
    notes = " ".join(result.coverage.families["webfiles"].notes)
    assert "files read in depth" in notes  # "nothing found" says what was covered


def test_known_good_modified_and_build_with_a_test_baseline(tmp_path: Path) -> None:
    """Synthetic legit files cannot match Microsoft's hashes, so hash the clean tree into a baseline."""
    clean = tmp_path / "clean"
    generate(clean, scenario="clean", size="1MB", layout="kape", seed=9, events=False)
    root = clean / "C" / "Program Files" / "Microsoft" / "Exchange Server" / "V15"
    base_csv = write_baseline(root, tmp_path / "baseline.csv")
    attacked = tmp_path / "attacked"
    generate(attacked, scenario="proxylogon", size="1MB", layout="kape", seed=9, events=False)
    result = scan(attacked, extra={"webfiles_baseline": [str(base_csv)]})
    base = result.extras["webfiles"]["baseline"]
    assert base["covers_this_build"] and base["known_good"] > 100
    assert base["inferred_build"]["build"] == "15.1.2176.2"
    signout = [
        f
        for f in wf(result)
        if any(p.lower().endswith("owa\\auth\\signout.aspx") for p in f.indicators.paths)
    ]
    assert signout and "modified" in signout[0].tags and signout[0].outcome == Outcome.WEBSHELL
    # the same run without the test baseline: not judged, and said so
    plain = scan(attacked)
    assert not plain.extras["webfiles"]["baseline"]["covers_this_build"]
    notes = [n for n in plain.coverage.families["webfiles"].notes if "match no shipped baseline" in n]
    assert len(notes) == 1 and "Pages among them" not in notes[0]  # a whole build unknown: hundreds, not named


def test_few_exchange_pages_no_baseline_judged_are_named(tmp_path: Path) -> None:
    """A customised (or tampered) owa/auth/logon.aspx the baselines do not know is named in the coverage, so
    the reviewer knows which page to compare with a clean server's (B16, session 16: only a count was given)."""
    auth = tmp_path / "ev" / "C" / "Program Files" / "Microsoft" / "Exchange Server" / "V15" / "FrontEnd"
    auth = auth / "HttpProxy" / "owa" / "auth"
    auth.mkdir(parents=True)
    (auth / "logon.aspx").write_text('<%@ Page Language="C#" %><html><body><form>Sign in</form></body></html>')
    (auth / "logon.css").write_text("body { margin: 0 }")
    notes = [n for n in scan(tmp_path / "ev").coverage.families["webfiles"].notes if "no shipped baseline" in n]
    assert len(notes) == 1 and "Pages among them" in notes[0]
    assert "logon.aspx" in notes[0] and "logon.css" not in notes[0]


def test_real_baseline_pairs(shared_data: Path) -> None:
    """Real path/hash pairs from CSS-Exchange's baselines are known-good, with their builds."""
    base = load_baseline()
    rows = []
    with gzip.open(shared_data / "exchange-web-baseline.csv.gz", "rt", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for i, row in enumerate(reader):
            if i % 5000 == 0:
                rows.append(row)
            if len(rows) >= 40:
                break
    for rel, sha, builds in rows:
        cls, got = base.lookup(normalise_relative(rel), sha)
        assert cls == KNOWN_GOOD and set(builds.split(";")) <= set(got), rel
        flipped = ("0" if sha[0] != "0" else "1") + sha[1:]
        assert base.lookup(normalise_relative(rel), flipped)[0] == MODIFIED
    assert base.lookup("frontend/httpproxy/owa/auth/shell.aspx", rows[0][1])[0] == UNKNOWN
    # build inference from the real hashes of one build's pages
    target = "15.1.2176.9"
    matches = []
    with gzip.open(shared_data / "exchange-web-baseline.csv.gz", "rt", newline="") as fh:
        for rel, sha, builds in csv.reader(fh):
            if builds == target or (target in builds.split(";") and len(matches) < 5):
                matches.append(base.lookup(normalise_relative(rel), sha)[1])
            if len(matches) > 30:
                break
    assert infer_build(matches)["build"] == target


def test_location_rules_both_backends() -> None:
    cases = {
        "c:/inetpub/wwwroot/aspnet_client/system_web/a.aspx": "WF-LOC-ASPNET-CLIENT",
        "d:/exchange/frontend/httpproxy/owa/auth/current/themes/x.aspx": "WF-LOC-OWA-VERSION-FOLDER",
        "c:/program files/microsoft/exchange server/v15/frontend/httpproxy/owa/auth/15.1.2176/x.aspx": "WF-LOC-OWA-VERSION-FOLDER",
        "c:/x/frontend/httpproxy/ecp/auth/y.js": "WF-LOC-ECP-AUTH",
        "c:/x/frontend/httpproxy/owa/auth/outlooken.aspx": "WF-LOC-OWA-AUTH-PAGE",
        "c:/x/frontend/httpproxy/owa/auth/services.aspx": "WF-LOC-OWA-AUTH-PAGE",
        "c:/inetpub/wwwroot/aspnet_client/services.aspx": "WF-IOC-MSTIC-PATH",
        "c:/programdata/it.zip": "WF-LOC-PROGRAMDATA-ARCHIVE",
        "c:/root/lsass.dmp": "WF-LOC-LSASS-NAME",
        "c:/windows/temp/procdump_210303_064212.dmp": "WF-LOC-LSASS-NAME",
        "c:/users/public/opera/opera_browser.exe": "WF-LOC-TOOL-DROP",
        "c:/users/bob/desktop/decrypt_file.txt": "WF-LOC-RANSOM-NOTE",
    }
    clean = [
        "c:/x/frontend/httpproxy/ecp/auth/timeoutlogout.aspx",
        "c:/x/frontend/httpproxy/owa/auth/logon.aspx",
        "c:/x/frontend/httpproxy/owa/auth/15.1.2176/scripts/premium/flogon.js",
        "c:/inetpub/wwwroot/iisstart.htm",
        "c:/inetpub/wwwroot/aspnet_client/system_web/4_0_30319/readme.txt",
    ]
    for backend in ("re2", "hyperscan"):
        m = PathMatcher(location_rules(), backend)
        for key, rule in cases.items():
            assert rule in {r.id for r in m.match(key)}, (backend, key)
        for key in clean:
            assert not m.match(key), (backend, key)


def test_url_mapping() -> None:
    assert url_for_path(EX + "\\FrontEnd\\HttpProxy\\owa\\auth\\x.aspx") == "/owa/auth/x.aspx"
    assert (
        url_for_path("C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\y.aspx")
        == "/aspnet_client/system_web/y.aspx"
    )
    assert url_for_path("D:\\Exchange\\ClientAccess\\ecp\\z.aspx") == "/ecp/z.aspx"
    assert url_for_path("C:\\Windows\\Temp\\a.txt") is None


def test_external_rules_meta_and_bad_rule_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "good.yar").write_text(
        'rule Test_Marker { meta: author = "Jane Analyst" reference = "https://example.org/r" '
        'strings: $a = "EXTRIAGE-TEST-MARKER" condition: $a }\n'
    )
    (rules / "broken.yar").write_text("rule Broken { strings: $a = condition: $a }\n")
    ev = tmp_path / "ev" / "inetpub" / "wwwroot"
    ev.mkdir(parents=True)
    (ev / "page.htm").write_text("<html>EXTRIAGE-TEST-MARKER</html>")
    result = scan(tmp_path / "ev", rules_dirs=[str(rules)], jobs=1)
    hit = [f for f in wf(result) if f.rule_id == "WF-YARA-Test_Marker"]
    assert hit
    fields = hit[0].evidence[0].fields
    assert fields["author"] == "Jane Analyst" and "https://example.org/r" in hit[0].references
    assert any("broken.yar" in w and "does not compile" in w for w in result.coverage.warnings)


def test_bad_inputs_do_not_stop_the_scan(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    web = ev / "inetpub" / "wwwroot" / "aspnet_client"
    web.mkdir(parents=True)
    (web / "bin.aspx").write_bytes(os.urandom(3000) + b"\x00")
    (web / "utf16.aspx").write_bytes(
        b"\xff\xfe" + '<%@ Page Language="Jscript"%><%eval(Request.Item["z"],"unsafe");%>'.encode("utf-16-le")
    )
    (web / "big.aspx").write_bytes(b"<%@ Page %>" + b"A" * (3 * 1024 * 1024))
    (ev / "inetpub" / "wwwroot" / "loop").symlink_to(ev / "inetpub")
    result = scan(ev, max_file_size=1024 * 1024, jobs=2)
    names = {f.title.rsplit(": ", 1)[-1]: f for f in wf(result)}
    assert "utf16.aspx" in names and "yara:EXT_WEBSHELL_ChinaChopper_Eval" in names["utf16.aspx"].tags
    assert "bin.aspx" in names  # a page in aspnet_client, whatever its content
    skipped = {Path(s.path).name: s.reason for s in result.coverage.skipped}
    assert "cap" in skipped.get("big.aspx", "")
    assert any("loop" in r for r in skipped.values())


def test_link_stage_joins_log_lines(full: tuple[Path, object]) -> None:
    dest, gen = full
    from extriage.evidence.locate import build_inventory
    from extriage.evidence.source import open_source
    from extriage.findings import ScanResult as SR
    from extriage.scan.context import ScanContext
    from extriage.scan.numbering import number_findings

    spec = open_source(dest)
    ctx = ScanContext(build_inventory(spec, lambda p, w: None), SR(spec.root), ScanOptions(jobs=1))
    STAGES[0].run(ctx)
    url = gen.plan.shells[0].url  # type: ignore[attr-defined]
    from datetime import UTC, datetime

    line = f"2021-03-03 09:06:27 10.0.0.5 POST {url} - 443 - 139.162.202.236 Mozilla/5.0 - 200 0 0 12"
    ctx.result.timeline.append(
        TimelineEvent(
            datetime(2021, 3, 3, 9, 6, 27, tzinfo=UTC),
            "u_ex210303.log",
            7,
            "request",
            "POST",
            "139.162.202.236",
            raw=line,
        )
    )
    number_findings(ctx.result)
    STAGES[1].run(ctx)
    f = next(f for f in ctx.result.findings if url in f.indicators.urls)
    assert any(e.raw == line for e in f.evidence)
    assert "139.162.202.236" in f.indicators.client_ips
    assert f.id in ctx.result.timeline[-1].finding_ids or any(
        f.id in e.finding_ids for e in ctx.result.timeline
    )


def test_zip_collection(tmp_path: Path) -> None:
    """The same pipeline reads members of a zipped Velociraptor collection in place."""
    gen = generate(
        tmp_path / "c.zip", scenario="proxylogon", size="1MB", layout="zip-velociraptor", seed=2, events=False
    )
    result = scan(gen.dest)
    shells = {s.path.lower() for s in gen.plan.shells}
    found = {p.lower() for f in wf(result) if f.outcome == Outcome.WEBSHELL for p in f.indicators.paths}
    assert shells <= found
    assert any("!" in r.path for r in result.files)  # archive!member, hashed


def test_every_real_baseline_row_is_known_good(shared_data: Path) -> None:
    """The compact package data answers exactly like the CSS-Exchange CSV it was derived from."""
    base = load_baseline()
    rows = 0
    with gzip.open(shared_data / "exchange-web-baseline.csv.gz", "rt", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for rel, sha, builds in reader:
            cls, got = base.lookup(normalise_relative(rel), sha)
            assert cls == KNOWN_GOOD and set(builds.split(";")) <= set(got), rel
            rows += 1
    assert rows == 254_348


_SITE_OUTSIDE_INETPUB = """<?xml version="1.0" encoding="UTF-8"?>
<configuration><system.applicationHost><sites>
<site name="Default Web Site" id="1"><application path="/">
<virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\wwwroot" /></application></site>
<site name="transfer" id="2"><application path="/">
<virtualDirectory path="/" physicalPath="C:\\FileTransferApp\\wwwroot" /></application></site>
</sites></system.applicationHost></configuration>
"""


@pytest.mark.parametrize("layout", ["drive", "kape"])
def test_site_in_a_top_folder_no_list_knows_is_read_on_a_drive_root(tmp_path: Path, layout: str) -> None:
    """A site's folder at the top of C: that is not a standard Windows folder (MOVEit Transfer's default
    ``C:\\MOVEitTransfer\\wwwroot``) is read when the evidence is the drive itself, as it is in a KAPE
    collection: on a drive root every folder is on C:, so applicationHost.config's path finds the page."""
    root = tmp_path / "ev" / ("C" if layout == "kape" else "")
    conf = root / "Windows" / "System32" / "inetsrv" / "config"
    conf.mkdir(parents=True)
    (conf / "applicationHost.config").write_text(_SITE_OUTSIDE_INETPUB)
    site = root / "FileTransferApp" / "wwwroot"
    site.mkdir(parents=True)
    (site / "guest.aspx").write_text(
        '<%@ Page Language="C#" %><% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); %>'
    )
    (site / "default.aspx").write_text('<%@ Page Language="C#" %><html><body>Transfer</body></html>')
    result = scan(tmp_path / "ev")
    flagged = {f.title.rsplit(": ", 1)[-1]: f for f in wf(result)}
    assert set(flagged) == {"guest.aspx"}
    assert flagged["guest.aspx"].severity == Severity.CRITICAL
    skipped = {Path(s.path).name for s in result.coverage.skipped}
    assert not {"guest.aspx", "default.aspx"} & skipped


def test_server_pages_outside_web_folders_are_named_as_not_read(tmp_path: Path) -> None:
    """On a drive, a page no IIS folder holds (ScreenConnect's own server runs App_Extensions pages; X33,
    session 15) is only header-checked: the coverage names it and says how to read it, Windows' own
    pages and non-page files are not named, and a page in a served folder is read as before."""
    root = tmp_path / "ev"
    conf = root / "Windows" / "System32" / "inetsrv" / "config"
    conf.mkdir(parents=True)
    (conf / "applicationHost.config").write_text(_SITE_OUTSIDE_INETPUB)
    ext = root / "Program Files (x86)" / "ScreenConnect" / "App_Extensions" / "x"
    ext.mkdir(parents=True)
    (ext / "Handler.ashx").write_text('<%@ WebHandler Language="C#" Class="H" %>\nclass H {}\n')
    (ext / "Manifest.xml").write_text("<ExtensionManifest />")
    admin = root / "Windows" / "Microsoft.NET" / "Framework64" / "v4.0.30319" / "ASP.NETWebAdminFiles"
    admin.mkdir(parents=True)
    (admin / "default.aspx").write_text('<%@ Page Language="C#" %><html></html>')
    site = root / "FileTransferApp" / "wwwroot"
    site.mkdir(parents=True)
    (site / "default.aspx").write_text('<%@ Page Language="C#" %><html><body>Transfer</body></html>')
    result = scan(root)
    notes = [n for n in result.coverage.families["webfiles"].notes if "outside the folders IIS serves" in n]
    assert len(notes) == 1 and "1 server page " in notes[0] and "Handler.ashx" in notes[0]
    assert "ASP.NETWebAdminFiles" not in notes[0] and "Manifest.xml" not in notes[0]
    extras = result.extras["webfiles"]
    assert extras["pages_outside_web_folders_count"] == 1
    assert [Path(p).name for p in extras["pages_outside_web_folders"]] == ["Handler.ashx"]
    assert extras["places"]["IIS site folders"] == 1  # the served page is read in depth

    (root / "FileTransferApp").rename(tmp_path / "moved")  # a plain folder: every file is read, none named
    plain = scan(tmp_path / "moved")
    assert not any("outside the folders" in n for n in plain.coverage.families["webfiles"].notes)


def test_pages_of_windows_folders_iis_serves_for_a_role_are_read(tmp_path: Path) -> None:
    """AD CS Web Enrollment (/certsrv), IIS password change (/iisadmpwd) and RD Web Access (/RDWeb) pages live
    under Windows and are served without any applicationHost.config in the evidence: a shell dropped there is
    read in depth and found (B16, session 16: it was only header-checked, and not named), and a server
    without those roles is not told they are missing."""
    root = tmp_path / "ev" / "C"
    shell = '<%@ Page Language="C#" %><% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); %>'
    places = {
        "certsrv": root / "Windows" / "System32" / "CertSrv" / "en-US",
        "iisadmpwd": root / "Windows" / "System32" / "inetsrv" / "iisadmpwd",
        "rdweb": root / "Windows" / "Web" / "RDWeb" / "Pages" / "en-US",
    }
    for name, folder in places.items():
        folder.mkdir(parents=True)
        (folder / f"{name}_x.aspx").write_text(shell)
    (root / "inetpub" / "wwwroot").mkdir(parents=True)
    (root / "inetpub" / "wwwroot" / "iisstart.htm").write_text("<html></html>")
    result = scan(tmp_path / "ev")
    flagged = {f.title.rsplit(": ", 1)[-1] for f in wf(result)}
    assert flagged == {"certsrv_x.aspx", "iisadmpwd_x.aspx", "rdweb_x.aspx"}
    places_read = result.extras["webfiles"]["places"]
    assert places_read["Windows\\System32\\CertSrv (/certsrv)"] == 1
    assert places_read["Windows\\Web\\RDWeb (/RDWeb)"] == 1

    for folder in places.values():
        for f in folder.iterdir():
            f.unlink()
    quiet = scan(tmp_path / "ev")
    assert not any("CertSrv" in m or "RDWeb" in m for m in quiet.extras["webfiles"]["not_covered"])


def test_plain_folder_with_an_inetpub_copy_keeps_other_folders_relative(tmp_path: Path) -> None:
    """Without a Windows folder at its top, a folder holding an ``inetpub`` copy is not taken for the root
    of C:, so the responder's own folders beside it (notes, exports) keep their relative names."""
    from extriage.evidence.locate import build_inventory
    from extriage.evidence.source import open_source

    ev = tmp_path / "ev"
    (ev / "inetpub" / "logs").mkdir(parents=True)
    (ev / "inetpub" / "logs" / "u_ex1.log").write_text("#Fields: date\n")
    (ev / "notes").mkdir()
    (ev / "notes" / "case.txt").write_text("x")
    inv = build_inventory(open_source(ev), lambda *a: None)
    keys = {f.ref.member: f.key for f in inv.files}
    assert keys["inetpub/logs/u_ex1.log"] == "c:/inetpub/logs/u_ex1.log"
    assert keys["notes/case.txt"] == "notes/case.txt"


_CORE_CONFIG = """<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <location path="." inheritInChildApplications="false">
    <system.webServer>
      <handlers>
        <add name="aspNetCore" path="*" verb="*" modules="{module}" resourceType="Unspecified" />
      </handlers>
      <aspNetCore processPath="{process}" arguments="{arguments}" stdoutLogEnabled="false" hostingModel="inprocess" />
    </system.webServer>
  </location>
</configuration>
"""


def test_aspnet_core_sites_are_named_with_what_runs_them(tmp_path: Path) -> None:
    """A web.config that hands its site to the ASP.NET Core Module: the coverage names the site and the
    program it runs, and says that a Core site's code runs from assemblies YARA and the IL analysis read and that its
    .cs/.razor files are sources (X39, session 17: "14 files read in depth" read as if its code had been
    analysed). An ordinary web.config and a Core-looking text that is no handler say nothing."""
    www = tmp_path / "ev" / "C" / "inetpub" / "wwwroot"
    shop = www / "shop"
    shop.mkdir(parents=True)
    (shop / "web.config").write_text(
        _CORE_CONFIG.format(module="AspNetCoreModuleV2", process="dotnet", arguments=".\\Shop.Web.dll")
    )
    (shop / "Shop.Web.dll").write_bytes(b"MZ" + b"\0" * 64)
    api = www / "api"
    api.mkdir()
    (api / "web.config").write_text(_CORE_CONFIG.format(module="AspNetCoreModule", process=".\\Api.exe", arguments=""))
    old = www / "old"
    old.mkdir()
    (old / "web.config").write_text(
        '<configuration><system.web><compilation debug="false" /></system.web>'
        "<!-- moved to AspNetCoreModuleV2 next year --></configuration>"
    )
    result = scan(tmp_path / "ev")
    notes = [n for n in result.coverage.families["webfiles"].notes if "ASP.NET Core site" in n]
    assert len(notes) == 1 and notes[0].startswith("2 ASP.NET Core sites (")
    assert "Shop.Web.dll" in notes[0] and "Api.exe" in notes[0] and "which YARA and the IL analysis read" in notes[0]
    runs = [site["runs"] for site in result.extras["webfiles"]["aspnet_core_sites"]]
    assert sorted(runs) == [".\\Api.exe", ".\\Shop.Web.dll"]

    (shop / "web.config").unlink()
    (api / "web.config").unlink()
    quiet = scan(tmp_path / "ev")
    assert not any("ASP.NET Core site" in n for n in quiet.coverage.families["webfiles"].notes)
    assert quiet.extras["webfiles"]["aspnet_core_sites"] == []



_RAZOR_SHELL = (
    "{head}\n@{{\n    var c = Request.Query[\"c\"].ToString();\n"
    "    var p = System.Diagnostics.Process.Start(\"cmd.exe\", \"/c \" + c);\n}}\n<pre>@p</pre>\n"
)


def test_core_site_files_pivot_on_what_the_site_serves(tmp_path: Path) -> None:
    """A Core site serves its Razor Pages at their routes and only wwwroot as files (X39, session 17: the log
    pivots listed view and page file paths a Core site never serves). A shell in a Razor Page is looked up
    in the logs at its route, one in an MVC view is not looked up by a URL, and a page of an ordinary site
    keeps its file URL."""
    www = tmp_path / "ev" / "C" / "inetpub" / "wwwroot"
    shop = www / "shop"
    (shop / "Pages" / "Admin").mkdir(parents=True)
    (shop / "Views" / "Home").mkdir(parents=True)
    (shop / "web.config").write_text(
        _CORE_CONFIG.format(module="AspNetCoreModuleV2", process="dotnet", arguments=".\\Shop.Web.dll")
    )
    (shop / "Pages" / "Admin" / "Run.cshtml").write_text(_RAZOR_SHELL.format(head="@page"))
    (shop / "Pages" / "Index.cshtml").write_text(_RAZOR_SHELL.format(head="@page"))
    (shop / "Views" / "Home" / "About.cshtml").write_text(_RAZOR_SHELL.format(head="@model string"))
    plain = www / "intranet"
    plain.mkdir()
    (plain / "Run.cshtml").write_text(_RAZOR_SHELL.format(head="@* Web Pages *@"))

    result = run_scan(str(tmp_path / "ev"), ScanOptions(jobs=2))  # (every stage: the log pivots too)
    urls = {s["path"].replace("\\", "/").split("wwwroot/", 1)[1]: s["url"]
            for s in result.extras["webfiles"]["suspicious_files"]}
    assert urls == {
        "shop/Pages/Admin/Run.cshtml": "/shop/Admin/Run",
        "shop/Pages/Index.cshtml": "/shop",
        "shop/Views/Home/About.cshtml": None,
        "intranet/Run.cshtml": "/intranet/Run.cshtml",
    }
    pivots = result.extras["logs"]["pivots"]["webshell_urls"]
    assert "/shop/admin/run" in pivots and "/shop" in pivots and "/intranet/run.cshtml" in pivots
    assert not [u for u in pivots if "views" in u or "pages" in u], pivots


@pytest.mark.parametrize(
    ("rel", "route"),
    [
        ("wwwroot/js/site.js", "js/site.js"),
        ("WWWRoot/upload/a.aspx", "upload/a.aspx"),
        ("Pages/Account/Login.cshtml", "Account/Login"),
        ("Pages/Account/Index.cshtml", "Account"),
        ("Pages/Index.cshtml", ""),
        ("Pages/Shared/_Layout.cshtml", None),
        ("Pages/_ViewImports.cshtml", None),
        ("Pages/Account/Login.cshtml.cs", None),
        ("Views/Home/Index.cshtml", None),
        ("Components/Console.razor", None),
        ("appsettings.json", None),
        ("Shop.Web.dll", None),
    ],
)
def test_core_route(rel: str, route: str | None) -> None:
    assert core_route(rel) == route
