from __future__ import annotations

from pathlib import Path

import pytest

from extriage.probe.targets import TargetError, parse_targets, read_targets_file


def test_forms() -> None:
    ts = parse_targets(
        ["mail.example.com", "10.0.0.5:8443", "http://owa.example.com:8080/owa", "[::1]:444", "host:80"]
    )
    assert [(t.scheme, t.host, t.port) for t in ts] == [
        ("https", "mail.example.com", 443),
        ("https", "10.0.0.5", 8443),
        ("http", "owa.example.com", 8080),
        ("https", "::1", 444),
        ("http", "host", 80),
    ]
    assert all(t.error is None for t in ts)
    assert ts[3].base_url == "https://[::1]:444"
    assert ts[0].base_url == "https://mail.example.com"
    assert ts[0].scheme_guessed and not ts[2].scheme_guessed


def test_cidr_expansion_and_cap() -> None:
    ts = parse_targets(["192.0.2.0/30"])
    assert [t.host for t in ts] == ["192.0.2.1", "192.0.2.2"]
    assert len(parse_targets(["192.0.2.7/32"])) == 1
    big = parse_targets(["10.0.0.0/8"], max_targets=1024)
    assert len(big) == 1 and big[0].error and "cap of 1024" in big[0].error
    capped = parse_targets(["192.0.2.0/29", "a.example", "b.example", "c.example"], max_targets=8)
    assert len(capped) == 9 and capped[-1].error and "cap of 8 reached" in capped[-1].error
    assert [t.error for t in capped[:8]] == [None] * 8


@pytest.mark.parametrize(
    "bad", ["bad host!", "ftp://x.example", "host:99999", "host:abc", "300.1.1.1/33", "-x-.example..com", "300.1.1.1", "10.0.0.256:443"]
)
def test_invalid_targets_become_errors(bad: str) -> None:
    ts = parse_targets([bad])
    assert len(ts) == 1 and ts[0].error, bad
    assert ts[0].text == bad


def test_dedup_and_file(tmp_path: Path) -> None:
    f = tmp_path / "t.txt"
    f.write_text("# servers\nmail.example.com\nmail.example.com  # again\n\n10.1.1.1, 10.1.1.2\n")
    entries = read_targets_file(str(f))
    assert [t.host for t in parse_targets(entries)] == ["mail.example.com", "10.1.1.1", "10.1.1.2"]
    with pytest.raises(TargetError):
        read_targets_file(str(tmp_path / "missing.txt"))


@pytest.mark.parametrize("data", [b"mail.example.com\n\x00\x01\x02\n", b"\xff\xfe m\x00a\x00i\x00l\x00"])
def test_binary_targets_file_is_refused_by_name(tmp_path: Path, data: bytes) -> None:
    f = tmp_path / "targets.bin"
    f.write_bytes(data)
    with pytest.raises(TargetError, match=r"targets\.bin is not a UTF-8 text file"):
        read_targets_file(str(f))
