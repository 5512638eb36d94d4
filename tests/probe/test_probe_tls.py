"""TLS that reaches old servers: self-signed and TLS 1.0-only mocks, --verify, certificate names as SNI/Host."""

from __future__ import annotations

import socket
import ssl
import threading

from .conftest import Farm
from .test_probe_mock import run, states


def test_self_signed_recorded_not_verified(farm: Farm) -> None:
    r = run([farm["tls-selfsigned"]])[farm["tls-selfsigned"]]
    assert r.error is None and r.build == "15.2.1118.40" and r.confidence == "exact"
    assert r.tls["subject"] == "CN=mail.example.test"
    assert r.tls["san"] == ["mail.example.test", "autodiscover.example.test"]
    assert r.tls["self_signed"] is True and r.tls["expired"] is False and r.tls["not_after"]
    assert r.tls["version"].startswith("TLSv1")


def test_verify_rejects_self_signed(farm: Farm) -> None:
    r = run([farm["tls-selfsigned"]], verify=True)[farm["tls-selfsigned"]]
    assert r.error and r.error.startswith("TLS handshake failed") and "certificate verify failed" in r.error
    assert set(states(r).values()) == {"error"}
    assert r.requests == 1  # certificate verdicts are not retried


def test_verify_with_ca_file_and_sni_name(farm: Farm) -> None:
    assert farm.tls_dir is not None
    r = run([farm["tls-selfsigned"]], verify=True, ca_file=str(farm.tls_dir / "cert.pem"))[
        farm["tls-selfsigned"]
    ]
    # The certificate names mail.example.test, not 127.0.0.1: hostname check fails, reported as TLS error.
    assert r.error and "TLS handshake failed" in r.error


def test_legacy_tls10_server_is_reached(farm: Farm) -> None:
    r = run([farm["tls-legacy"]])[farm["tls-legacy"]]
    if (
        r.error and "unsupported protocol" in r.error.lower()
    ):  # pragma: no cover - depends on the OpenSSL build
        raise AssertionError(f"local OpenSSL refuses TLS 1.0 even at SECLEVEL=0: {r.error}")
    assert r.error is None, r.error
    assert r.tls["version"] == "TLSv1"
    assert r.build == "15.0.1497.2"


def test_legacy_server_fails_with_modern_defaults(farm: Farm) -> None:
    """The reason the lenient context exists: a default client cannot talk to the TLS 1.0 mock."""
    import socket

    host, port = farm["tls-legacy"].removeprefix("https://").split(":")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, int(port)), timeout=3) as s:
        try:
            ctx.wrap_socket(s).close()
        except ssl.SSLError:
            return
    raise AssertionError("modern default context unexpectedly negotiated TLS 1.0")


def test_bare_ip_retried_with_certificate_name(farm: Farm) -> None:
    r = run([farm["tls-vhost"]])[farm["tls-vhost"]]
    assert r.host_header == "mail.example.test"
    assert r.build == "15.1.2176" and r.confidence == "cu-only"
    assert states(r)["proxylogon"] == "vulnerable-unless-su"
    assert any("certificate name mail.example.test" in n for n in r.notes)
    sent = [o.sent_headers.get("Host") for o in r.observations]
    assert sent[:3] == [None, None, None] and "mail.example.test" in sent
    off = run([farm["tls-vhost"]], try_cert_names=False)[farm["tls-vhost"]]
    assert set(states(off).values()) == {"not-exchange"}


def test_guessed_https_falls_back_to_plain_http(farm: Farm) -> None:
    r = run([farm["tls-plain-http"]])[farm["tls-plain-http"]]
    assert r.url is not None and r.url.startswith("http://")
    assert r.build == "15.2.986.14" and r.error is None


def test_plain_http_fallback_leaves_no_tls_error_in_the_verdict(farm: Farm) -> None:
    """Issue 13: after the http retry answered, the reasons still quoted the raw TLS error."""
    port = farm["not-exchange"].rsplit(":", 1)[1]
    bare = f"127.0.0.1:{port}"
    r = run([bare])[bare]
    assert r.url == f"http://127.0.0.1:{port}" and r.error is None
    assert set(states(r).values()) == {"not-exchange"}
    assert not any("TLS" in w["reason"] for w in r.to_dict()["waves"].values())
    assert any("retried over http" in n for n in r.notes)
    assert r.to_dict()["evidence"][0]["error"].startswith("TLS handshake failed")  # the attempt is kept


def _closing_server() -> tuple[socket.socket, threading.Thread]:
    """Accepts, reads the TLS ClientHello and hangs up: what a plain service that dislikes it does."""
    srv = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                conn.recv(4096)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return srv, thread


def test_tls_failure_on_bare_host_port_names_the_http_url() -> None:
    srv, thread = _closing_server()
    try:
        port = srv.getsockname()[1]
        bare = f"127.0.0.1:{port}"
        r = run([bare])[bare]
    finally:
        srv.close()
        thread.join(5)
    assert r.error is not None and r.error.startswith("TLS handshake failed")
    assert r.error.endswith(f"probe http://127.0.0.1:{port} instead")
    assert "_ssl.c" not in r.error and "[SSL" not in r.error and "\n" not in r.error
    assert set(states(r).values()) == {"error"}


def test_tls_reason_is_one_plain_sentence() -> None:
    from extriage.probe.client import _tls_reason

    wrong = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)")
    assert _tls_reason(wrong, str(wrong.args[1])) == "wrong version number"
    odd = ssl.SSLError(1, "[SSL: X_Y] something else (_ssl.c:1)")
    odd.reason = "X_Y"  # type: ignore[misc]
    assert _tls_reason(odd, str(odd.args[1])) == "something else (X_Y)"
