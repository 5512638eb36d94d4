"""Preloaded in the scan's fork server by ``bench/scan/phases.py``: every worker batch appends its
start and end time to the file named by ``EXTRIAGE_BATCH_TRACE`` (a benchmark aid, never used by
the scan itself)."""

from __future__ import annotations

import os
import time
from typing import Any

from extriage.scan import context

_original = context._safe_batch


def _traced(func: Any, batch: list[Any], params: Any) -> Any:
    start = time.time()
    try:
        return _original(func, batch, params)
    finally:
        with open(os.environ["EXTRIAGE_BATCH_TRACE"], "a", encoding="utf-8") as fh:
            fh.write(f"{func.__name__} {start:.4f} {time.time():.4f}\n")


context._safe_batch = _traced
