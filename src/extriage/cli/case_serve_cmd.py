"""``extriage case serve``: start the response team's dashboard over a case (wiring only; the
application lives in :mod:`extriage.case.dashboard`)."""

from __future__ import annotations

import os

import typer

from extriage.cli.common import err, escape, fail, out

TOKEN_ENV = "EXTRIAGE_CASE_TOKEN"  # noqa: S105 - the variable's name, not a secret


def case_serve(
    case: str = typer.Option(..., "--case", "-c", help="The case: an SQLite file or a postgresql://user@host/db URL."),
    host: str = typer.Option(
        "127.0.0.1", "--host",
        help="Address to listen on. Loopback by default; any other address is protected by a token.",
    ),
    port: int = typer.Option(8765, "--port", "-p", min=0, max=65535, help="Port to listen on (0 = any free port)."),
    token: str | None = typer.Option(
        None, "--token", envvar=TOKEN_ENV,
        help=f"Token the browser must present (also ${TOKEN_ENV}); made for you when listening beyond loopback.",
    ),
) -> None:
    """A web dashboard for the response team: server table, server pages, shared indicators, fleet
    timeline, and each server's response state (open → disconnected → rebuilt/patched → cleared)."""
    import socket

    import uvicorn

    from extriage.case.dashboard.app import build_app
    from extriage.case.dashboard.guard import Access
    from extriage.case.reader import CaseError
    from extriage.case.store import open_case

    if not os.path.exists(case) and "://" not in case:
        fail(f"No case at {case}: make one with 'extriage case scan … --case {case}' or 'extriage case add'.")
    try:
        store = open_case(case, create=False)
    except CaseError as exc:
        fail(str(exc))
    access = Access.for_bind(host, token)
    try:
        sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        store.close()
        fail(f"Cannot listen on {host}:{port}: {exc.strerror or exc}.")
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    address = f"http://{shown_host}:{bound_port}/"
    if access.token and not access.loopback:
        out.print(f"Dashboard on {escape(address)} — open {escape(address)}?token={escape(access.token)}")
        err.print("[yellow]Listening beyond loopback: anyone who can reach this address and has the token can "
                  "read the case and set response states. Stop with Ctrl-C.[/]")
    elif access.token:
        out.print(f"Dashboard on {escape(address)} — open {escape(address)}?token={escape(access.token)}")
    else:
        out.print(f"Dashboard on {escape(address)} (loopback only). Stop with Ctrl-C.")
    app = build_app(store, access, store.shown)
    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False, date_header=False)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        store.close()
