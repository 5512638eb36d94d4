"""Build the small SYSTEM hives the mitigation tests read (run by hand; the outputs are committed).

hivex (``apt-get install libhivex-bin``) edits hives but cannot create one, so this script writes the
smallest valid empty hive itself (base block + one hbin holding the root key and its security cell,
layout from the public regf format description by Joachim Metz / libyal), then lets ``hivexsh -w``
add ``Select\\Current`` and ``ControlSet001\\Services\\<name>\\Start`` for each scenario.

    python tests/mitigation/data/build_system_hive.py
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Start values: 2 Automatic, 3 Manual, 4 Disabled.
SCENARIOS: dict[str, dict[str, int]] = {
    # ExchangeMitigations.ps1 fully applied on Exchange 2016: UM and Managed Availability disabled
    "SYSTEM_mitigated": {
        "MSExchangeUM": 4,
        "MSExchangeUMCR": 4,
        "MSExchangeHM": 4,
        "MSExchangeHMRecovery": 4,
        "W3SVC": 2,
    },
    # UM disabled but Managed Availability left running: it will restart UM
    "SYSTEM_um_only": {
        "MSExchangeUM": 4,
        "MSExchangeUMCR": 4,
        "MSExchangeHM": 2,
        "MSExchangeHMRecovery": 2,
        "W3SVC": 2,
    },
    # an untouched Exchange 2016 server
    "SYSTEM_default": {
        "MSExchangeUM": 2,
        "MSExchangeUMCR": 2,
        "MSExchangeHM": 2,
        "MSExchangeHMRecovery": 2,
        "W3SVC": 2,
    },
    # an Exchange 2019 server (no UM role), Managed Availability disabled
    "SYSTEM_e19_ma_off": {"MSExchangeHM": 4, "MSExchangeHMRecovery": 4, "W3SVC": 2},
}


def _cell(payload: bytes) -> bytes:
    size = (len(payload) + 4 + 7) // 8 * 8
    return struct.pack("<i", -size) + payload + b"\0" * (size - 4 - len(payload))


def empty_hive(name: str = "SYSTEM") -> bytes:
    root_off, sk_size = 0x20, 0
    # security descriptor: revision 1, control SE_SELF_RELATIVE|SE_DACL_PRESENT, no owner/group/acls
    sd = struct.pack("<BBHIIII", 1, 0, 0x8004, 0, 0, 0, 0)
    key_name = b"ROOT"
    nk_len = 4 + 76 + len(key_name)
    nk_cell = (nk_len + 7) // 8 * 8
    sk_off = root_off + nk_cell
    nk = struct.pack(
        "<2sHQIIIIIIIIIIIIIIIHH",
        b"nk", 0x2C, 0, 0, 0xFFFFFFFF, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0xFFFFFFFF,
        sk_off, 0xFFFFFFFF, 0, 0, 0, 0, 0, len(key_name), 0,
    ) + key_name
    sk = struct.pack("<2sHIIII", b"sk", 0, sk_off, sk_off, 1, len(sd)) + sd
    cells = _cell(nk) + _cell(sk)
    sk_size = len(cells)
    free = 4096 - 32 - sk_size
    hbin = struct.pack("<4sIIQQI", b"hbin", 0, 4096, 0, 0, 0) + cells + struct.pack("<i", free) + b"\0" * (free - 4)
    assert len(hbin) == 4096
    base = bytearray(4096)
    struct.pack_into("<4sIIQIIIIIII", base, 0, b"regf", 1, 1, 0, 1, 3, 0, 1, root_off, 4096, 1)
    fname = name.encode("utf-16-le")[:64]
    base[48 : 48 + len(fname)] = fname
    checksum = 0
    for (dword,) in struct.iter_unpack("<I", bytes(base[:508])):
        checksum ^= dword
    struct.pack_into("<I", base, 508, checksum)
    return bytes(base) + hbin


def build(path: Path, services: dict[str, int]) -> None:
    path.write_bytes(empty_hive())
    script = ["add Select", "cd Select", "setval 1", "Current", "dword:1", "cd \\", "add ControlSet001",
              "cd ControlSet001", "add Services", "cd Services"]
    for name, start in services.items():
        script += [f"add {name}", f"cd {name}", "setval 1", "Start", f"dword:{start}", "cd .."]
    script.append("commit")
    subprocess.run(["hivexsh", "-w", str(path)], input="\n".join(script) + "\n", text=True, check=True)


def main() -> int:
    for name, services in SCENARIOS.items():
        build(HERE / name, services)
        print(f"wrote {HERE / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
