"""The Exchange facts in a SOFTWARE registry hive, read with regipy.

What setup writes (reference microsoft-tools.md §3.1): ``Microsoft\\ExchangeServer\\v15\\Setup`` (or
``v14`` for 2010) with ``MsiInstallPath`` and the CU-level ``MsiProductMajor/Minor``,
``MsiBuildMajor/Minor`` values; installed Security Updates under ``Microsoft\\Updates\\Exchange 20xx``
(``PackageName``, ``InstalledDate`` — HealthChecker's source); and Uninstall entries whose
``DisplayName`` names the CU or the SU (EOMT's source). None of these shows the installed SU's build:
only ExSetup.exe does.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Any

#: SOFTWARE hives of busy servers reach a few hundred MB; refuse anything absurd.
MAX_HIVE_SIZE = 1024 * 1024 * 1024
_KB_RE = re.compile(r"\bKB(\d{6,8})\b", re.IGNORECASE)
_SETUP_VALUES = (
    "MsiInstallPath",
    "MsiProductMajor",
    "MsiProductMinor",
    "MsiBuildMajor",
    "MsiBuildMinor",
    "OwaVersion",
)


class HiveError(ValueError):
    """The file is not a readable registry hive (one-line reason)."""


@dataclass(slots=True)
class SetupKey:
    key: str  # e.g. "Microsoft\\ExchangeServer\\v15\\Setup"
    values: dict[str, str | int] = field(default_factory=dict)

    def cu_build(self) -> tuple[int, int, int, int] | None:
        """(major, minor, build, revision) of the installed CU from the Msi* values, if all present."""
        try:
            parts = [
                int(self.values[n])
                for n in ("MsiProductMajor", "MsiProductMinor", "MsiBuildMajor", "MsiBuildMinor")
            ]
        except (KeyError, ValueError, TypeError):
            return None
        return (parts[0], parts[1], parts[2], parts[3])


@dataclass(slots=True)
class InstalledUpdate:
    key: str  # registry key it came from
    name: str  # display text (PackageName or DisplayName)
    kb: str  # "KB5000871" or ""
    installed: str = ""  # InstalledDate as written


@dataclass(slots=True)
class ExchangeRegistry:
    setup: list[SetupKey] = field(default_factory=list)
    updates: list[InstalledUpdate] = field(default_factory=list)  # Microsoft\Updates\Exchange 20xx
    uninstall: list[InstalledUpdate] = field(default_factory=list)  # Uninstall entries naming Exchange
    uninstall_versions: dict[str, str] = field(default_factory=dict)  # DisplayName -> DisplayVersion
    windows_product: str = ""


def _kb(text: str) -> str:
    m = _KB_RE.search(text)
    return f"KB{m.group(1)}" if m else ""


def _values(key: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in key.iter_values():
        value = v.value
        if isinstance(value, str):
            value = value.rstrip("\x00")
        out[str(v.name)] = value
    return out


def _subkey(hive: Any, path: str) -> Any | None:
    from regipy.exceptions import RegistryKeyNotFoundException

    try:
        return hive.get_key(path)
    except (RegistryKeyNotFoundException, KeyError, IndexError):
        return None


def read_exchange_registry(data: bytes, source: str) -> ExchangeRegistry:
    """Read the Exchange facts from the SOFTWARE hive in ``data`` (``source`` names it in errors)."""
    if len(data) > MAX_HIVE_SIZE:
        raise HiveError(f"{source} is too large for a registry hive ({len(data):,} bytes)")
    if data[:4] != b"regf":
        raise HiveError(f"{source} is not a registry hive (no 'regf' signature)")
    # regipy opens hives by path: copy the bytes to a private temporary file (never into the evidence).
    fd, tmp = tempfile.mkstemp(prefix="extriage-hive-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return _read(tmp, source)
    except HiveError:
        raise
    except Exception as exc:  # corrupt hives make regipy raise anything; never crash the caller
        raise HiveError(
            f"{source}: the registry hive is corrupt or truncated ({type(exc).__name__})"
        ) from None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _read(path: str, source: str) -> ExchangeRegistry:
    from regipy.registry import RegistryHive

    hive = RegistryHive(path)  # type: ignore[no-untyped-call]
    reg = ExchangeRegistry()
    if _subkey(hive, "\\Microsoft") is None:
        raise HiveError(f"{source} is not a SOFTWARE hive (no Microsoft key)")
    for ver in ("v15", "v14"):
        key = _subkey(hive, f"\\Microsoft\\ExchangeServer\\{ver}\\Setup")
        if key is not None:
            vals = _values(key)
            reg.setup.append(
                SetupKey(
                    f"Microsoft\\ExchangeServer\\{ver}\\Setup",
                    {k: vals[k] for k in _SETUP_VALUES if k in vals},
                )
            )
    updates = _subkey(hive, "\\Microsoft\\Updates")
    if updates is not None:
        for product in updates.iter_subkeys():
            if not str(product.name).lower().startswith("exchange"):
                continue
            for sub in product.iter_subkeys():
                vals = _values(sub)
                name = str(vals.get("PackageName") or sub.name)
                reg.updates.append(
                    InstalledUpdate(
                        f"Microsoft\\Updates\\{product.name}\\{sub.name}",
                        name,
                        _kb(name) or _kb(str(sub.name)),
                        str(vals.get("InstalledDate", "")),
                    )
                )
    uninstall = _subkey(hive, "\\Microsoft\\Windows\\CurrentVersion\\Uninstall")
    if uninstall is not None:
        for sub in uninstall.iter_subkeys():
            vals = _values(sub)
            display = str(vals.get("DisplayName", ""))
            if "exchange server" not in display.lower():
                continue
            reg.uninstall.append(
                InstalledUpdate(
                    f"Microsoft\\Windows\\CurrentVersion\\Uninstall\\{sub.name}", display, _kb(display)
                )
            )
            if vals.get("DisplayVersion"):
                reg.uninstall_versions[display] = str(vals["DisplayVersion"])
    nt = _subkey(hive, "\\Microsoft\\Windows NT\\CurrentVersion")
    if nt is not None:
        reg.windows_product = str(_values(nt).get("ProductName", ""))
    return reg
