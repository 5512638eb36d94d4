"""Versioned JSON Schemas of extriage's JSON outputs (package data)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def load_schema(name: str = "scan-result") -> dict[str, Any]:
    """The JSON Schema ``<name>.schema.json`` shipped with the package."""
    text = (resources.files("extriage.schema") / f"{name}.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
