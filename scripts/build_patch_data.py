#!/usr/bin/env python3
"""Generate ``src/extriage/detections/builds/data/exchange_builds.json`` (the patch-status knowledge).

Inputs (facts only, each with its source):
- ``../shared/data/ExchangeBuildNumbers.csv`` (also in tests/data) — Microsoft's Get-ExchangeBuildNumber table (mirrors the
  MS Learn "build numbers and release dates" page), columns ``Product Name,Build Number,Date,KB,Blog``;
- ``scripts/patch_data/extra_builds.yml`` — pre-2021 SU builds from CSS-Exchange and righel that the CSV lacks,
  plus the two recorded CSS-Exchange/CSV discrepancies;
- ``scripts/patch_data/cves.yml`` — which update closes which CVE per product line;
- ``../shared/data/cisa-kev.csv`` (also in tests/data) — CISA Known Exploited Vulnerabilities: every Exchange Server CVE in it
  must be covered by ``cves.yml`` (the script fails otherwise) and is flagged ``known_exploited``.

Run: ``.venv/bin/python scripts/build_patch_data.py [--shared DIR]``. Deterministic output.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "extriage" / "detections" / "builds" / "data" / "exchange_builds.json"

_NAME_RE = re.compile(
    r"^Exchange (?P<product>2007|2010|2013|2016|2019|SE)"
    r"(?: (?P<cu>RTM|Preview|SP\d(?: RTM| RU\d+(?:v\d)?)?|RU\d+(?:v\d)?|CU\d+)(?: \([^)]*\))?)?"
    r"(?: (?P<su>[A-Z][a-z]{2}\d{2}(?:SU|HU)(?:v\d)?))?$"
)
#: End of support per product (Microsoft lifecycle; reference issue 5 "Why").
SUPPORT = {
    "Exchange 2007": "2017-04-11",
    "Exchange 2010": "2020-10-13",
    "Exchange 2013": "2023-04-11",
    "Exchange 2016": "2025-10-14",
    "Exchange 2019": "2025-10-14",
    "Exchange SE": None,
}


def norm_build(text: str) -> str:
    parts = [int(p) for p in text.strip().split(".")]
    if len(parts) != 4:
        raise SystemExit(f"bad build {text!r}")
    return ".".join(str(p) for p in parts)


def key(build: str) -> tuple[int, ...]:
    return tuple(int(p) for p in build.split("."))


def split_name(name: str) -> tuple[str, str, str | None]:
    m = _NAME_RE.match(name.strip())
    if not m:
        raise SystemExit(f"cannot split product name {name!r}")
    product = f"Exchange {m.group('product')}"
    cu = m.group("cu") or "RTM"
    if product in ("Exchange 2007", "Exchange 2010"):
        cu = cu.replace(" RTM", "")  # "SP3 RTM" -> "SP3"
    return product, cu, m.group("su")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--shared", default=str(Path(__file__).resolve().parents[1] / "tests" / "data"), help="folder with ExchangeBuildNumbers.csv and cisa-kev.csv"
    )
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    shared = Path(args.shared)
    csv_path, kev_path = shared / "ExchangeBuildNumbers.csv", shared / "cisa-kev.csv"
    extra_path, cves_path = HERE / "patch_data" / "extra_builds.yml", HERE / "patch_data" / "cves.yml"

    rows: dict[str, dict[str, Any]] = {}
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        for rec in csv.DictReader(fh):
            product, cu, su = split_name(rec["Product Name"])
            build = norm_build(rec["Build Number"])
            when = datetime.strptime(rec["Date"].strip(), "%m/%d/%Y").date().isoformat()
            name = rec["Product Name"].strip()
            if build in rows:
                raise SystemExit(f"duplicate build {build} in the CSV")
            rows[build] = {
                "name": name,
                "product": product,
                "cu": cu,
                "su": su,
                "build": build,
                "date": when,
                "kb": (rec["KB"] or "").strip(),
                "source": "ms-csv",
            }

    extra = yaml.safe_load(extra_path.read_text(encoding="utf-8"))
    for product, cu, su, build_text, when, kb, source in extra["builds"]:
        build = norm_build(str(build_text))
        if build in rows:
            # CSS encodes "Feb19SU" as the CU build itself: keep the CU row, remember the alias.
            rows[build].setdefault("aliases", []).append(su)
            continue
        rows[build] = {
            "name": f"{product} {cu} {su}",
            "product": product,
            "cu": cu,
            "su": su,
            "build": build,
            "date": when.isoformat() if isinstance(when, date) else str(when),
            "kb": kb,
            "source": source,
        }
    for d in extra["discrepancies"]:
        chosen = norm_build(d["chosen"])
        if chosen not in rows or rows[chosen]["name"] != d["row"]:
            raise SystemExit(f"discrepancy row {d['row']} not found at {chosen}")
        rows[chosen]["ambiguous_from"] = norm_build(d["other"])
        rows[chosen]["ambiguous_source"] = d["other_source"]

    kev: dict[str, dict[str, str]] = {}
    with kev_path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            if rec["vendorProject"].strip() == "Microsoft" and "exchange" in rec["product"].lower():
                kev[rec["cveID"].strip()] = {
                    "date_added": rec["dateAdded"].strip(),
                    "name": rec["vulnerabilityName"].strip(),
                }

    cve_data = yaml.safe_load(cves_path.read_text(encoding="utf-8"))["cves"]
    missing = sorted(set(kev) - set(cve_data))
    if missing:
        raise SystemExit(f"Exchange CVEs in KEV without a fix rule in cves.yml: {', '.join(missing)}")
    su_names = {(r["product"], s) for r in rows.values() for s in [r["su"], *r.get("aliases", [])] if s}
    cves: dict[str, Any] = {}
    for cve_id, spec in sorted(cve_data.items()):
        for product, rule in spec["fixes"].items():
            if "su" in rule and (product, rule["su"]) not in su_names:
                raise SystemExit(f"{cve_id}: no {rule['su']} rows for {product}")
            if "rollup" in rule and f"{product} {rule['rollup']}" not in {r["name"] for r in rows.values()}:
                raise SystemExit(f"{cve_id}: no rollup {rule['rollup']} for {product}")
        cves[cve_id] = {
            "title": spec["title"],
            "known_exploited": cve_id in kev,
            "kev_date_added": kev.get(cve_id, {}).get("date_added"),
            "fixes": spec["fixes"],
            "sources": spec["sources"],
        }

    ordered = sorted(rows.values(), key=lambda r: key(r["build"]))
    doc = {
        "generated_by": "scripts/build_patch_data.py",
        "inputs": {
            "ExchangeBuildNumbers.csv": {
                "sha256": sha256(csv_path),
                "source": "microsoft/Get-ExchangeBuildNumber",
            },
            "cisa-kev.csv": {
                "sha256": sha256(kev_path),
                "source": "CISA Known Exploited Vulnerabilities catalog",
            },
            "extra_builds.yml": {"sha256": sha256(extra_path), "sources": extra["sources"]},
            "cves.yml": {"sha256": sha256(cves_path)},
        },
        "data_through": max(r["date"] for r in ordered),
        "support_end": SUPPORT,
        "builds": ordered,
        "cves": cves,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(
        f"wrote {out}: {len(ordered)} builds, {len(cves)} CVEs ({sum(c['known_exploited'] for c in cves.values())} in KEV)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
