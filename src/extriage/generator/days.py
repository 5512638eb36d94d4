"""Write one day of Exchange and IIS logs: the unit of work (and of parallelism) of the generator.

Each day is drawn from its own RNG (seed + date), so days can be written in any order by any
process and the bytes stay the same. Volume follows a byte budget spread over the hours with a
business-day profile; health probes run every hour whatever the traffic.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from extriage.generator import httpproxy, iis
from extriage.generator.benign import Traffic, make_users
from extriage.generator.plan import AttackPlan
from extriage.generator.request import Req
from extriage.generator.scenario import Planted, build
from extriage.generator.tree import Tree

#: Share of a weekday's traffic per UTC hour (a European office: busy 07-16 UTC).
HOUR_PROFILE = (
    1,
    1,
    1,
    1,
    1,
    2,
    4,
    8,
    10,
    10,
    10,
    9,
    8,
    9,
    10,
    9,
    8,
    6,
    4,
    3,
    3,
    2,
    2,
    1,
)
WEEKEND = 0.3
#: An hour with more log bytes than this is rendered in several time windows (bounded memory).
WINDOW_BYTES = 8 * 1024 * 1024
#: A probe round spans ~2.7 s; rounds start early enough to end inside their window.
PROBE_SPAN = 3_000
#: Files written per day, as a whole, get their last write time at the end of their period.


class DayWriter:
    """Holds what every day needs (users, planted events, renderers); one per process."""

    def __init__(self, plan: AttackPlan) -> None:
        self.plan = plan
        self.traffic = Traffic(plan, make_users(plan))
        self.planted: Planted = build(plan)
        self.proxy = httpproxy.HttpProxyRenderer(plan)
        self.iis = iis.IisRenderer(plan)
        self.logging = f"{plan.install_path}\\Logging"
        days = plan.days
        weights = [
            sum(HOUR_PROFILE) * (WEEKEND if (plan.start + timedelta(days=d)).weekday() >= 5 else 1.0)
            for d in range(days)
        ]
        total = sum(weights)
        self.day_budget = [plan.size * w / total for w in weights]
        # the one day whose front-end IIS log changes its #Fields mid-file (an admin added fields)
        self.fields_change_day = min(days - 1, 2)

    def write_day(self, tree: Tree, d: int) -> int:
        """Write day ``d`` (0-based from plan.start); return the bytes written."""
        plan = self.plan
        day = plan.start + timedelta(days=d)
        rng = random.Random(f"{plan.seed}:day:{day:%Y%m%d}")
        day_ms = int(day.timestamp() * 1000)
        budget = self.day_budget[d]
        hour_total = sum(HOUR_PROFILE)
        written = 0
        planted = [r for r in self.planted.requests if day_ms <= r.t < day_ms + 86_400_000]
        fe_path = iis.file_path(1, day)
        be_path = iis.file_path(2, day)
        fe_real = tree.real_path(fe_path)
        be_real = tree.real_path(be_path)
        fe_real.parent.mkdir(parents=True, exist_ok=True)
        be_real.parent.mkdir(parents=True, exist_ok=True)
        extended = False
        with fe_real.open("wb") as fe, be_real.open("wb") as be:
            fe_started = be_started = False
            for h in range(24):
                hour = day + timedelta(hours=h)
                h_ms = day_ms + h * 3_600_000
                hb = budget * HOUR_PROFILE[h] / hour_total
                hb = max(hb * 0.2, hb - 9 * 1450)  # each protocol's hourly file starts with ~1.4 KB of header
                # big hours are rendered in time windows so memory stays bounded whatever --size is
                windows = max(1, min(60, int(hb // WINDOW_BYTES)))
                w_len = 3_600_000 // windows
                proxy_files = _ProxyHour(self, tree, hour, d * 24 + h)
                prefix_iso, prefix_iis = hour.strftime("%Y-%m-%dT%H:"), hour.strftime("%Y-%m-%d %H:")
                for w in range(windows):
                    w_ms = h_ms + w * w_len
                    mine = [r for r in planted if w_ms <= r.t < w_ms + w_len]
                    rendered = self._window_lines(
                        rng, h_ms, w_ms, w_len, hb / windows, prefix_iso, prefix_iis, mine
                    )
                    if not rendered:
                        continue
                    rendered.sort(key=lambda x: x[0])
                    per_proto: dict[str, list[str]] = {}
                    fe_lines: list[str] = []
                    be_lines: list[str] = []
                    if d == self.fields_change_day and h == 13 and w == 0 and fe_started:
                        extended = True
                        fe_lines.append(iis.header(hour, iis.FIELDS_EXTENDED).rstrip("\r\n"))
                    for _t, proto, pline, fline, bline, req in rendered:
                        if pline:
                            per_proto.setdefault(proto, []).append(pline)
                        if fline:
                            fe_lines.append(
                                self.iis.front(req, _iis_time(req.t), True) if extended else fline
                            )
                        if bline:
                            be_lines.append(bline)
                    del rendered
                    if fe_lines:
                        if not fe_started:
                            fe.write(iis.header(hour).encode())
                            fe_started = True
                        data = ("\r\n".join(fe_lines) + "\r\n").encode("utf-8")
                        fe.write(data)
                        written += len(data)
                    if be_lines:
                        if not be_started:
                            be.write(iis.header(hour).encode())
                            be_started = True
                        data = ("\r\n".join(be_lines) + "\r\n").encode("utf-8")
                        be.write(data)
                        written += len(data)
                    for proto, lines in per_proto.items():
                        written += proxy_files.add(proto, lines)
                proxy_files.close()
        for path, real, started in ((fe_path, fe_real, fe_started), (be_path, be_real, be_started)):
            if not started:
                real.unlink()
            else:
                tree.set_mtime(path, day + timedelta(hours=23, minutes=59, seconds=59))
        written += self._write_ecp(tree, rng, day, day_ms)
        written += self._write_oab(tree, rng, day, day_ms)
        return written

    def _render(
        self, r: Req, h_ms: int, prefix_iso: str, prefix_iis: str
    ) -> tuple[int, str, str, str, str, Req]:
        off = r.t - h_ms
        mm, rem = divmod(off, 60_000)
        ss, mss = divmod(rem, 1000)
        pline = fline = bline = ""
        if r.in_proxy:
            ts = f"{prefix_iso}{mm:02d}:{ss:02d}.{mss:03d}Z"
            b = off - r.latency if r.latency < off else 0
            bm, brem = divmod(b, 60_000)
            bs, bms = divmod(brem, 1000)
            pline = self.proxy.line(r, ts, f"{prefix_iso}{bm:02d}:{bs:02d}.{bms:03d}Z")
        dt = f"{prefix_iis}{mm:02d}:{ss:02d}"
        if r.in_fe:
            fline = self.iis.front(r, dt)
        if r.in_be and (r.be_status is not None or not r.in_fe):
            bline = self.iis.back(r, dt)
        return (r.t, r.protocol, pline, fline, bline, r)

    def _window_lines(
        self,
        rng: random.Random,
        h_ms: int,
        w_ms: int,
        w_len: int,
        budget: float,
        prefix_iso: str,
        prefix_iis: str,
        planted: list[Req],
    ) -> list[tuple[int, str, str, str, str, Req]]:
        """Planted requests, health probes every few minutes (as the budget allows), then user
        traffic until the window's byte budget is spent. Times fall inside the window."""
        render = self._render
        out = [render(r, h_ms, prefix_iso, prefix_iis) for r in planted]
        spent = 0
        share = min(12.0 * w_len / 3_600_000, budget * 0.25 / 12_000)  # a probe round is ~12 KB of lines
        rounds = int(share) + (1 if rng.random() < share - int(share) else 0)
        room = max(1, w_len - PROBE_SPAN)
        step = room // max(1, rounds)
        for i in range(rounds):
            start = w_ms + i * step + rng.randrange(0, max(1, min(20_000, step)))
            for r in self.traffic.probes(min(start, w_ms + room - 1), rng):
                x = render(r, h_ms, prefix_iso, prefix_iis)
                out.append(x)
                spent += len(x[2]) + len(x[3]) + len(x[4]) + 6
        user_req = self.traffic.user_request
        rnd = rng.randrange
        while spent < budget:
            x = render(user_req(w_ms + rnd(0, w_len), rng), h_ms, prefix_iso, prefix_iis)
            out.append(x)
            spent += len(x[2]) + len(x[3]) + len(x[4]) + 6
        return out

    def _write_ecp(self, tree: Tree, rng: random.Random, day: datetime, day_ms: int) -> int:
        plan = self.plan
        events = [e for e in self.planted.ecp if day_ms <= e[0] < day_ms + 86_400_000]
        hm = self.traffic.health[0]
        density = min(1.0, self.day_budget[(day - plan.start).days] / (2 * 1024 * 1024))
        for h in range(24):
            for k in range(2):
                if rng.random() > density:
                    continue
                t = day_ms + h * 3_600_000 + k * 1_800_000 + rng.randrange(0, 60_000)
                url = f"https://localhost:444/ecp/RulesEditor/InboxRules.svc/GetList?msExchEcpCanary={plan.ecp_canary[:40]}"
                bag = (
                    f"S:PSA=<PII>{hm}@{plan.mail_domain}</PII>;S:URL={url};S:Bld={plan.build_text};"
                    f"S:ActID={Traffic.rid(rng)};Dbl:BudgUse.T[]={rng.random() * 20:.10f};I32:ADS.C[DC01]=1"
                )
                events.append((t, f"Request,{bag}"))
            if HOUR_PROFILE[h] >= 8 and rng.random() < 0.3 * density:
                t = day_ms + h * 3_600_000 + rng.randrange(0, 3_600_000)
                cmd = rng.choice(
                    ("Get-InboxRule", "Get-Mailbox", "Get-MailboxStatistics", "Get-DistributionGroup")
                )
                bag = (
                    f"S:TIME={rng.randrange(5, 300)};S:SID=S-1-5-21-1-2-3-1104;S:CMD={cmd};S:REQID=;"
                    f"S:URL=/ecp/DDI/DDIService.svc/GetList?msExchEcpCanary={plan.ecp_canary[:40]};S:REFERRER=;S:EX=;"
                    f"S:ACTID={Traffic.rid(rng)};S:RS=0;S:BLD={plan.build_text};S:TNAME=<null>;S:TID=;S:USID=;S:EDOID=;S:ACID="
                )
                events.append((t, f"ECP.Request,{bag}"))
        if not events:
            return 0
        events.sort()
        lines = [f"{_iso(t)},{plan.hostname},{rest}" for t, rest in events]
        text = (
            f"#Software: Microsoft Exchange Server\r\n#Version: {plan.version_header}\r\n#Log-type: ECP Server Log\r\n"
            f"#Date: {_iso(events[0][0])}\r\n#Fields: TimeStamp,ServerName,EventId,EventData\r\n"
            + "\r\n".join(lines)
            + "\r\n"
        )
        path = f"{self.logging}\\ECP\\Server\\ECPServer{day:%Y%m%d}-1.LOG"
        data = text.encode("utf-8")
        tree.write_bytes(path, data, mtime=day + timedelta(hours=23, minutes=59, seconds=58))
        return len(data)

    def _write_oab(self, tree: Tree, rng: random.Random, day: datetime, day_ms: int) -> int:
        """OABGenerator runs every 8 hours; its log is read as text lines (no public column layout)."""
        plan = self.plan
        events = [e for e in self.planted.oab if day_ms <= e[0] < day_ms + 86_400_000]
        oab_dir = f"{plan.install_path}\\ClientAccess\\OAB\\{self.traffic.dbguid}"
        for h in (2, 10, 18):
            t = day_ms + h * 3_600_000 + rng.randrange(0, 600_000)
            events.append(
                (
                    t,
                    "Info,OABGeneratorAssistant,Beginning generation of OAB '\\Default Offline Address Book'.",
                )
            )
            events.append(
                (
                    t + 4_000,
                    f"Info,OABGeneratorAssistant,Downloaded OAB files from '{oab_dir}' to local temp directory.",
                )
            )
            events.append(
                (
                    t + 9_000,
                    f"Info,OABGeneratorAssistant,OAB generation complete; {rng.randrange(200, 4000)} entries, {rng.randrange(40, 900)} KB.",
                )
            )
        events.sort()
        lines = [f"{_iso(t)},{rng.randrange(8, 90)},{msg}" for t, msg in events]
        text = (
            f"#Software: Microsoft Exchange Server\r\n#Version: {plan.version_header}\r\n#Log-type: OABGenerator Log\r\n"
            f"#Date: {_iso(events[0][0])}\r\n#Fields: DateTime,ThreadId,Level,Component,Message\r\n"
            + "\r\n".join(lines)
            + "\r\n"
        )
        path = f"{self.logging}\\OABGeneratorLog\\OABGenerator{day:%Y%m%d}-1.LOG"
        data = text.encode("utf-8")
        tree.write_bytes(path, data, mtime=day + timedelta(hours=23, minutes=59, seconds=57))
        return len(data)


