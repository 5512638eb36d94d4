"""The restart points of a gzip-compressed tar stay bounded in number, and a seek finds the last
point at or before it (memory per reading process: evidence/loaders/tar.py)."""

from __future__ import annotations

import itertools

from extriage.evidence.loaders import tar


def test_restart_points_stay_bounded_and_spacing_doubles() -> None:
    index = tar._GzIndex([tar._Restart(0, 0, None)], tar.RESTART_EVERY)
    step = tar.RESTART_EVERY
    total = step * tar.MAX_RESTARTS * 8  # eight times what fits at the first spacing
    for at in range(step, total, step):
        index.note(tar._Restart(at, at // 3, None))
    assert len(index.points) <= tar.MAX_RESTARTS + 1
    assert index.every >= tar.RESTART_EVERY * 8
    keys = [p.data_at for p in index.points]
    assert keys == sorted(keys) and keys[0] == 0
    gaps = {b - a for a, b in itertools.pairwise(keys)}
    assert max(gaps) <= index.every
    for probe in (0, 1, step * 5 + 7, total // 2, total - 1):
        point = index.before(probe)
        assert point.data_at <= probe
        assert not [k for k in keys if point.data_at < k <= probe]  # the last one before it
