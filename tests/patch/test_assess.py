"""Table-driven assessment tests: every threshold from at least two independent sources, every boundary.

Sources: (1) Microsoft's ExchangeBuildNumbers.csv (read here directly from the shared data, not from our
generated table); (2) the thresholds quoted from the retired CSS-Exchange nmap script and from the CVE
records' versionEndExcluding fields (reference microsoft-tools.md §3.3, §6; remote-probe.md §5.3).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from extriage.detections.builds import Assessment, assess, parse_build, waves

PROXYLOGON = ["CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"]
PROXYSHELL_APR = ["CVE-2021-34473", "CVE-2021-34523"]
PROXYSHELL = [*PROXYSHELL_APR, "CVE-2021-31207"]
PROXYNOTSHELL = ["CVE-2022-41040", "CVE-2022-41082"]


def status(a: Assessment, cve: str) -> str:
    for c in a.cves:
        if c.id == cve:
            return c.status
    return "not-applicable" if cve in a.not_applicable else "missing"


def fixed_by(a: Assessment, cve: str) -> tuple[str, str] | None:
    for c in a.cves:
        if c.id == cve and c.fixed_by is not None:
            return (c.fixed_by.kb, c.fixed_by.build)
    return None


def below(build: str) -> str:
    b = parse_build(build)
    assert b.revision is not None and b.revision > 0
    return f"{b.major}.{b.minor}.{b.build}.{b.revision - 1}"


# --- source 2: the retired nmap script's thresholds ("< value" is vulnerable) --------------------------
NMAP_THRESHOLDS = ["15.00.1497.012", "15.01.2106.013", "15.01.2176.009", "15.02.0721.013", "15.02.0792.010"]


@pytest.mark.parametrize("threshold", NMAP_THRESHOLDS)
def test_proxylogon_nmap_thresholds(threshold: str) -> None:
    at = assess(parse_build(threshold))
    under = assess(parse_build(below(threshold)))
    for cve in PROXYLOGON:
        assert status(at, cve) == "fixed"
        assert status(under, cve) == "vulnerable"
        assert fixed_by(under, cve) == ("KB5000871", str(parse_build(threshold)))


# --- source 1: every Mar21SU row of Microsoft's CSV --------------------------------------------------
def csv_rows(test_data: Path, suffix: str) -> list[tuple[str, str, str]]:
    with (test_data / "ExchangeBuildNumbers.csv").open(encoding="utf-8-sig", newline="") as fh:
        return [
            (r["Product Name"], r["Build Number"], r["KB"])
            for r in csv.DictReader(fh)
            if r["Product Name"].endswith(suffix)
        ]


def test_every_mar21su_row_of_the_microsoft_csv(test_data: Path) -> None:
    rows = csv_rows(test_data, "Mar21SU")
    assert len(rows) >= 25  # 2013 SP1/CU21-23, 2016 CU8-19, 2019 RTM-CU8
    ambiguous = {"15.1.1415.10": "15.1.1415.8", "15.1.1466.16": "15.1.1466.13"}
    for name, build_text, kb in rows:
        build = str(parse_build(build_text))
        at = assess(parse_build(build))
        assert at.su == "Mar21SU", name
        assert status(at, "CVE-2021-26855") == "fixed", name
        one_below = assess(parse_build(below(build)))
        expected = (
            "unknown"
            if build in ambiguous and parse_build(below(build)) >= parse_build(ambiguous[build])
            else "vulnerable"
        )
        assert status(one_below, "CVE-2021-26855") == expected, name
        assert fixed_by(one_below, "CVE-2021-26855") == (kb, build), name


@pytest.mark.parametrize(
    ("suffix", "cves", "kb"),
    [
        ("Apr21SU", PROXYSHELL_APR, "KB5001779"),
        ("May21SU", ["CVE-2021-31207"], "KB5003435"),
        ("Nov22SU", PROXYNOTSHELL, "KB5019758"),
    ],
)
def test_proxyshell_and_proxynotshell_rows_of_the_microsoft_csv(
    test_data: Path, suffix: str, cves: list[str], kb: str
) -> None:
    rows = csv_rows(test_data, suffix)
    assert rows
    for name, build_text, row_kb in rows:
        assert row_kb == kb, name
        build = str(parse_build(build_text))
        for cve in cves:
            assert status(assess(parse_build(build)), cve) == "fixed", name
            assert status(assess(parse_build(below(build))), cve) == "vulnerable", name


# --- source 2: CVE records (versionEndExcluding) quoted in the reference ----------------------------
CVE_RECORD_THRESHOLDS = [
    (
        PROXYSHELL_APR,
        ["15.0.1497.15", "15.1.2176.12", "15.1.2242.8", "15.2.792.13", "15.2.858.10"],
        "KB5001779",
    ),
    (
        ["CVE-2021-31207"],
        ["15.0.1497.18", "15.1.2176.14", "15.1.2242.10", "15.2.792.15", "15.2.858.12"],
        "KB5003435",
    ),
    (
        PROXYNOTSHELL,
        ["15.0.1497.44", "15.1.2375.37", "15.1.2507.16", "15.2.986.36", "15.2.1118.20"],
        "KB5019758",
    ),
]


@pytest.mark.parametrize(("cves", "thresholds", "kb"), CVE_RECORD_THRESHOLDS)
def test_cve_record_thresholds(cves: list[str], thresholds: list[str], kb: str) -> None:
    for t in thresholds:
        at, under = assess(parse_build(t)), assess(parse_build(below(t)))
        for cve in cves:
            assert status(at, cve) == "fixed", t
            assert status(under, cve) == "vulnerable", t
            assert fixed_by(under, cve) == (kb, t)


@pytest.mark.parametrize(
    ("first_cu", "cves"),
    [
        ("15.1.2242.4", PROXYLOGON),  # E16 CU20 includes Mar21
        ("15.2.858.5", PROXYLOGON),  # E19 CU9
        ("15.1.2308.8", PROXYSHELL),  # E16 CU21 includes Apr/May21
        ("15.2.922.7", PROXYSHELL),  # E19 CU10
        ("15.2.1258.12", PROXYNOTSHELL),  # E19 CU13 includes Nov22
    ],
)
def test_first_cu_that_includes_the_fix(first_cu: str, cves: list[str]) -> None:
    a = assess(parse_build(first_cu))
    for cve in cves:
        assert status(a, cve) == "fixed", (first_cu, cve)
    cu_only = assess(parse_build(first_cu.rsplit(".", 1)[0]))
    for cve in cves:
        assert status(cu_only, cve) == "fixed", (first_cu, cve)


def test_older_cus_without_su_are_vulnerable_and_say_update_cu_first() -> None:
    for build in ("15.1.1261.35", "15.0.1367.3"):  # E16 CU7, E13 CU20: no Mar21SU exists
        a = assess(parse_build(build))
        assert status(a, "CVE-2021-26855") == "vulnerable"
        assert any("first" in r for r in a.recommendation)
    a = assess(parse_build("15.1.2106.13"))  # E16 CU18 Mar21SU: no Apr21SU for CU18 -> ProxyShell open
    assert status(a, "CVE-2021-34473") == "vulnerable"
    assert "move to" in next(c.note for c in a.cves if c.id == "CVE-2021-34473")


# --- the "Done when" examples -------------------------------------------------------------------------
def test_done_when_examples() -> None:
    a = assess(parse_build("15.1.2176.2"))
    assert all(status(a, c) == "vulnerable" for c in PROXYLOGON + PROXYSHELL)
    assert fixed_by(a, "CVE-2021-26855") == ("KB5000871", "15.1.2176.9")
    assert fixed_by(a, "CVE-2021-34473") == ("KB5001779", "15.1.2176.12")
    assert fixed_by(a, "CVE-2021-31207") == ("KB5003435", "15.1.2176.14")
    assert a.newest_update is not None and a.newest_update.kb == "KB5003435"
    b = assess(parse_build("15.1.2176.9"))
    assert all(status(b, c) == "fixed" for c in PROXYLOGON)
    assert all(status(b, c) == "vulnerable" for c in PROXYSHELL)
    assert all(status(assess(parse_build("15.2.858.5")), c) == "fixed" for c in PROXYLOGON)
    assert all(status(assess(parse_build("15.0.1497.44")), c) == "fixed" for c in PROXYNOTSHELL)


def test_cu_only_build_is_vulnerable_unless_su() -> None:
    a = assess(parse_build("15.1.2176"))
    assert a.kind == "cu-only" and not a.exact_match and a.su is None
    for cve in PROXYLOGON:
        assert status(a, cve) == "vulnerable-unless-su"
        assert fixed_by(a, cve) == ("KB5000871", "15.1.2176.9")
    assert status(a, "CVE-2022-41040") == "vulnerable"  # no Nov22SU for CU19 at all
    admin = assess(parse_build("Version 15.2 (Build 858.5)"))  # AdminDisplayVersion: CU level
    assert status(admin, "CVE-2021-26855") == "fixed"  # CU9 includes Mar21
    assert status(admin, "CVE-2021-34473") == "vulnerable-unless-su"
    assert fixed_by(admin, "CVE-2021-34473") == ("KB5001779", "15.2.858.10")


def test_exchange_2010() -> None:
    a = assess(parse_build("14.3.509.0"))  # SP3 RU31
    assert a.product == "Exchange 2010" and a.cu == "SP3 RU31"
    assert status(a, "CVE-2021-26857") == "vulnerable"
    assert fixed_by(a, "CVE-2021-26857") == ("KB5000978", "14.3.513.0")
    for cve in ["CVE-2021-26855", "CVE-2021-26858", "CVE-2021-27065", *PROXYSHELL, *PROXYNOTSHELL]:
        assert status(a, cve) == "not-applicable"
    assert status(a, "CVE-2020-17144") == "fixed"
    b = assess(parse_build("14.3.513.0"))
    assert status(b, "CVE-2021-26857") == "fixed" and b.support.startswith("out of support")
    assert status(assess(parse_build("14.03.0496.000")), "CVE-2020-17144") == "vulnerable"


def test_exchange_se() -> None:
    a = assess(parse_build("15.2.2562.17"))
    assert a.product == "Exchange SE" and a.support == "supported"
    for cve in PROXYLOGON + PROXYSHELL + PROXYNOTSHELL + ["CVE-2024-21410"]:
        assert status(a, cve) == "fixed"
    assert a.newest_update is not None and parse_build(a.newest_update.build) > parse_build("15.2.2562.17")
    assert assess(parse_build("15.2.1748.10")).product == "Exchange 2019"


def test_support_status() -> None:
    esu = "out of support since 2025-10-14; later updates are paid Extended Security Updates (ESU)"
    assert assess(parse_build("15.0.1497.48")).support == "out of support since 2023-04-11"
    assert assess(parse_build("15.1.2507.66")).support == esu
    assert assess(parse_build("15.2.1748.49")).support == esu


def test_out_of_support_never_contradicted_by_a_later_update() -> None:
    """Issue 13: "out of support … no further security updates" followed by a 2026 SU. The table has
    updates released after 2025-10-14 for 2016/2019 (ESU): every recommendation naming one says so,
    and "no further security updates" is said only where none exists."""
    e16 = assess(parse_build("15.1.2507.6"))  # 2016 CU23 without SUs
    recs = " ".join(e16.recommendation)
    assert e16.newest_update is not None and e16.newest_update.date > "2025-10-14"
    assert "no further security updates" not in recs
    newest = next(r for r in e16.recommendation if r.startswith("The newest update for CU23"))
    assert "Extended Security Update" in newest and "KB5066369" in newest  # Oct25SU: the newest public one
    assert "paid ESU programme" in e16.recommendation[-1]
    e13 = assess(parse_build("15.0.1497.2"))  # 2013: nothing after its end of support
    assert "no further security updates" in e13.recommendation[-1]
    assert not any("Extended Security" in r for r in e13.recommendation)
    fixed_2022 = assess(parse_build("15.1.2176.2")).recommendation[0]  # Nov22SU: before the end of support
    assert "Extended Security" not in fixed_2022


def test_css_exchange_discrepancy_is_never_fixed() -> None:
    for build in ("15.1.1415.8", "15.1.1415.9", "15.1.1466.13", "15.1.1466.15"):
        a = assess(parse_build(build))
        assert status(a, "CVE-2021-26855") == "unknown", build
    assert status(assess(parse_build("15.1.1415.7")), "CVE-2021-26855") == "vulnerable"


def test_between_and_future_builds() -> None:
    a = assess(parse_build("15.1.2200.1"))  # between E16 CU19 and CU20
    assert a.kind == "between-cus" and "CU19" in a.nearest
    assert status(a, "CVE-2021-26855") == "unknown"  # never a silent "fixed"
    assert status(a, "CVE-2022-41040") == "vulnerable"  # below every Nov22SU build
    b = assess(parse_build("15.1.2176.10"))  # between two CU19 SUs
    assert b.kind == "between" and not b.exact_match and status(b, "CVE-2021-26855") == "fixed"
    future = assess(parse_build("15.2.9000.1"))
    assert not future.assessable and all(c.status == "unknown" for c in future.cves)
    assert "newer than every" in future.notes[0]
    newer_su = assess(parse_build("15.2.2562.99"))
    assert newer_su.assessable and newer_su.kind == "newer-su"


def test_healthchecker_float_pitfall() -> None:
    a = assess(parse_build("15.1.2375.18"))
    assert a.cu == "CU22" and a.su == "Jan22SU"


def test_recommendation_names_minimal_path() -> None:
    a = assess(parse_build("15.1.2176.2"))
    assert any(r.startswith("Move to CU22 first") and "KB5019758" in r for r in a.recommendation)
    same_cu = assess(parse_build("15.1.2507.9"))  # E16 CU23 May22SU: Nov22SU exists for CU23
    assert any(r.startswith("Install KB5019758") for r in same_cu.recommendation)
    assert any("newest update for CU23" in r for r in same_cu.recommendation)


def test_every_exchange_cve_in_kev_is_covered(test_data: Path) -> None:
    with (test_data / "cisa-kev.csv").open(encoding="utf-8", newline="") as fh:
        kev = {
            r["cveID"]
            for r in csv.DictReader(fh)
            if r["vendorProject"] == "Microsoft" and "exchange" in r["product"].lower()
        }
    assert len(kev) >= 15
    WAVES = waves()
    tracked = {c for ids in WAVES.values() for c in ids}
    assert kev <= tracked
    a = assess(parse_build("15.1.2176.2"))
    for c in a.cves:
        assert c.known_exploited == (c.id in kev)
    assert set(WAVES["proxylogon"]) == set(PROXYLOGON)
    assert set(WAVES["proxyshell"]) == set(PROXYSHELL)
    assert set(WAVES["proxynotshell"]) == set(PROXYNOTSHELL)


def test_to_dict_shape() -> None:
    d = assess(parse_build("15.1.2176.9")).to_dict()
    for key in ("build", "product", "cu", "su", "support", "cves"):
        assert key in d
    cve = next(c for c in d["cves"] if c["id"] == "CVE-2021-34473")
    assert cve["status"] == "vulnerable" and cve["known_exploited"] is True
    assert cve["fixed_by"] == {
        "kb": "KB5001779",
        "build": "15.1.2176.12",
        "name": "Exchange 2016 CU19 Apr21SU",
        "date": "2021-04-13",
    }


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from extriage.detections.builds import Build  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([8, 14, 15]),
    st.integers(0, 4),
    st.integers(0, 4000),
    st.one_of(st.none(), st.integers(0, 100)),
)
def test_any_build_is_assessed_without_crash_and_never_silently_fixed(
    major: int, minor: int, build: int, rev: int | None
) -> None:
    a = assess(Build(major, minor, build, rev))
    statuses = {c.status for c in a.cves}
    assert statuses <= {"vulnerable", "fixed", "vulnerable-unless-su", "unknown"}
    if not a.assessable:
        assert statuses == {"unknown"} and a.notes
    if a.kind == "cu-only":
        # a CU-only build is "fixed" only when the CU itself carries the fix
        for c in a.cves:
            if c.status == "fixed" and c.fixed_by is not None:
                assert parse_build(c.fixed_by.build) <= Build(major, minor, build, 10**6)
    a.to_dict()


def test_exchange_2010_admin_display_version_does_not_show_rollups() -> None:
    a = assess(parse_build("Version 14.3 (Build 123.4)"))  # SP3; the rollup is not visible
    assert a.product == "Exchange 2010"
    assert status(a, "CVE-2021-26857") == "vulnerable-unless-su"
    assert fixed_by(a, "CVE-2021-26857") == ("KB5000978", "14.3.513.0")


def test_other_product_versions_cannot_be_assessed() -> None:
    a = assess(parse_build("15.3.100.1"))
    assert not a.assessable and "not a known Exchange Server version" in a.notes[0]
    b = assess(parse_build("15.2.858.2"))  # CU9 OwaVersion as some servers report it (CSS-Exchange #396)
    assert b.cu == "CU9" and b.kind == "between" and any("below" in n for n in b.notes)


def test_older_cu_march_2021_su_fixed_proxylogon_only() -> None:
    for build in ("15.0.847.64", "15.1.1913.12", "15.2.221.18"):  # 2013 SP1, 2016 CU15, 2019 RTM Mar21SU
        a = assess(parse_build(build))
        assert a.su == "Mar21SU", build
        assert all(status(a, c) == "fixed" for c in PROXYLOGON), build
        assert all(status(a, c) == "vulnerable" for c in PROXYSHELL + PROXYNOTSHELL), build
        assert any("ProxyLogon only" in n for n in a.notes), build
    assert not any("ProxyLogon only" in n for n in assess(parse_build("15.1.2176.9")).notes)
