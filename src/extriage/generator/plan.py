"""The facts of one generated server: who it is, when the logs run, and what the attacker did.

Every planter (core logs here; events, web files and later waves elsewhere) writes evidence from
the same :class:`AttackPlan`, so the attacker IP in the HttpProxy log, the shell path in the
OABGenerator log and the file planted on disk always agree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

SCENARIOS: dict[str, frozenset[str]] = {
    # scenario name -> components planted into the benign background
    "clean": frozenset(),
    "proxylogon": frozenset({"proxylogon"}),
    "attempts": frozenset({"attempts"}),
    "scanner": frozenset({"scanner"}),
    # everything the generator can plant (used by ``extriage demo``)
    "full": frozenset({"proxylogon", "attempts", "scanner"}),
    # one later wave's attack, planted by extriage.generator.waves (issue 9)
    "proxyshell": frozenset({"proxyshell"}),
    "proxynotshell": frozenset({"proxynotshell"}),
    "proxytoken": frozenset({"proxytoken"}),
}
ALL_WAVES = frozenset({"proxylogon", "proxyshell", "proxynotshell", "proxytoken"})
#: Where a later wave's own period of logs starts (``make_plan(wave_days=N)``), and the end of its
#: exploitation window (detections/waves/later_waves.yml; a test holds the two together):
#: ProxyShell's mass exploitation from 2021-08-08 (SANS ISC, Huntress), ProxyToken's attempts from
#: September 2021 (disclosed 2021-08-30), ProxyNotShell exploited before GTSC's 2022-09-28 advisory.
WAVE_PERIODS: dict[str, tuple[datetime, datetime]] = {
    "proxyshell": (datetime(2021, 8, 9, tzinfo=UTC), datetime(2022, 1, 1, tzinfo=UTC)),
    "proxytoken": (datetime(2021, 9, 6, tzinfo=UTC), datetime(2022, 1, 1, tzinfo=UTC)),
    "proxynotshell": (datetime(2022, 9, 19, tzinfo=UTC), datetime(2023, 1, 1, tzinfo=UTC)),
}
#: A wave's period holds the scanner lines two days before the attack and OWASSRF a day after it.
MIN_WAVE_DAYS = 5

#: Vulnerable builds current in early March 2021 (CU19 for 2016, CU8 for 2019), per
#: ExchangeBuildNumbers.csv in ../shared/data (microsoft/Get-ExchangeBuildNumber, MIT).
BUILDS = {"2016": (15, 1, 2176, 2), "2019": (15, 2, 792, 3)}

#: Attacker addresses as published in public ProxyLogon write-ups (helsecert incident README
#: quoted in ../shared/reference/logs-and-detections.md §1a/§1b, Microsoft's HAFNIUM blog).
ATTACKER_IPS = (
    "130.255.189.21",
    "139.162.202.236",
    "165.232.154.116",
    "161.35.45.41",
    "104.140.114.110",
    "5.254.43.18",
)


@dataclass(frozen=True, slots=True)
class Shell:
    """A web shell the attack writes: where on disk, which URL reaches it, and how it got there."""

    path: str  # Windows path, e.g. C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx
    url: str  # URL path, e.g. /aspnet_client/x.aspx
    written_by: str  # "CVE-2021-27065" (OAB virtual directory reset) or "CVE-2021-26858" (OAB generator)


@dataclass(slots=True)
class AttackPlan:
    """The server and scenario every planter reads. Times are aware UTC datetimes."""

    scenario: str
    seed: int
    components: frozenset[str]
    waves: frozenset[str]
    hostname: str  # NetBIOS name of the server, e.g. EXCH01
    domain: str  # AD DNS domain, e.g. corp.contoso.local
    netbios_domain: str  # e.g. CORP
    mail_domain: str  # e-mail / public domain, e.g. contoso.com
    public_host: str  # the name clients use, e.g. mail.contoso.com
    server_ip: str
    install_path: str  # Windows path without trailing backslash
    exchange_version: str  # "2016" or "2019"
    build: tuple[int, int, int, int]
    start: datetime  # first logged instant (inclusive)
    end: datetime  # last logged instant (exclusive)
    size: int  # target bytes of text logs
    webshell_files: bool = True  # planters may drop synthetic web shell files
    events: bool = True  # planters may write event exports
    attacker_ips: list[str] = field(default_factory=list)  # [exploit IP, web shell operator IP, ...]
    attempt_ips: list[str] = field(default_factory=list)
    scanner_ips: list[str] = field(default_factory=list)
    attack_start: datetime | None = None
    attack_end: datetime | None = None
    moments: dict[str, datetime] = field(default_factory=dict)  # named instants of the attack
    shells: list[Shell] = field(default_factory=list)
    shell_password: str = ""  # the request parameter the China Chopper-style payload reads
    ecp_canary: str = ""
    oab_vdir_guid: str = ""
    extras: dict[str, Any] = field(default_factory=dict)  # facts added by other planters
    #: Later waves planted in their own exploitation window, outside [start, end): wave -> the extra
    #: period of logs written around it (``make_plan(wave_days=N)``). Empty: every wave in [start, end).
    wave_periods: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)

    # ---- derived facts ------------------------------------------------------------------------
    @property
    def fqdn(self) -> str:
        return f"{self.hostname.lower()}.{self.domain}"

    @property
    def computer_account(self) -> str:
        return f"{self.netbios_domain}\\{self.hostname}$"

    @property
    def build_text(self) -> str:
        """``15.1.2176.2``"""
        return ".".join(str(p) for p in self.build)

    @property
    def version_header(self) -> str:
        """The ``#Version:`` value of Exchange logs, e.g. ``15.01.2176.002``."""
        a, b, c, d = self.build
        return f"{a}.{b:02d}.{c:04d}.{d:03d}"

    @property
    def owa_version_folder(self) -> str:
        """The versioned folder under owa\\auth, e.g. ``15.1.2176``."""
        return f"{self.build[0]}.{self.build[1]}.{self.build[2]}"

    @property
    def be_version_number(self) -> int:
        """The server version as packed in ``FEAuth=BEVersion-…`` and BackEndCookies (major<<22|minor<<16|0x8000|build, top bits 0x70000000)."""
        a, b, c, _ = self.build
        return 0x70000000 | (a << 22) | (b << 16) | 0x8000 | c

    @property
    def shell_path(self) -> str:
        return self.shells[0].path if self.shells else ""

    @property
    def shell_url(self) -> str:
        return self.shells[0].url if self.shells else ""

    @property
    def days(self) -> int:
        return max(1, (self.end - self.start).days)

    def periods(self) -> list[tuple[datetime, datetime]]:
        """Every logged period, in time order: the main one and each later wave's own."""
        return sorted([(self.start, self.end), *self.wave_periods.values()])

    def logged(self, t: datetime) -> bool:
        """Whether logs are written at ``t`` (planters drop what falls between periods)."""
        return any(a <= t < b for a, b in self.periods())

    def logged_ms(self, t_ms: int) -> bool:
        return any(a.timestamp() * 1000 <= t_ms < b.timestamp() * 1000 for a, b in self.periods())

    def to_dict(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            if isinstance(v, datetime):
                return v.isoformat().replace("+00:00", "Z")
            if isinstance(v, (set, frozenset)):
                return sorted(v)
            if isinstance(v, (list, tuple)):
                return [plain(x) for x in v]
            if isinstance(v, dict):
                return {k: plain(x) for k, x in v.items()}
            if isinstance(v, Shell):
                return {"path": v.path, "url": v.url, "written_by": v.written_by}
            return v

        names = [n for n in self.__dataclass_fields__ if n != "extras"]
        out = {n: plain(getattr(self, n)) for n in names}
        out.update(
            fqdn=self.fqdn,
            build_text=self.build_text,
            version_header=self.version_header,
            shell_path=self.shell_path,
            shell_url=self.shell_url,
            extras=plain(self.extras),
        )
        return out


def _guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def _public_ip(rng: random.Random) -> str:
    first = rng.choice(
        (31, 37, 46, 62, 77, 78, 80, 84, 85, 87, 89, 91, 94, 109, 176, 178, 185, 188, 193, 195, 212, 213, 217)
    )
    return f"{first}.{rng.randrange(1, 255)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"


def make_plan(
    scenario: str = "proxylogon",
    seed: int = 1,
    size: int = 50 * 1024**2,
    days: int = 21,
    end: datetime | None = None,
    hostname: str = "EXCH01",
    exchange_version: str = "2016",
    waves: set[str] | frozenset[str] | None = None,
    webshell_files: bool = True,
    events: bool = True,
    wave_days: int = 0,
) -> AttackPlan:
    """Draw every fact of a server from ``seed``: same arguments, same plan.

    ``wave_days`` > 0: each later wave (ProxyShell, ProxyToken, ProxyNotShell) whose exploitation
    window the main period misses is planted in that window instead, with ``wave_days`` days of logs
    written around it (so a 2021-03 log period does not hold a 2022 attack). 0: every wave is planted
    in the main period, wherever its window is (for tests of the coverage warnings)."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    if exchange_version not in BUILDS:
        raise ValueError(f"unknown Exchange version {exchange_version!r}; choose 2016 or 2019")
    if days < 1:
        raise ValueError("days must be at least 1")
    if wave_days and not MIN_WAVE_DAYS <= wave_days <= 366:
        raise ValueError(f"wave days must be between {MIN_WAVE_DAYS} and 366 (or 0)")
    components = SCENARIOS[scenario]
    if waves is None:
        waves = (
            ALL_WAVES
            if scenario == "full"
            else (frozenset(components & ALL_WAVES) or (frozenset({"proxylogon"}) if components else frozenset()))
        )
    unknown = set(waves) - ALL_WAVES
    if unknown:
        raise ValueError(
            f"unknown wave(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(ALL_WAVES))}"
        )
    rng = random.Random(f"{seed}:plan")
    end = (
        (end or datetime(2021, 3, 12, tzinfo=UTC))
        .astimezone(UTC)
        .replace(hour=0, minute=0, second=0, microsecond=0)
    )
    start = end - timedelta(days=days)
    host = hostname.upper()
    plan = AttackPlan(
        scenario=scenario,
        seed=seed,
        components=components,
        waves=frozenset(waves),
        hostname=host,
        domain="corp.contoso.local",
        netbios_domain="CORP",
        mail_domain="contoso.com",
        public_host="mail.contoso.com",
        server_ip=f"10.20.0.{rng.randrange(10, 60)}",
        install_path="C:\\Program Files\\Microsoft\\Exchange Server\\V15",
        exchange_version=exchange_version,
        build=BUILDS[exchange_version],
        start=start,
        end=end,
        size=size,
        webshell_files=webshell_files,
        events=events,
        ecp_canary="".join(
            rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(60)
        )
        + ".",
        oab_vdir_guid=_guid(rng),
    )
    plan.attempt_ips = [_public_ip(rng) for _ in range(4)]
    plan.scanner_ips = [_public_ip(rng) for _ in range(3)]
    ips = list(ATTACKER_IPS)
    rng.shuffle(ips)
    plan.attacker_ips = ips[:2]
    # The exploitation day sits ~60 % into the window (2021-03-03 for the default 21 days ending
    # 2021-03-12, the day of the helsecert incident), at the time of day that incident shows.
    attack_day = start + timedelta(days=min(days - 1, int(days * 0.6)))
    t0 = attack_day.replace(hour=6, minute=49, second=42, microsecond=162000)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    name1 = "".join(rng.choice(letters) for _ in range(rng.randrange(6, 11)))
    name2 = rng.choice(("errorEE", "supp0rt", "OutlookEN", "discover", "shel90", "healthcheck"))
    plan.shell_password = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(9))
    plan.shells = [
        Shell(
            f"C:\\inetpub\\wwwroot\\aspnet_client\\{name1}.aspx",
            f"/aspnet_client/{name1}.aspx",
            "CVE-2021-27065",
        ),
        Shell(
            f"{plan.install_path}\\FrontEnd\\HttpProxy\\owa\\auth\\{name2}.aspx",
            f"/owa/auth/{name2}.aspx",
            "CVE-2021-26858",
        ),
    ]
    if "proxylogon" in components:
        m = {
            "ssrf_autodiscover": t0,
            "ssrf_mapi": t0 + timedelta(seconds=2),
            "proxylogon_ecp": t0 + timedelta(seconds=4),
            "oab_get": t0 + timedelta(seconds=9),
            "oab_set_externalurl": t0 + timedelta(seconds=11),
            "oab_reset": t0 + timedelta(minutes=9, seconds=38),
            "webshell_written": t0 + timedelta(minutes=9, seconds=39),
            "oabgen_download_failed": t0 + timedelta(minutes=31, seconds=5),
            "webshell_first_use": t0 + timedelta(hours=2, minutes=16, seconds=45),
            "lsass_dump": t0 + timedelta(hours=2, minutes=24, seconds=3),
            "archive_staged": t0 + timedelta(hours=3, minutes=2, seconds=10),
        }
        plan.moments = m
        plan.attack_start = t0
        last_use = min(end - timedelta(minutes=1), t0 + timedelta(days=3, hours=5))
        m["webshell_last_use"] = max(last_use, m["webshell_first_use"])
        plan.attack_end = max(m.values())
    else:
        plan.shells = []
    if plan.attack_start is None and components:
        plan.attack_start = t0
        plan.attack_end = t0 + timedelta(hours=6)
    if wave_days:
        for wave, (first, window_end) in sorted(WAVE_PERIODS.items()):
            if wave not in plan.waves or (start < window_end and first < end):
                continue  # not planted, or the main period already reaches into its window
            plan.wave_periods[wave] = (first, first + timedelta(days=wave_days))
    return plan
