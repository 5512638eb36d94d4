"""TLS that still reaches old Exchange servers, and the certificate facts worth reporting.

Default: no certificate verification (subject, SAN and expiry are recorded instead), TLS 1.0/1.1
and legacy renegotiation allowed — Exchange 2010/2013 on Windows 2008 R2/2012 may offer nothing
newer, and OpenSSL 3 otherwise fails with ``UNSAFE_LEGACY_RENEGOTIATION_DISABLED``
(remote-probe.md §4.3, §6). ``--verify`` enforces the normal checks.
"""

from __future__ import annotations

import ssl
import warnings
from datetime import UTC, datetime
from typing import Any

import certifi
from cryptography import x509
from cryptography.x509.oid import NameOID

_OP_LEGACY_SERVER_CONNECT = getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0x4)


def client_context(verify: bool, ca_file: str | None = None) -> ssl.SSLContext:
    if verify:
        ctx = ssl.create_default_context(cafile=ca_file or certifi.where())
        return ctx
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():  # TLSv1 is deprecated in Python: old servers are why we allow it
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.options |= _OP_LEGACY_SERVER_CONNECT
    try:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    except ssl.SSLError:  # pragma: no cover - OpenSSL builds without security levels
        ctx.set_ciphers("DEFAULT")
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def cert_facts(der: bytes | None) -> dict[str, Any]:
    """Subject, issuer, DNS names and validity of a DER certificate; never raises."""
    if not der:
        return {}
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        return {"error": f"certificate not parseable: {exc}"}
    names: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n) for n in san.get_values_for_type(x509.DNSName)]
    except (x509.ExtensionNotFound, ValueError):
        pass
    cns = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    not_after = cert.not_valid_after_utc
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "san": names,
        "common_names": cns,
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": not_after.isoformat(),
        "expired": not_after < datetime.now(UTC),
        "self_signed": cert.subject == cert.issuer,
    }


def host_names(facts: dict[str, Any], limit: int = 2) -> list[str]:
    """Names worth trying as SNI/Host for a bare-IP target (no wildcards, no IPs)."""
    out: list[str] = []
    for name in list(facts.get("san", [])) + list(facts.get("common_names", [])):
        n = str(name).strip().lower().rstrip(".")
        if not n or "*" in n or n in out or all(c.isdigit() or c == "." for c in n):
            continue
        out.append(n)
        if len(out) >= limit:
            break
    return out
