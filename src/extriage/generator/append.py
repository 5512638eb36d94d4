"""Helpers for planters that add requests to the core logs (e.g. ProxyShell/ProxyNotShell lines).

``append_requests(tree, plan, [Req(...), ...])`` renders each :class:`Req` exactly like the
background traffic and appends it to the HttpProxy file of its protocol and hour and to the
front-end / back-end IIS log of its day, creating a file (with the right header) when that hour or
day has none yet. Appended lines land after the file's existing lines; readers must not assume
strict time order across a file (real logs are not strictly ordered either).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime

from extriage.generator import httpproxy, iis
from extriage.generator.plan import AttackPlan
from extriage.generator.request import Req
from extriage.generator.tree import Tree

__all__ = ["Req", "append_requests", "iso_ms", "ms"]


def ms(dt: datetime) -> int:
    """Milliseconds since the epoch, the unit of :attr:`Req.t`."""
    return int(dt.timestamp() * 1000)


def iso_ms(t_ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t_ms // 1000)) + f".{t_ms % 1000:03d}Z"


def append_requests(tree: Tree, plan: AttackPlan, requests: Iterable[Req]) -> None:
    proxy = httpproxy.HttpProxyRenderer(plan)
    web = iis.IisRenderer(plan)
    extended: dict[str, bool] = {}
    for r in sorted(requests, key=lambda x: x.t):
        when = datetime.fromtimestamp(r.t / 1000, tz=UTC)
        ts = iso_ms(r.t)
        if r.in_proxy:
            hour = when.replace(minute=0, second=0, microsecond=0)
            path = f"{plan.install_path}\\Logging\\HttpProxy\\{r.protocol}\\{httpproxy.file_name(r.protocol, hour)}"
            head = "" if tree.exists(path) else httpproxy.header(plan, when, "bare-first")
            line = proxy.line(r, ts, iso_ms(max(0, r.t - r.latency)))
            with tree.open_append(path) as fh:
                fh.write((head + line + "\r\n").encode("utf-8"))
        dt = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r.t // 1000))
        for site, wanted in ((1, r.in_fe), (2, r.in_be and (r.be_status is not None or not r.in_fe))):
            if not wanted:
                continue
            path = iis.file_path(site, when)
            head = "" if tree.exists(path) else iis.header(when)
            # a day's front-end log may switch to the extended field list mid-file: follow its last #Fields
            if site == 1 and path not in extended:
                extended[path] = not head and _extended(tree, path)
            line = web.front(r, dt, extended[path]) if site == 1 else web.back(r, dt)
            with tree.open_append(path) as fh:
                fh.write((head + line + "\r\n").encode("utf-8"))


def _extended(tree: Tree, path: str) -> bool:
    """Whether the last ``#Fields`` directive of the IIS log at ``path`` is :data:`iis.FIELDS_EXTENDED`."""
    data = tree.real_path(path).read_bytes()
    pos = data.rfind(b"#Fields: ")
    if pos < 0:
        return False
    end = data.find(b"\r\n", pos)
    return data[pos + 9 : end if end >= 0 else None].decode("ascii", "replace").strip() == iis.FIELDS_EXTENDED
