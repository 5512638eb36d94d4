"""The dashboard application: server table, server page (with its full report), shared indicators,
fleet timeline, and the response state a responder sets per server.

Pages are rendered on the server (Jinja2, autoescaped, attacker text made visible as in the HTML
report) so the dashboard works without scripts; ``dashboard.js`` only adds click-to-sort on the
already sorted table and submits the filter form when a box changes. Every read is one of the case
store's summary queries, so the first page stays fast with 500 servers and a million findings.
"""

from __future__ import annotations

import html as html_lib
import re
import threading
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlencode

import jinja2
import markupsafe
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from extriage import __version__
from extriage.case.dashboard.guard import Access, Guard
from extriage.case.priority import RESPONSE_STATES, priorities
from extriage.case.reader import CaseError
from extriage.case.store import CaseStore
from extriage.findings import iso
from extriage.safetext import visible_format

#: Servers per page of the table.
PAGE_SIZE = 100
#: Findings shown on a server page (the full report link has them all).
FINDINGS_SHOWN = 500
SORTS = ("priority", "name", "verdict", "first_activity", "last_activity", "findings", "response")
VERDICTS = ("compromised", "attempted", "inconclusive", "no_evidence", "error")
#: The longest response-state form body accepted (name and note are short texts).
MAX_FORM_BYTES = 16_384
MAX_NAME = 200
MAX_NOTE = 2000
_REPORT_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"')


