"""The live-server collectors (``collectors/``): each valid for its tool, all three collecting the
same files, everything they collect read by the scan, everything the scan reads collected, and a
zip in their layout scanning exactly as the server itself.

The scan side is derived from the code's own tables: the log families' path patterns, the web file
stage's places and deep-read names, the location rules, the event rules' providers, the build's
``ExSetup.exe`` and the mitigation checks' config and hive paths.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from extriage.detections.events.engine import default_rules
from extriage.detections.mitigations.sources import APPHOST_PATH, SOFTWARE_HIVE_PATH, SYSTEM_HIVE_PATH
from extriage.detections.webfiles.knowledge import location_rules
from extriage.detections.webfiles.paths import PathMatcher
from extriage.evidence.locate import relative_to_install
from extriage.formats.families import FAMILIES
from extriage.generator.api import generate
from extriage.scan.pipeline import run_scan
from extriage.scan.stages.webfiles import _DEEP_NAMES, PLACES

from . import emulate

#: Where the events of each provider the event rules name are written on a server (Windows' own
#: channel files). Every provider of the rules must be here: a new rule on a new provider fails
#: ``test_every_event_source_is_collected`` until its log is collected.
PROVIDER_LOGS: dict[str, tuple[str, ...]] = {
    "microsoft-windows-security-auditing": ("Security.evtx",),
    "microsoft-windows-eventlog": ("Security.evtx", "System.evtx"),
    "microsoft-windows-sysmon": ("Microsoft-Windows-Sysmon%4Operational.evtx",),
    "microsoft-windows-powershell": ("Microsoft-Windows-PowerShell%4Operational.evtx", "Windows PowerShell.evtx"),
    "msexchange management": ("MSExchange Management.evtx",),
    "msexchange cmdletlogs": ("MSExchange Management.evtx",),
    "msexchange control panel": ("Application.evtx",),
    "msexchange unified messaging": ("Application.evtx",),
}
#: The CC0 event logs of tests/data laid where Windows keeps the channel they hold.
EVTX_AS = {
    "ID4688-User creation via commandline.evtx": "Security.evtx",
    "ID1-WMIexec process execution.evtx": "Microsoft-Windows-Sysmon%4Operational.evtx",
    "ID4103-4104-Payload download via PowerShell.evtx": "Microsoft-Windows-PowerShell%4Operational.evtx",
}
#: Files of a server no collector takes (the universe of the selection tests has them too).
NOISE = [
    "C:\\Windows\\System32\\winevt\\Logs\\Microsoft-Windows-TaskScheduler%4Operational.evtx",
    "C:\\Windows\\System32\\config\\SAM",
    f"{emulate.EXCHANGE}\\Bin\\Microsoft.Exchange.Store.Worker.exe",
    f"{emulate.EXCHANGE}\\Mailbox\\Mailbox Database 0001\\Mailbox Database 0001.edb",
    "C:\\Windows\\System32\\drivers\\etc\\hosts",
    "C:\\Users\\Administrator\\Documents\\budget2021.xlsx",
    "C:\\ProgramData\\Microsoft\\Windows Defender\\Support\\MPLog-2021.log",
]


def windows_path(rel: str) -> str:
    """``C/Program Files/...`` (KAPE-like layout) -> ``C:\\Program Files\\...``."""
    drive, _, rest = rel.partition("/")
    return f"{drive}:\\" + rest.replace("/", "\\")


def key(path: str) -> str:
    return path.replace("\\", "/").lower()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, test_data: Path) -> Path:
    """A generated compromised Exchange 2016 server in KAPE layout (``<root>/C/...``), with the event
    logs (real CC0 .evtx) and the hives live servers have where Windows keeps them."""
    root = tmp_path_factory.mktemp("server")
    generate(root, scenario="full", seed=5, size="300KB", days=3, layout="kape", events=False, jobs=1)
    drive = root / "C"
    logs = drive / "Windows" / "System32" / "winevt" / "Logs"
    logs.mkdir(parents=True, exist_ok=True)
    for name, channel_file in EVTX_AS.items():
        shutil.copy2(test_data / "evtx-samples-cc0" / name, logs / channel_file)
    tests = Path(__file__).resolve().parent.parent
    config = drive / "Windows" / "System32" / "config"
    config.mkdir(parents=True, exist_ok=True)
    shutil.copy2(tests / "mitigation" / "data" / "SYSTEM_mitigated", config / "SYSTEM")
    shutil.copy2(tests / "patch" / "fixtures" / "SOFTWARE-cu19-kb5000871", config / "SOFTWARE")
    (root / "extriage-generated.json").unlink()  # the generator's manifest, not a server file
    for path in root.rglob("*"):  # times a zip can hold exactly (DOS times: 2 s steps)
        mtime = int(path.stat().st_mtime) // 2 * 2
        os.utime(path, (mtime, mtime))
    return root


def server_paths(root: Path) -> dict[str, Path]:
    """Windows path -> file, for every file of the generated server."""
    return {windows_path(p.relative_to(root).as_posix()): p for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def universe(server: Path) -> list[str]:
    samples = [
        f"{emulate.EVENT_LOGS}\\{name}" for names in PROVIDER_LOGS.values() for name in names
    ] + [
        "C:\\ProgramData\\VSPerfMon\\hashdump.exe",
        "C:\\ProgramData\\staging\\mail\\pst.7z",
        "C:\\ProgramData\\staging\\it.rar",
        "C:\\ProgramData\\Microsoft\\out.cab",
        "C:\\Users\\Public\\dump.exe",
        f"{emulate.EXCHANGE}\\Bin\\ExSetup.exe",
    ]
    return sorted({*server_paths(server), *samples, *NOISE})


# -- each file valid for its tool ------------------------------------------------------------


def test_kape_target_schema() -> None:
    doc = emulate.load_tkape()
    assert set(doc) == {"Description", "Author", "Version", "Id", "RecreateDirectories", "Targets"}
    assert isinstance(doc["Description"], str) and doc["Description"]
    assert isinstance(doc["Author"], str) and isinstance(doc["Version"], float | str)
    uuid.UUID(str(doc["Id"]))
    assert doc["RecreateDirectories"] is True
    names = set()
    for t in doc["Targets"]:
        assert {"Name", "Category", "Path"} <= set(t) <= {"Name", "Category", "Path", "FileMask", "Recursive", "Comment"}, t
        assert re.fullmatch(r"[A-Z]:\\(?:[^\\/:?\"<>|]+\\)*", t["Path"]), t["Path"]  # a folder, ending with \
        assert isinstance(t.get("Recursive", False), bool) and isinstance(t.get("FileMask", "*"), str)
        assert t["Name"] not in names
        names.add(t["Name"])
    assert emulate.TKAPE.name.endswith(".tkape")


def test_velociraptor_artifact_schema() -> None:
    doc = emulate.load_artifact()
    assert doc["name"] == "Exchange.Triage.Extriage"
    assert set(doc) <= {"name", "description", "author", "type", "parameters", "sources", "precondition", "reference"}
    assert doc["type"] == "CLIENT" and doc["description"].strip()
    params = {p["name"]: p for p in doc["parameters"]}
    assert all(set(p) <= {"name", "description", "default", "type"} for p in params.values())
    assert params["TargetGlobs"]["type"] == "csv"
    assert emulate.artifact_globs() and all(g.startswith("C:\\") for g in emulate.artifact_globs())
    (source,) = doc["sources"]
    query = source["query"]
    # VQL well-formed enough to be read: brackets balanced outside strings, every LET used later,
    # the parameters used, uploads through the NTFS-capable accessor
    code = re.sub(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'', '""', query)
    for opening, closing in ("()", "{}", "[]"):
        depth = 0
        for ch in code:
            depth += (ch == opening) - (ch == closing)
            assert depth >= 0
        assert depth == 0, opening
    for name in re.findall(r"\bLET\s+(\w+)", code):
        assert len(re.findall(rf"\b{name}\b", code)) >= 2, f"LET {name} never used"
    assert "FROM TargetGlobs" in code and "ExchangeInstallFallback" in code
    assert 'upload(file=OSPath, accessor=""' in code or 'accessor="auto"' in query
    assert "applicationHost.config" in query and "logFile" in query


def test_powershell_collector_structure() -> None:
    """No PowerShell here: the script is checked at token level (strings and comments closed,
    brackets paired, the tables readable, every function defined and used, the parameter declared)."""
    text = emulate.POWERSHELL.read_text(encoding="utf-8")
    tokens = emulate.ps_tokens(text)
    emulate.check_brackets(tokens)
    words = [t.text for t in tokens]
    assert words[:2] == ["[", "CmdletBinding"] and "param" in words
    defined = [tokens[i + 1].text for i, t in enumerate(tokens) if t.text == "function"]
    assert defined
    for name in defined:
        assert words.count(name) >= 2, f"function {name} never called"
    variables = {t.text.lower() for t in tokens if t.kind == "var"}
    assert {"$destination", "$targets", "$channels", "$hives"} <= variables
    assert emulate.ps_targets(tokens) and emulate.ps_table(tokens, "$Channels") and emulate.ps_table(tokens, "$Hives")
    for needed in ("wevtutil.exe", "reg.exe", "ZipFile", "applicationHost.config", "SHA256"):
        assert needed in text
    with pytest.raises(ValueError):
        emulate.check_brackets(emulate.ps_tokens("$a = @( @{ Path = 'x' )"))


# -- the same files, and the scan's files ----------------------------------------------------


def selected(universe: list[str]) -> dict[str, set[str]]:
    return {tool: {p for p in universe if sel(p)} for tool, sel in emulate.selectors().items()}


def test_the_three_collectors_take_the_same_files(universe: list[str]) -> None:
    chosen = selected(universe)
    assert chosen["kape"] == chosen["velociraptor"] == chosen["powershell"]
    assert not chosen["kape"] & set(NOISE)


def _read_for(path: str, installs: list[str]) -> str | None:
    """Why the scan reads ``path`` (from its own tables), or None."""
    k = key(path)
    slash = "/" + k
    for fam in FAMILIES.values():
        if any(rx.search(slash) for rx in fam.paths):
            return f"log family {fam.id}"
    if k.endswith(".evtx"):
        return "event log"
    if k == key(APPHOST_PATH) or k in {key(SYSTEM_HIVE_PATH), key(SOFTWARE_HIVE_PATH)}:
        return "config / hive"
    if k.endswith("/bin/exsetup.exe"):
        return "build"
    rel = relative_to_install(k, installs)
    if rel is not None and rel.startswith(("frontend/httpproxy/", "clientaccess/")):
        return "Exchange web folders"
    for marker, label in PLACES.items():
        if marker in slash:
            return label
    if k.rsplit("/", 1)[-1] in _DEEP_NAMES:
        return "deep-read name"
    if PathMatcher(location_rules()).match(k):
        return "location rule"
    return None


def test_everything_collected_is_read_by_the_scan(universe: list[str], server: Path) -> None:
    installs = [key(emulate.EXCHANGE)]
    found = _finding_paths(run_scan(str(server)).to_dict(), str(server))
    for path in sorted(selected(universe)["kape"]):
        assert _read_for(path, installs) or key(path) in found, f"{path} is collected but the scan has no use for it"


def test_every_collector_target_takes_something(universe: list[str]) -> None:
    for target in emulate.tkape_targets():
        assert any(target.matches(p) for p in universe), target


def _finding_paths(result: dict[str, Any], root: str) -> set[str]:
    """Lower-case Windows-style keys of every file a finding's evidence names."""
    paths = set()
    for finding in result["findings"]:
        for ev in finding["evidence"]:
            source = str(ev.get("source", ""))
            if source.startswith(root):
                paths.add(key(windows_path(source[len(root) :].lstrip("/").split(":", 1)[0])))
    return paths


