"""Fixtures: one farm of mock Exchange servers on 127.0.0.1 for the whole probe test session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mock_exchange import (
    MockFarm,
    Profile,
    drip_handler,
    forward_proxy,
    free_port,
    garbage_handler,
    hang_handler,
    huge_handler,
    make_cert,
    rewrite_abort_proxy,
    server_context,
    socks5_proxy,
)

#: Builds from remote-probe.md §5 (Learn table).
PLAIN_PROFILES = {
    # 2013 CU23 RTM, no X-OWA-Version (pre-Jul21SU servers lack it), manifest gives the full build.
    "ex2013-cu23": Profile("ex2013-cu23", nodes=[("EX13", "15.0.1497.2")]),
    # 2016 CU19 without SU: no header, ECP blocked -> OWA path only (CU only).
    "ex2016-cu19-cuonly": Profile("ex2016-cu19-cuonly", nodes=[("EX16", "15.1.2176.2")], exporttool=False),
    # 2016 CU23 Nov23SU with the header: fully patched for the three waves.
    "ex2016-cu23-patched": Profile(
        "ex2016-cu23-patched", nodes=[("EX16P", "15.1.2507.35")], owa_version_header=True, behaviour="patched"
    ),
    # 2019 CU11 Nov21SU with header: ProxyLogon/ProxyShell fixed, ProxyNotShell not.
    "ex2019-cu11": Profile(
        "ex2019-cu11", nodes=[("EX19A", "15.2.986.14")], owa_version_header=True, behaviour="patched"
    ),
    # 2019 CU12 path only: vulnerable unless Nov22SU for ProxyNotShell.
    "ex2019-cu12-cuonly": Profile(
        "ex2019-cu12-cuonly", nodes=[("EX19B", "15.2.1118.7")], exporttool=False, behaviour="patched"
    ),
    # Exchange 2010 SP3 RU32: full build in the OWA path and the header.
    "ex2010": Profile("ex2010", nodes=[("", "14.3.513.0")], owa_version_header=True),
    # Exchange 2010 SP3 RU30 without the header: the 4-part OWA path alone is the full build.
    "ex2010-noheader": Profile("ex2010-noheader", nodes=[("", "14.3.496.0")]),
    # Federated sign-in (ADFS) redirect instead of the logon page; manifest still answers.
    "ex2019-federated": Profile("ex2019-federated", nodes=[("EX19F", "15.2.792.3")], federated=True),
    # Two load-balanced nodes on different builds.
    "lb-pair": Profile(
        "lb-pair",
        nodes=[("EXLB01", "15.1.2507.35"), ("EXLB02", "15.1.2176.2")],
        owa_version_header=True,
        behaviour="patched",
    ),
    # CU only, and a front end that answers 200 for any /ecp/<build>/ folder (enumeration must refuse).
    "ecp-wildcard": Profile(
        "ecp-wildcard", nodes=[("EXW", "15.1.2176.2")], exporttool=False, ecp_wildcard=True
    ),
    "not-exchange": Profile("not-exchange", exchange=False),
    "slow": Profile(
        "slow", nodes=[("EXSLOW", "15.2.1118.40")], owa_version_header=True, delay=0.4, behaviour="patched"
    ),
}


@dataclass
class Farm:
    urls: dict[str, str] = field(default_factory=dict)
    tls_dir: Path | None = None
    proxy_seen: list[str] = field(default_factory=list)
    socks_seen: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> str:
        return self.urls[name]


@pytest.fixture(scope="session")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    mf = MockFarm()
    f = Farm()
    try:
        ports = mf.start_uvicorn(list(PLAIN_PROFILES.values()))
        for name, port in zip(PLAIN_PROFILES, ports, strict=True):
            f.urls[name] = f"http://127.0.0.1:{port}"
        # URL Rewrite-mitigated 2016 CU19 (EOMT + EOMTv2 rules) in front of a vulnerable backend.
        up = mf.start_uvicorn(
            [Profile("mitigated-backend", nodes=[("EX16M", "15.1.2176.2")], exporttool=False)]
        )[0]
        f.urls["mitigated"] = f"http://127.0.0.1:{mf.start_raw(rewrite_abort_proxy(up))}"
        f.urls["garbage"] = f"http://127.0.0.1:{mf.start_raw(garbage_handler)}"
        f.urls["drip"] = f"http://127.0.0.1:{mf.start_raw(drip_handler)}"
        f.urls["hang"] = f"http://127.0.0.1:{mf.start_raw(hang_handler)}"
        f.urls["huge"] = f"http://127.0.0.1:{mf.start_raw(huge_handler)}"
        f.urls["proxy"] = f"http://127.0.0.1:{mf.start_raw(forward_proxy(f.proxy_seen))}"
        f.urls["socks"] = f"socks5://127.0.0.1:{mf.start_raw(socks5_proxy(f.socks_seen))}"
        f.urls["refused"] = f"http://127.0.0.1:{free_port()}"
        tls_dir = tmp_path_factory.mktemp("tls")
        cert, key = make_cert(tls_dir)
        f.tls_dir = tls_dir
        tls_profiles = [
            Profile(
                "tls-selfsigned",
                nodes=[("EXTLS", "15.2.1118.40")],
                owa_version_header=True,
                behaviour="patched",
            ),
            Profile(
                "tls-vhost", nodes=[("EXVH", "15.1.2176.2")], exporttool=False, vhost="mail.example.test"
            ),
        ]
        tports = mf.start_uvicorn(tls_profiles, server_context(cert, key))
        f.urls["tls-selfsigned"] = f"https://127.0.0.1:{tports[0]}"
        f.urls["tls-vhost"] = f"127.0.0.1:{tports[1]}"  # bare IP:port: scheme guessed (https)
        legacy = mf.start_uvicorn(
            [Profile("tls-legacy", nodes=[("EX10TLS", "15.0.1497.2")])],
            server_context(cert, key, legacy_only=True),
        )[0]
        f.urls["tls-legacy"] = f"https://127.0.0.1:{legacy}"
        f.urls["tls-plain-http"] = f"127.0.0.1:{ports[list(PLAIN_PROFILES).index('ex2019-cu11')]}"
        yield f
    finally:
        mf.close()