def _inert(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return visible_format(value)
    return value


def _when(value: datetime | None) -> str:
    return iso(value) or "" if value is not None else ""


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("extriage.case.dashboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_inert,
    )
    env.filters["when"] = _when
    env.globals["zip"] = zip
    return env


class Dashboard:
    """The routes over one open case. Handlers run in Starlette's thread pool: the database engine
    is shared (it is thread-safe), each thread gets its own :class:`CaseStore` around it (a store
    is not)."""

    def __init__(self, store: CaseStore, access: Access, case_shown: str) -> None:
        self._engine = store.engine
        self._shown = store.shown
        self._local = threading.local()
        self.access = access
        self.case_shown = case_shown
        self.env = _environment()

    @property
    def store(self) -> CaseStore:
        mine: CaseStore | None = getattr(self._local, "store", None)
        if mine is None:
            mine = self._local.store = CaseStore(self._engine, self._shown)
        return mine

    def page(self, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        template = self.env.get_template(name)
        html = template.render(case=self.case_shown, version=__version__, csrf=self.access.csrf, **values)
        return HTMLResponse(html, status_code=status)

    # -- the server table -------------------------------------------------------------------
    def servers(self, request: Request) -> Response:
        q = request.query_params
        verdicts = [v for v in q.getlist("verdict") if v in VERDICTS]
        prios = [p for p in q.getlist("priority") if p in priorities()]
        search = q.get("q", "").strip()[:200] or None
        sort = q.get("sort", "priority")
        sort = sort if sort in SORTS else "priority"
        descending = q.get("desc") == "1"
        page = _int(q.get("page"), 1, 1, 1_000_000)
        filters: dict[str, Any] = {"verdict": verdicts or None, "priority": prios or None, "search": search}
        total = self.store.count_servers(**filters)
        rows = self.store.servers(**filters, sort=sort, descending=descending, limit=PAGE_SIZE,
                                  offset=(page - 1) * PAGE_SIZE)
        keep = [("verdict", v) for v in verdicts] + [("priority", p) for p in prios]
        if search:
            keep.append(("q", search))

        def link(**change: Any) -> str:
            params = dict(sort=sort, desc="1" if descending else "0", page=str(page))
            params.update({k: str(v) for k, v in change.items()})
            return "?" + urlencode(keep + sorted(params.items()))

        def sort_link(column: str) -> str:
            flip = "0" if (column == sort and descending) else ("1" if column == sort else "0")
            return link(sort=column, desc=flip, page=1)

        return self.page(
            "servers.html",
            rows=rows,
            total=total,
            counts=self.store.counts(),
            verdicts=VERDICTS,
            priorities=priorities(),
            chosen_verdicts=verdicts,
            chosen_priorities=prios,
            search=search or "",
            sort=sort,
            descending=descending,
            sort_link=sort_link,
            page_no=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            prev_link=link(page=page - 1) if page > 1 else "",
            next_link=link(page=page + 1) if page * PAGE_SIZE < total else "",
        )

    # -- one server -------------------------------------------------------------------------
    def server(self, request: Request) -> Response:
        server_id = _int(request.path_params.get("server_id"), 0, 0, 2**62)
        summary = self.store.server(server_id)
        if summary is None:
            return self.page("missing.html", status=404, what="server")
        return self.page(
            "server.html",
            s=summary,
            findings=self.store.findings(server_id, limit=FINDINGS_SHOWN),
            log=self.store.response_log(server_id),
            states=RESPONSE_STATES,
            shown=FINDINGS_SHOWN,
            events=self.store.timeline(limit=200, server_id=server_id),
            saved=request.query_params.get("saved") == "1",
            problem="",
        )

    def report(self, request: Request) -> Response:
        """The server's full HTML report, built by the report's own renderer, under its own policy."""
        from extriage.report.html import render_html

        server_id = _int(request.path_params.get("server_id"), 0, 0, 2**62)
        result = self.store.result(server_id)
        if result is None:
            return self.page("missing.html", status=404, what="report (this server has no scan result)")
        html = render_html([result])
        found = _REPORT_CSP.search(html)
        policy = (html_lib.unescape(found.group(1)) if found else "default-src 'none'") + "; frame-ancestors 'none'"
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})

    async def set_state(self, request: Request) -> Response:
        server_id = _int(request.path_params.get("server_id"), 0, 0, 2**62)
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return Response("Form too large.", status_code=413, media_type="text/plain")
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        if not self.access.csrf_ok(form.get("csrf")):
            return Response("Refused: the form is stale or came from elsewhere; reload the page.",
                            status_code=403, media_type="text/plain")
        state = form.get("state", "")
        by = form.get("by", "").strip()[:MAX_NAME]
        note = form.get("note", "").strip()[:MAX_NOTE]
        try:
            await run_in_threadpool(partial(self.store.set_response_state, server_id, state, by, note))
        except CaseError as exc:
            summary = await run_in_threadpool(self.store.server, server_id)
            if summary is None:
                return self.page("missing.html", status=404, what="server")
            return self.page(
                "server.html", status=400, s=summary,
                findings=await run_in_threadpool(partial(self.store.findings, server_id, limit=FINDINGS_SHOWN)),
                log=await run_in_threadpool(self.store.response_log, server_id),
                events=await run_in_threadpool(partial(self.store.timeline, limit=200, server_id=server_id)),
                states=RESPONSE_STATES, shown=FINDINGS_SHOWN, saved=False, problem=str(exc),
            )
        return RedirectResponse(f"/server/{server_id}?saved=1", status_code=303)

    # -- the fleet --------------------------------------------------------------------------
    def indicators(self, request: Request) -> Response:
        return self.page("indicators.html", indicators=self.store.shared_indicators(min_servers=2, limit=1000))

    def timeline(self, request: Request) -> Response:
        return self.page("timeline.html", events=self.store.timeline(limit=2000))


def _int(value: Any, default: int, low: int, high: int) -> int:
    try:
        n = int(str(value))
    except (TypeError, ValueError):
        return default
    return min(max(n, low), high)


def build_app(store: CaseStore, access: Access, case_shown: str) -> Any:
    """The ASGI application: routes wrapped in the access guard."""
    d = Dashboard(store, access, case_shown)

    def safe(handler: Any) -> Any:  # sync handlers run in Starlette's thread pool
        def run(request: Request) -> Response:
            try:
                return handler(request)  # type: ignore[no-any-return]
            except CaseError as exc:
                return d.page("missing.html", status=503, what=f"case ({exc})")
        return run

    routes = [
        Route("/", safe(d.servers)),
        Route("/server/{server_id:int}", safe(d.server)),
        Route("/server/{server_id:int}/report", safe(d.report)),
        Route("/server/{server_id:int}/state", d.set_state, methods=["POST"]),
        Route("/indicators", safe(d.indicators)),
        Route("/timeline", safe(d.timeline)),
        Route("/favicon.ico", lambda request: Response(status_code=204)),  # browsers ask; nothing to show
        Mount("/static", app=StaticFiles(packages=[("extriage.case.dashboard", "static")]), name="static"),
    ]
    return Guard(Starlette(routes=routes), access)