def test_every_source_the_scan_reads_is_collected(server: Path, universe: list[str]) -> None:
    chosen = selected(universe)["kape"]
    keys = {key(p) for p in chosen}
    result = run_scan(str(server)).to_dict()
    # every file a finding came from
    missing = _finding_paths(result, str(server) + "/") - keys
    assert not missing, missing
    # every file of every log family, the config and hives, ExSetup.exe
    for path in server_paths(server):
        k = "/" + key(path)
        if any(rx.search(k) for fam in FAMILIES.values() for rx in fam.paths):
            assert path in chosen, path
    for path in (APPHOST_PATH, SYSTEM_HIVE_PATH, SOFTWARE_HIVE_PATH, f"{emulate.EXCHANGE}\\Bin\\ExSetup.exe"):
        assert path in chosen, path
    # every event log the event rules' providers write to
    providers = {p for rule in default_rules().rules for p in rule.providers}
    assert providers <= set(PROVIDER_LOGS), providers - set(PROVIDER_LOGS)
    for provider in providers:
        for name in PROVIDER_LOGS[provider]:
            assert f"{emulate.EVENT_LOGS}\\{name}" in chosen, (provider, name)
    # every web file place the web file stage reads in depth
    for label in PLACES.values():
        assert any(label.lower() in p.lower() for p in chosen), label


