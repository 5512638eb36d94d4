"""A client-address field only yields an attacker IP when it holds an IP address."""

from __future__ import annotations

import pytest

from extriage.detections.loglines import client_ip


@pytest.mark.parametrize(
    ("raw", "ip"),
    [
        ("130.255.189.21", "130.255.189.21"),  # helsecert ProxyLogon line (logs-and-detections.md §1a)
        ("130.255.189.21:51234", "130.255.189.21"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("", ""),
        ("16AAAA" * 1000, ""),  # 1 MB of junk in the field must not become a story or an indicator
        ("not-an-ip", ""),
    ],
)
def test_client_ip(raw: str, ip: str) -> None:
    assert client_ip(raw) == ip
