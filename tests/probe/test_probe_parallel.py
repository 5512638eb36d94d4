"""Large runs spread over processes: same results, input order, per-host sharding."""

from __future__ import annotations

from extriage.probe.client import ClientOptions
from extriage.probe.engine import ProbeOptions
from extriage.probe.parallel import _shard_of, auto_workers, probe_parallel
from extriage.probe.targets import parse_targets

from .conftest import Farm


def test_parallel_matches_input_order(farm: Farm) -> None:
    names = ["ex2013-cu23", "lb-pair", "not-exchange", "refused", "ex2016-cu19-cuonly", "ex2019-cu11"]
    targets = parse_targets([farm[n] for n in names] + ["bad host!"])
    opts = ProbeOptions(ClientOptions(connect_timeout=2, read_timeout=2, rate_per_host=0))
    seen: list[str] = []
    res = probe_parallel(targets, opts, workers=2, on_done=lambda r: seen.append(r.target))
    assert [r.target for r in res] == [t.text for t in targets]
    assert sorted(seen) == sorted(t.text for t in targets)
    by = {r.target: r for r in res}
    assert by[farm["ex2013-cu23"]].build == "15.0.1497.2"
    assert {n.name for n in by[farm["lb-pair"]].nodes} == {"EXLB01", "EXLB02"}
    assert by[farm["refused"]].error == "connection refused"
    assert by["bad host!"].error


def test_sharding_keeps_a_host_together() -> None:
    a = parse_targets(["https://A.example:443/x"])[0]
    b = parse_targets(["a.example"])[0]
    assert a.key == b.key and _shard_of(a, 4) == _shard_of(b, 4)  # same (host, port) endpoint
    assert auto_workers(10) == 1
