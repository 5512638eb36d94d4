"""The version resource of a Windows PE file (``ExSetup.exe``), read with pefile.

ExSetup.exe's file version is the one build source that reflects Security Updates (HealthChecker's
``Get-ExSetupFileVersionInfo``), so it is the authoritative build on a server. Only the resource
directory is parsed; hostile or truncated files raise :class:`PeVersionError` with one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pefile

#: ExSetup.exe is well under a megabyte; anything this large is not worth parsing for a version.
MAX_PE_SIZE = 256 * 1024 * 1024


class PeVersionError(ValueError):
    """The file is not a PE with a readable version resource (one-line reason)."""


@dataclass(slots=True)
class PeVersion:
    file_version: str | None  # from VS_FIXEDFILEINFO, "a.b.c.d"
    product_version: str | None
    strings: dict[str, str] = field(default_factory=dict)  # StringFileInfo (FileVersion, ProductName, ...)

    def raw_line(self) -> str:
        """A one-line, verbatim rendering of what was read (for evidence lines)."""
        text = self.strings.get("FileVersion", "")
        return f"VS_FIXEDFILEINFO FileVersion={self.file_version}; StringFileInfo FileVersion={text!r}"


def _fixed(ms: int, ls: int) -> str:
    return f"{ms >> 16}.{ms & 0xFFFF}.{ls >> 16}.{ls & 0xFFFF}"


def read_pe_version(data: bytes, source: str) -> PeVersion:
    """Parse the version resource of the PE image in ``data`` (``source`` names it in errors)."""
    if len(data) > MAX_PE_SIZE:
        raise PeVersionError(f"{source} is too large for a PE version read ({len(data):,} bytes)")
    if data[:2] != b"MZ":
        raise PeVersionError(f"{source} is not a Windows executable (no MZ header)")
    try:
        pe = pefile.PE(data=data, fast_load=True)
        try:
            pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_RESOURCE"]])
            fixed = getattr(pe, "VS_FIXEDFILEINFO", None)
            file_version = product_version = None
            if fixed:
                info = fixed[0]
                file_version = _fixed(info.FileVersionMS, info.FileVersionLS)
                product_version = _fixed(info.ProductVersionMS, info.ProductVersionLS)
            strings: dict[str, str] = {}
            for file_info in getattr(pe, "FileInfo", None) or []:
                for entry in file_info:
                    for table in getattr(entry, "StringTable", None) or []:
                        for key, value in table.entries.items():
                            k = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
                            v = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                            strings.setdefault(k, v[:200])
        finally:
            pe.close()
    except pefile.PEFormatError as exc:
        raise PeVersionError(f"{source} is not a valid PE file ({exc.value})") from None
    except Exception as exc:  # hostile input must never crash the caller
        raise PeVersionError(f"{source}: the PE file cannot be parsed ({type(exc).__name__})") from None
    if file_version is None and "FileVersion" not in strings:
        raise PeVersionError(f"{source} has no version resource")
    return PeVersion(file_version, product_version, strings)