class _ProxyHour:
    """The HttpProxy files of one hour, one per protocol, appended window by window; a file past
    the size limit rolls over to ``-2``, ``-3``… as Exchange does."""

    def __init__(self, writer: DayWriter, tree: Tree, hour: datetime, index: int) -> None:
        self.writer = writer
        self.tree = tree
        self.hour = hour
        self.index = index
        self.files: dict[str, tuple[BinaryIO, int, int, str]] = {}  # proto -> (file, size, n, path)
        self.paths: list[str] = []

    def add(self, proto: str, lines: list[str]) -> int:
        written = 0
        layout = httpproxy.HEADER_LAYOUTS[(self.index + len(proto)) % 3]
        bom = (self.index // 3 + len(proto)) % 4 == 0
        for line in lines:
            cur = self.files.get(proto)
            data = (line + "\r\n").encode("utf-8")
            if cur is None or (cur[1] + len(data) > httpproxy.MAX_FILE_BYTES and cur[1] > 0):
                n = 1 if cur is None else cur[2] + 1
                if cur is not None:
                    cur[0].close()
                path = (
                    f"{self.writer.logging}\\HttpProxy\\{proto}\\{httpproxy.file_name(proto, self.hour, n)}"
                )
                real = self.tree.real_path(path)
                real.parent.mkdir(parents=True, exist_ok=True)
                fh: BinaryIO = real.open("wb")
                head = httpproxy.header(self.writer.plan, _line_time(self.hour, line), layout).encode("utf-8")
                fh.write((b"\xef\xbb\xbf" if bom else b"") + head)
                written += len(head)
                self.paths.append(path)
                cur = (fh, len(head), n, path)
            cur[0].write(data)
            self.files[proto] = (cur[0], cur[1] + len(data), cur[2], cur[3])
            written += len(data)
        return written

    def close(self) -> None:
        for fh, _size, _n, _path in self.files.values():
            fh.close()
        for path in self.paths:
            self.tree.set_mtime(path, self.hour + timedelta(minutes=59, seconds=59))


def _line_time(hour: datetime, line: str) -> datetime:
    """The time of a record starting ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (the file's ``#Date``)."""
    try:
        return hour + timedelta(
            minutes=int(line[14:16]), seconds=int(line[17:19]), milliseconds=int(line[20:23])
        )
    except ValueError:
        return hour


def _iis_time(t_ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t_ms // 1000))


def _iso(t_ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t_ms // 1000)) + f".{t_ms % 1000:03d}Z"


# ---- process pool entry points (module-level so they pickle) ---------------------------------
_WORKER: tuple[DayWriter, Tree] | None = None


def init_worker(plan: AttackPlan, tree: Tree) -> None:
    global _WORKER
    _WORKER = (DayWriter(plan), tree)


def worker_day(d: int) -> int:
    assert _WORKER is not None
    writer, tree = _WORKER
    return writer.write_day(tree, d)


def utc_day(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
