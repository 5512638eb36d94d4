"""Derive the web-file package data from ../shared/data (run by hand; outputs are committed).

* ``exchange_baseline.bin.gz`` from ``exchange-web-baseline.csv.gz`` (microsoft/CSS-Exchange
  ``Security/src/Baselines/`` before 82c41d936, MIT): known-good SHA-256 per relative path for 131
  Exchange 2013/2016/2019 builds. Compact form, see ``extriage.detections.webfiles.baseline``.
* ``mstic_iocs.json`` from ``MSTIC-ProxyLogon-IOCs-March2021.csv`` (Azure/Azure-Sentinel
  ``Sample Data/Feeds/``, MIT, TLP:WHITE): the SHA-256s and file paths of Microsoft's feed.

Usage: ``.venv/bin/python scripts/build_webfiles_data.py [SHARED_DATA_DIR]``
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path

from extriage.detections.webfiles.baseline import MAGIC, normalise_relative

OUT = Path(__file__).resolve().parent.parent / "src/extriage/detections/webfiles/data"
#: The three DearCry hashes of the MSTIC feed (the feed itself does not say which is which family).
DEARCRY = {
    "e044d9f2d0f1260c3f4a543a1e67f33fcac265be114a1b135fd575b860d2b8c6",
    "2b9838da7edb0decd32b086e47a31e8f5733b5981ad8247a2f9508e232589bff",
    "feb3e6d30ba573ba23f3bd1291ca173b7879706d1fe039c34d53a4fdcdf33ede",
}


def build_baseline(src: Path) -> None:
    rows: dict[str, dict[bytes, set[str]]] = {}
    builds: set[str] = set()
    with gzip.open(src, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for rel, sha, blist in reader:
            path = normalise_relative(rel)
            bset = set(b for b in blist.split(";") if b)
            builds |= bset
            prefix = bytes.fromhex(sha)[:8]
            rows.setdefault(path, {}).setdefault(prefix, set()).update(bset)
    build_list = sorted(builds, key=lambda b: tuple(int(x) for x in b.split(".")))
    bidx = {b: i for i, b in enumerate(build_list)}
    bsets: dict[tuple[int, ...], int] = {}
    paths = sorted(rows)
    counts: list[int] = []
    blob = io.BytesIO()
    for path in paths:
        entries = sorted(rows[path].items())
        counts.append(len(entries))
        for prefix, bset in entries:
            key = tuple(sorted(bidx[b] for b in bset))
            idx = bsets.setdefault(key, len(bsets))
            blob.write(prefix + idx.to_bytes(2, "little"))
    header = {
        "source": "microsoft/CSS-Exchange Security/src/Baselines (history before 82c41d936), MIT",
        "hash_prefix_bytes": 8,
        "builds": build_list,
        "build_sets": [list(k) for k in bsets],
        "paths": paths,
        "counts": counts,
    }
    head = json.dumps(header, separators=(",", ":")).encode()
    with (
        (OUT / "exchange_baseline.bin.gz").open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out,
    ):
        out.write(MAGIC + len(head).to_bytes(4, "little") + head + blob.getvalue())
    print(
        f"baseline: {len(paths)} paths, {sum(counts)} path/hash pairs, {len(bsets)} build sets, {len(build_list)} builds"
    )


def build_mstic(src: Path) -> None:
    hashes: dict[str, dict[str, str]] = {}
    paths: list[str] = []
    with src.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            value = row["Indicator"].strip()
            if row["IndicatorType"] == "sha256":
                family = "DearCry ransomware" if value.lower() in DEARCRY else "ProxyLogon web shell"
                hashes[value.lower()] = {
                    "family": family,
                    "date_added": row["DateAdded"],
                    "first_seen": row["FirstSeen"],
                }
            elif row["IndicatorType"] == "filepath" and value not in paths:
                paths.append(value)
    data = {
        "source": "MSTIC IOC feed 'Exchange Server vulnerabilities disclosed March 2021' "
        "(Azure/Azure-Sentinel Sample Data/Feeds, MIT, TLP:WHITE)",
        "reference": "https://github.com/Azure/Azure-Sentinel/tree/master/Sample%20Data/Feeds",
        "sha256": dict(sorted(hashes.items())),
        "paths": sorted(paths, key=str.lower),
    }
    (OUT / "mstic_iocs.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"mstic: {len(hashes)} hashes, {len(paths)} paths")


if __name__ == "__main__":
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data"
    build_baseline(shared / "exchange-web-baseline.csv.gz")
    build_mstic(shared / "MSTIC-ProxyLogon-IOCs-March2021.csv")