# -- a collection scans as the server --------------------------------------------------------

WHERE = ("evidence_path", "layout", "started", "finished", "extras", "tool_version")


def comparable(path: Path, shown_root: str) -> dict[str, Any]:
    text = json.dumps(run_scan(str(path)).to_dict(), sort_keys=True, default=str)
    text = text.replace(json.dumps(shown_root)[1:-1], "<ev>")
    data: dict[str, Any] = json.loads(text)
    for k in WHERE:
        data.pop(k, None)
    data["files"].sort(key=lambda e: e["path"])  # listed in the container's order (folder walk, zip members)
    return data


def _collected(server: Path, universe: list[str]) -> Iterator[tuple[str, Path]]:
    files = server_paths(server)
    for path in sorted(selected(universe)["powershell"]):
        if path in files:
            drive, _, rest = path.partition(":\\")
            yield f"{drive}/" + rest.replace("\\", "/"), files[path]


def test_collection_zip_scans_as_the_server(server: Path, universe: list[str], tmp_path: Path) -> None:
    """The files the collectors take, written as Collect-Extriage.ps1 writes them (a zip of
    ``C/...`` members) and as a folder, scan exactly as the whole server: same verdict, findings,
    stories, timeline, coverage and hashes."""
    folder = tmp_path / "collection"
    archive = tmp_path / "EXCH01-extriage-20210312T000000Z.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for member, source in _collected(server, universe):
            z.write(source, member)
            (folder / member).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / member)
    whole = comparable(server, str(server) + "/")
    assert whole["verdict"] == "compromised" and whole["findings"]
    collection = comparable(folder, str(folder) + "/")
    assert comparable(archive, str(archive) + "!") == collection
    # the server's files no collector takes are files the scan does not use: listed as not read
    # and not relevant, or only header-checked (peeked) like any stray file
    taken = {"<ev>" + member for member, _ in _collected(server, universe)}
    for entry in whole["coverage"]["skipped"]:
        assert entry["path"] in taken or not entry["relevant"], entry
    whole["coverage"]["skipped"] = [e for e in whole["coverage"]["skipped"] if e["path"] in taken]
    whole["files"] = [e for e in whole["files"] if e["path"].split("!", 1)[0] in taken]  # (members of zips too)
    peeked = re.compile(r"\d+ other files header-checked")
    for result in (whole, collection):
        notes = result["coverage"]["families"]["webfiles"]["notes"]
        result["coverage"]["families"]["webfiles"]["notes"] = [peeked.sub("N other files header-checked", n) for n in notes]
    assert collection == whole
