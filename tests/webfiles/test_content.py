"""Content rules and targeted checks on synthetic (harmless) shells of every family."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from extriage.detections.webfiles import content
from extriage.detections.webfiles.rules import build_ruleset
from extriage.evidence.locate import build_inventory
from extriage.evidence.source import open_source
from extriage.generator import webfiles as gen
from extriage.generator.plan import make_plan

EXPECTED = {
    "China Chopper": "EXT_WEBSHELL_ChinaChopper_Eval",
    "China Chopper (C#)": "EXT_WEBSHELL_ChinaChopper_Eval",
    "China Chopper (VB)": "EXT_WEBSHELL_ChinaChopper_Eval",
    "command shell": "EXT_WEBSHELL_Process_Exec",
    "Assembly.Load loader": "EXT_WEBSHELL_Assembly_Load_Base64",
    "reflection loader": "EXT_WEBSHELL_Reflection_Loader",
    "file manager": "EXT_WEBSHELL_File_Manager",
    "SQL console": "EXT_WEBSHELL_SQL_Console",
    "obfuscated shell": "EXT_WEBSHELL_Obfuscated",
}


def examine_bytes(tmp_path: Path, name: str, data: bytes, params: content.ContentParams) -> dict[str, object]:
    folder = tmp_path / "ev"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    inv = build_inventory(open_source(folder), lambda p, w: None)
    (f,) = [x for x in inv.files if x.name == name]
    out = content.examine(content.target(f), content.DEEP, params)
    assert out.sha256 is not None
    return {
        "out": out,
        "rules": {h["rule"] for h in out.data["hits"] if h["check"] == "yara"},
        "checks": {h["check"] for h in out.data["hits"]},
    }


@pytest.mark.parametrize("family", sorted(EXPECTED))
def test_every_shell_family_matches_its_rule(
    tmp_path: Path, params: content.ContentParams, family: str
) -> None:
    body = gen.shell_bodies("k3y")[family]
    got = examine_bytes(tmp_path, "x.aspx", body.encode(), params)
    assert EXPECTED[family] in got["rules"]


def test_oab_config_shell(tmp_path: Path, params: content.ContentParams) -> None:
    plan = make_plan("proxylogon", seed=5, size=1024)
    got = examine_bytes(tmp_path, "x.aspx", gen.oab_shell(plan, "pw").encode("utf-8"), params)
    assert "EXT_WEBSHELL_OAB_Config_Shell" in got["rules"]
    hit = next(h for h in got["out"].data["hits"] if h.get("rule") == "EXT_WEBSHELL_OAB_Config_Shell")
    assert hit["line"] >= 1 and hit["raw"]  # the raw line the finding rests on


def test_utf16_shell_is_scanned_as_text(tmp_path: Path, params: content.ContentParams) -> None:
    body = gen.shell_bodies("k")["command shell"]
    got = examine_bytes(tmp_path, "u.aspx", b"\xff\xfe" + body.encode("utf-16-le"), params)
    assert got["out"].data["kind"] == "text-utf16"
    assert "EXT_WEBSHELL_Process_Exec" in got["rules"]


#: One page in every spelling a file can give it: the wide encodings ASP.NET's reader accepts (with and
#: without their marks) and a UTF-16 mark in front of 8-bit text, which decoded as UTF-16 would be
#: CJK-looking garbage in which no rule matches.
_PAGE = '<%@ Page Language="C#" %>\r\n<% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["t"]); %>\r\n'
SPELLINGS = {
    "utf-8": (_PAGE.encode(), "text"),
    "UTF-16 LE mark": (_PAGE.encode("utf-16"), "text-utf16"),
    "UTF-16 LE": (_PAGE.encode("utf-16-le"), "text-utf16"),
    "UTF-16 BE mark": (b"\xfe\xff" + _PAGE.encode("utf-16-be"), "text-utf16"),
    "UTF-16 BE": (_PAGE.encode("utf-16-be"), "text-utf16"),
    "UTF-32 LE mark": (_PAGE.encode("utf-32"), "text-utf32"),
    "UTF-32 LE": (_PAGE.encode("utf-32-le"), "text-utf32"),
    "UTF-32 BE mark": (b"\x00\x00\xfe\xff" + _PAGE.encode("utf-32-be"), "text-utf32"),
    "UTF-16 LE mark on 8-bit text": (b"\xff\xfe" + _PAGE.encode(), "text"),
    "UTF-16 BE mark on 8-bit text": (b"\xfe\xff" + _PAGE.encode(), "text"),
}


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
@pytest.mark.parametrize("path", ["one file", "batch"])
def test_page_is_found_in_every_encoding(
    tmp_path: Path, params: content.ContentParams, spelling: str, path: str
) -> None:
    data, kind = SPELLINGS[spelling]
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "p.aspx").write_bytes(data)
    (f,) = build_inventory(open_source(folder), lambda p, w: None).files
    if path == "one file":
        out = content.examine(content.target(f), content.DEEP, params)
    else:
        ((_, out),) = content.examine_batch([(0, content.DEEP, content.target(f), None)], params).outcomes
    assert out.data["kind"] == kind
    hits = out.data["hits"]
    assert "EXT_WEBSHELL_Process_Exec" in {h.get("rule") for h in hits}
    behaviour = [h for h in hits if h.get("sink") == "process"]
    assert behaviour and behaviour[0]["line"] == 2, hits  # lines counted in the decoded text
    assert not out.skipped


def test_wide_encoding_needs_zero_bytes_or_a_mark() -> None:
    assert content.wide_encoding(b"\xff\xfe<%@ Page %>") is None  # a mark on 8-bit text
    assert content.wide_encoding("\u4e2d".encode("utf-16")) is None  # nothing but CJK: read as bytes
    assert content.wide_encoding(b"plain text") is None
    assert content.sniff(b"\x00\x01\x02\x03\xff" * 20) == "binary"


def test_legitimate_pages_and_logs_do_not_match(tmp_path: Path, params: content.ContentParams) -> None:
    rng = random.Random(1)
    for rel in (
        "frontend/httpproxy/owa/auth/logon.aspx",
        "clientaccess/ecp/default.aspx",
        "frontend/httpproxy/owa/auth/version/scripts/premium/flogon.js",
    ):
        got = examine_bytes(tmp_path, rel.rsplit("/", 1)[-1], gen.legit_content(rel, rng), params)
        assert not got["rules"], rel
    # an IIS log quoting a chopper request is the log stage's business, not a web shell
    log = (
        "#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip cs-method cs-uri-stem\r\n"
        '2021-03-03 06:59:21 10.0.0.5 POST /aspnet_client/x.aspx eval(Request.Item["p"],"unsafe")\r\n'
    )
    got = examine_bytes(tmp_path, "u_ex210303.log", log.encode(), params)
    assert got["out"].data["kind"] == "log" and not got["rules"]


def test_targeted_checks(tmp_path: Path, params: content.ContentParams) -> None:
    rng = random.Random(2)
    assert "lsass-dump" in examine_bytes(tmp_path, "notes.txt", gen.minidump(rng), params)["checks"]
    # a minidump of another process is not an LSASS dump
    other = b"MDMP\x93\xa7\x00\x00" + "C:\\Windows\\System32\\svchost.exe".encode("utf-16-le") + bytes(64)
    assert "lsass-dump" not in examine_bytes(tmp_path, "svc.dmp", other, params)["checks"]
    assert "dearcry" in examine_bytes(tmp_path, "a.doc.CRYPT", b"DEARCRY!" + bytes(100), params)["checks"]
    assert "pst-shell" in examine_bytes(tmp_path, "p.aspx", gen.pst_shell("k", rng), params)["checks"]
    assert "pst-export" in examine_bytes(tmp_path, "mail.pst", gen.pst_shell("k", rng), params)["checks"]
    compiled = '<preserve resultType="3" virtualPath="/aspnet_client/x.aspx" assembly="App_Web_abcdefgh" />'
    got = examine_bytes(tmp_path, "x.aspx.1234abcd.compiled", compiled.encode(), params)
    hit = next(h for h in got["out"].data["hits"] if h["check"] == "compiled")
    assert hit["virtual_path"] == "/aspnet_client/x.aspx"
    assert (
        "EXT_WEBSHELL_Compiled_Page"
        in examine_bytes(tmp_path, "App_Web_x.dll", gen.compiled_dll("/aspnet_client/x.aspx", rng), params)[
            "rules"
        ]
    )


def test_big_file_is_hashed_and_header_checked_only(tmp_path: Path) -> None:
    rs = build_ruleset([])
    small = content.ContentParams(rs.serialized, 4096, 5.0)
    rng = random.Random(3)
    dump = gen.minidump(rng, size=64 * 1024)
    got = examine_bytes(tmp_path, "big.tmp", dump, small)
    out = got["out"]
    assert "lsass-dump" in got["checks"]
    assert out.skipped and out.skipped[0].partial and "cap" in out.skipped[0].reason
    import hashlib

    assert out.sha256 == hashlib.sha256(dump).hexdigest()


def test_binary_named_aspx_and_non_utf8(tmp_path: Path, params: content.ContentParams) -> None:
    rng = random.Random(4)
    got = examine_bytes(tmp_path, "b.aspx", bytes(rng.getrandbits(8) for _ in range(5000)) + b"\x00", params)
    assert got["out"].data["kind"] == "binary" and not got["rules"]
    got = examine_bytes(
        tmp_path, "l.aspx", '<%@ Page Language="C#" %>\n<p>caf\xe9</p>'.encode("latin-1"), params
    )
    assert not got["rules"]


def test_vanished_file_is_reported(tmp_path: Path, params: content.ContentParams) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "gone.aspx").write_text("x")
    inv = build_inventory(open_source(folder), lambda p, w: None)
    (folder / "gone.aspx").unlink()
    res = content.examine_batch([(0, content.DEEP, content.target(inv.files[0]), None)], params)
    ((idx, out),) = res.outcomes
    assert idx == 0 and out.skipped and "vanished" in out.skipped[0].reason


def test_sniff_does_not_trust_extensions() -> None:
    assert content.sniff(b"MZ\x90\x00") == "pe"
    assert content.sniff(b"MDMP\x93\xa7") == "minidump"
    assert content.sniff(b"<\x00%\x00@\x00 \x00P\x00a\x00g\x00e\x00") == "text-utf16"
    assert content.sniff(b"#Software: Microsoft Exchange Server\r\n") == "log"
    assert content.sniff(b"\xef\xbb\xbf<%@ WebHandler") == "text"


def test_permission_denied_and_timeout_are_reported(
    tmp_path: Path, params: content.ContentParams, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "a.aspx").write_text('<%@ Page Language="C#" %>')
    inv = build_inventory(open_source(folder), lambda p, w: None)
    item = [(0, content.DEEP, content.target(inv.files[0]), None)]

    def denied(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as m:  # root ignores file modes, so deny at the system call
        m.setattr(content.os, "open", denied)
        ((_, out),) = content.examine_batch(item, params).outcomes
    assert out.skipped and "permission denied" in out.skipped[0].reason

    import yara_x

    class SlowScanner:
        def scan(self, data: bytes) -> object:
            raise yara_x.TimeoutError("timeout")

    content.init_worker(params)
    state = content.current_state()
    assert state is not None
    real = state.scanner
    state.scanner = SlowScanner()  # type: ignore[assignment]
    try:
        ((_, out),) = content.examine_batch(item, params).outcomes
    finally:
        state.scanner = real
    assert out.sha256 and out.skipped and out.skipped[0].partial and "time limit" in out.skipped[0].reason


def test_scans_in_worker_threads_keep_their_own_scanner(tmp_path: Path, params: content.ContentParams) -> None:
    """A Dask worker runs scans in its own threads: a yara-x scanner is bound to the thread that
    made it, so each thread gets its own (the same hits), and none is dropped on another thread."""
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    body = gen.shell_bodies("k3y")["command shell"].encode()
    main = examine_bytes(tmp_path, "x.aspx", body, params)["rules"]
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda i: examine_bytes(tmp_path / str(i), "x.aspx", body, params)["rules"], range(4)))
    assert got == [main] * 4 and "EXT_WEBSHELL_Process_Exec" in main
    assert content.current_state() is not None

    page = tmp_path / "ev" / "x.aspx"
    script = (
        "import sys\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from extriage.detections.webfiles import content\n"
        "from extriage.detections.webfiles.rules import build_ruleset\n"
        "from extriage.evidence.locate import build_inventory\n"
        "from extriage.evidence.source import open_source\n"
        "from pathlib import Path\n"
        "folder = Path(sys.argv[1])\n"
        "params = content.ContentParams(build_ruleset([]).serialized, 1 << 20, 5.0)\n"
        "(f,) = build_inventory(open_source(folder), lambda p, w: None).files\n"
        "pool = ThreadPoolExecutor(1)\n"  # left running at exit, as a worker's pool is
        "out = pool.submit(content.examine, content.target(f), content.DEEP, params).result()\n"
        "print(sorted(h['rule'] for h in out.data['hits'] if h['check'] == 'yara'))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(page.parent)], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "EXT_WEBSHELL_Process_Exec" in proc.stdout
    assert "unsendable" not in proc.stderr and "Traceback" not in proc.stderr
