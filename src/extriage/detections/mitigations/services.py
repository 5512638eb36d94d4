"""Service start types from an offline SYSTEM hive (regipy): UM and Managed Availability.

Why the hive: ``sc config``/``Set-Service -StartupType Disabled`` is stored as
``HKLM\\SYSTEM\\<ControlSet>\\Services\\<name>\\Start`` (2 automatic, 3 manual, 4 disabled). The
control set in use is ``Select\\Current``. A stopped-but-automatic service comes back at reboot or
when Managed Availability restarts it, so only ``Start = 4`` counts as mitigated.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

START_NAMES = {0: "boot", 1: "system", 2: "automatic", 3: "manual", 4: "disabled"}


class HiveError(ValueError):
    """The hive cannot be read (not a registry hive, truncated, corrupt)."""


@dataclass(slots=True)
class ServiceStart:
    name: str
    start: int | None  # None when the service key has no Start value
    key: str  # e.g. "ControlSet001\\Services\\MSExchangeUM"

    @property
    def label(self) -> str:
        return "unknown" if self.start is None else START_NAMES.get(self.start, str(self.start))


@dataclass(slots=True)
class ServiceTable:
    source: str
    control_set: str
    services: dict[str, ServiceStart] = field(default_factory=dict)  # lower-case name -> start

    def get(self, name: str) -> ServiceStart | None:
        return self.services.get(name.lower())


def read_services(data: bytes, source: str, names: list[str]) -> ServiceTable:
    """Read the start type of ``names`` from SYSTEM hive bytes. Raises :class:`HiveError`."""
    if data[:4] != b"regf":
        raise HiveError(f"{source}: not a registry hive (no 'regf' signature)")
    # Imported here: regipy (with construct, pytz, pdb) costs ~40 ms, and every scan imports this
    # module, most of them with no SYSTEM hive to read.
    from regipy.registry import RegistryHive

    # regipy opens hives by path: give it a private temporary copy (never the evidence itself).
    fd, tmp = tempfile.mkstemp(prefix="extriage-hive-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            hive: Any = RegistryHive(tmp)  # type: ignore[no-untyped-call]
            current = 1
            try:
                value = hive.get_key("\\Select").get_value("Current")
                if isinstance(value, int) and 0 < value < 1000:
                    current = value
            except Exception:  # no Select key (partial hive): ControlSet001 is the usual one
                current = 1
            control_set = f"ControlSet{current:03d}"
            table = ServiceTable(source, control_set)
            try:
                services_key = hive.get_key(f"\\{control_set}\\Services")
            except Exception as exc:
                raise HiveError(f"{source}: no {control_set}\\Services key; is this a SYSTEM hive?") from exc
            wanted = {n.lower() for n in names}
            for sub in services_key.iter_subkeys():
                if sub.name.lower() not in wanted:
                    continue
                start: int | None = None
                for v in sub.iter_values():
                    if v.name.lower() == "start" and isinstance(v.value, int):
                        start = v.value
                table.services[sub.name.lower()] = ServiceStart(sub.name, start, f"{control_set}\\Services\\{sub.name}")
            return table
        except HiveError:
            raise
        except Exception as exc:  # regipy raises many types on corrupt hives
            raise HiveError(f"{source}: the registry hive cannot be parsed ({type(exc).__name__})") from None
    finally:
        os.unlink(tmp)
