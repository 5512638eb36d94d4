"""The web file stage's IL analysis of compiled assemblies: which DLLs are read (compiled pages, site ``bin``
folders, Core sites' own assemblies, Exchange web folders' unvouched ``bin`` files), run in worker processes
beside the main one, and the coverage sentences on what was read, skipped and why.

Why workers: reading an assembly is CPU-bound Python (~0.3 CPU-s a MB of metadata, and the walk), so a site's
``bin`` of large libraries ran one DLL at a time in the main process while the scan's other cores idled.
Results are taken in the selection's order, so one process or several give the same findings and notes.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections import Counter
from typing import TYPE_CHECKING, Any

from extriage.detections.webfiles import content
from extriage.detections.webfiles.baseline import MODIFIED, UNKNOWN
from extriage.detections.webfiles.classify import FileFacts
from extriage.detections.webfiles.urls import UrlMapper
from extriage.evidence.locate import LocatedFile
from extriage.evidence.reading import read_bounded
from extriage.scan.context import ScanContext, worker_context

if TYPE_CHECKING:
    from extriage.scan.stages.webfiles import RunTotals, Selection

#: Problems of assemblies read partly (bad method bodies) named in the coverage, at most.
_IL_PROBLEMS_NAMED = 10


def _named(items: list[str], sep: str = ", ") -> str:
    """The first :data:`_IL_PROBLEMS_NAMED` of ``items`` joined, and how many more there are."""
    more = len(items) - _IL_PROBLEMS_NAMED
    return sep.join(items[:_IL_PROBLEMS_NAMED]) + (f" and {more} more" if more > 0 else "")
#: Bytes of assemblies to read as IL from which worker processes are started (a fork-server worker costs
#: ~0.1-0.2 s to start; a compiled page or handler is read in ~10 ms).
PARALLEL_MIN_IL = 512 * 1024
#: The main process analyses assemblies beside its workers (tests turn it off to check the workers).
MAIN_ANALYSES = True

#: What one analysis gave: ("ok", Report), ("native" | "unreadable", why), ("timeout", ""), ("failed", why).
Outcome = tuple[str, Any]


#: One assembly to analyse: (its bytes, its name, export its methods' reaches, the reaches it imports).
Job = tuple[bytes, str, bool, Any]


def analyse_one(data: bytes, name: str, limit: float, export: bool = False, imports: Any = None) -> Outcome:
    """The IL analysis of one assembly under the per-file CPU budget ``limit`` (in a worker or here); ``export``
    and ``imports``: :func:`~extriage.detections.webfiles.assembly.analysis.analyse`'s."""
    from extriage.detections.webfiles.assembly import analysis
    from extriage.detections.webfiles.assembly.reader import AssemblyError, NotDotNet
    from extriage.detections.webfiles.behaviour import budget

    deadline = budget.now() + limit
    try:
        with budget.bounded(deadline):
            return "ok", analysis.analyse(data, name, deadline, budget.now, export=export, imports=imports)
    except NotDotNet as exc:
        return "native", str(exc)
    except AssemblyError as exc:
        return "unreadable", str(exc)
    except budget.Timeout:
        return "timeout", ""
    except Exception as exc:  # a defect met on hostile IL: the file is named, the scan goes on
        return "failed", type(exc).__name__


def analyse_all(jobs: list[Job], limit: float, workers: int) -> list[Outcome]:
    """Every job's outcome, in the jobs' order. With ``workers`` > 1 and enough bytes, a pool of ``workers - 1``
    processes takes the jobs from the end (the largest: the jobs come smallest first) while this process takes
    them from the front, claiming each by cancelling its still-queued future, until it meets one a worker has."""
    total = sum(len(job[0]) for job in jobs)
    if workers < 2 or len(jobs) < 2 or total < PARALLEL_MIN_IL:
        return [analyse_one(data, name, limit, export, imports) for data, name, export, imports in jobs]
    out: list[Outcome | None] = [None] * len(jobs)
    with cf.ProcessPoolExecutor(max_workers=min(workers - 1, len(jobs)), mp_context=worker_context()) as pool:
        futures = {i: pool.submit(analyse_one, jobs[i][0], jobs[i][1], limit, jobs[i][2], jobs[i][3])
                   for i in reversed(range(len(jobs)))}
        for i in range(len(jobs)) if MAIN_ANALYSES else ():
            if not futures[i].cancel():
                break  # a worker has it: the rest are started or done
            del futures[i]
            out[i] = analyse_one(jobs[i][0], jobs[i][1], limit, jobs[i][2], jobs[i][3])
        for i, fut in futures.items():
            try:
                out[i] = fut.result()
            except Exception as exc:  # a worker died (memory, a signal): the file is named, never lost
                out[i] = ("failed", f"worker failed: {type(exc).__name__}")
    return [o if o is not None else ("failed", "not analysed") for o in out]


def assemblies(
    ctx: ScanContext,
    sel: Selection,
    totals: RunTotals,
    covered: bool,
    params: content.ContentParams,
    facts_list: list[FileFacts],
    mapper: UrlMapper,
    notes: list[str],
) -> None:
    """The IL analysis of the compiled assemblies where web shells are compiled or dropped
    (:mod:`~extriage.detections.webfiles.assembly.finding` says which): request input reaching a dangerous
    operation is a finding on the DLL. Exchange's own DLLs are not read: in its web folders only a ``bin``
    file the known-good baseline does not vouch for is (and only when the baseline covers this build).
    Each file is read again here (few: compiled pages, bin folders, Core sites) and analysed under the
    per-file budget, smallest first within the size bounds of
    :mod:`~extriage.detections.webfiles.assembly.finding`, in worker processes when there is enough of it."""
    if not any(content.file_name(f).lower().endswith((".dll", ".exe")) for f, _place in sel.deep.values()):
        return
    # imported here, not with the stage: dnfile and dncil cost ~0.07 CPU-s, which every scan paid before its
    # first log worker started (the stage imports come first); the prepare thread imports them beside the logs
    # stage when the evidence holds an assembly (extriage.scan.prepare)
    from extriage.detections.webfiles.assembly import finding as il_finding
    from extriage.detections.webfiles.behaviour import budget

    core_folders = frozenset(f.key.rsplit("/", 1)[0] for f, _program in totals.core_sites if "/" in f.key)
    unvouched = {f.key for f, _sha, _size, cls, _rel in totals.quiet if cls in (MODIFIED, UNKNOWN)}
    unvouched |= {f.key for f, _mode, out in totals.outcomes if out.data.get("bclass") in (MODIFIED, UNKNOWN)}
    chosen: list[tuple[LocatedFile, str]] = []
    exchange = packages = 0
    for f, _place in sel.deep.values():
        name = content.file_name(f)
        low = name.lower()
        if not low.endswith((".dll", ".exe")):
            continue
        if f.key in sel.rel:  # Exchange's web folders: its product DLLs, unless no baseline vouches for one
            if covered and low.endswith(".dll") and f.key in unvouched and "/bin/" in "/" + f.key:
                chosen.append((f, il_finding.WHY_EXCHANGE))
            else:
                exchange += 1
            continue
        why = il_finding.place(f.key, name, core_folders)
        if why is not None:
            chosen.append((f, why))
        elif f.key.rsplit("/", 1)[0] in core_folders:
            packages += 1
    if not chosen and not exchange:
        return
    limit = budget.for_timeout(params.timeout)
    chosen.sort(key=lambda pair: (pair[0].ref.size, pair[0].key))
    unread: list[str] = []  # over the size cap or beyond the scan's IL bytes (YARA read them)
    spent = 0
    taken: list[tuple[LocatedFile, str, str, str, int]] = []  # (file, why, shown, sha256, size)
    jobs: list[Job] = []
    for f, why in chosen:
        shown, name = content.display(f), content.file_name(f)
        if f.ref.size > il_finding.MAX_IL_BYTES or spent + f.ref.size > il_finding.MAX_IL_TOTAL:
            unread.append(shown)
            continue
        spent += f.ref.size
        try:
            data, sha = read_bounded(f.ref, f.ref.size, params.max_size)
        except OSError as exc:
            ctx.skip(shown, f"assembly could not be read again for its IL ({exc})", partial=True)
            continue
        if len(data) > params.max_size:
            continue  # (over the content cap: the stage's own read named it)
        ctx.record_file(shown, sha, len(data), f.ref.mtime)
        taken.append((f, why, shown, sha, len(data)))
        jobs.append((data, name, why == il_finding.WHY_COMPILED and name.lower().startswith("app_code"), None))
    outcomes = _in_two_rounds(taken, jobs, limit, ctx.options.workers())
    del jobs
    by_path = {facts.display: facts for facts in facts_list}
    read = flows = screened = 0
    native: list[str] = []
    unreadable: list[str] = []
    problems: list[str] = []
    places: Counter[str] = Counter()
    for (f, why, shown, sha, size), (kind, report) in zip(taken, outcomes, strict=True):
        if kind == "native":
            native.append(shown)  # a native DLL: YARA read it
            continue
        if kind == "unreadable":
            unreadable.append(shown)
            continue
        if kind == "timeout":
            ctx.skip(shown, f"IL analysis stopped after the {limit:g} s per-file limit (YARA ran)", partial=True)
            continue
        if kind != "ok":
            ctx.skip(shown, f"IL analysis failed ({report}; YARA ran)", partial=True)
            continue
        read += 1
        screened += report.screened
        places[why] += 1
        if report.problems:
            problems.append(f"{shown}: {report.problems[0]}")
            if any("time limit" in p for p in report.problems):
                ctx.skip(shown, f"IL analysis stopped after the {limit:g} s per-file limit (YARA ran)", partial=True)
        reasons = il_finding.reasons(report, why)
        if not reasons:
            continue
        flows += sum(1 for h in report.hits if h.confidence == "high")
        facts = by_path.get(shown)
        if facts is None:
            name = content.file_name(f)
            facts = FileFacts(shown, f.logical, name, sha, size, f.ref.mtime, mapper.url_for(f.key, f.logical))
            facts_list.append(facts)
            by_path[shown] = facts
        facts.reasons.extend(reasons)
    notes.append(assemblies_note(read, screened, places, flows, native, unreadable, exchange, packages, covered))
    if unread:
        notes.append(
            f"{len(unread)} assembl{'ies' if len(unread) != 1 else 'y'} where shells are compiled or dropped "
            f"{'were' if len(unread) != 1 else 'was'} not read as IL, only by YARA: the IL analysis reads assemblies "
            f"up to {il_finding.MAX_IL_BYTES // (1024 * 1024)} MB, smallest first, "
            f"{il_finding.MAX_IL_TOTAL // (1024 * 1024)} MB per scan (largest first: {_named(unread[::-1])})."
        )
    if problems:
        ctx.result.coverage.warn(f"Assemblies whose IL was read in part: {_named(problems, '; ')}.")


def _in_two_rounds(taken: list[tuple[LocatedFile, str, str, str, int]], jobs: list[Job], limit: float,
                   workers: int) -> list[Outcome]:
    """The App_Code assemblies first, exporting their public methods' parameter reaches, then the rest, each
    importing the reaches of the App_Code beside it (ASP.NET compiles a site's App_Code and its pages into one
    folder of Temporary ASP.NET Files): a page handing the request to a helper that runs it is one flow."""
    first = [i for i, job in enumerate(jobs) if job[2]]
    outcomes: list[Outcome | None] = [None] * len(jobs)
    exports: dict[str, dict[Any, Any]] = {}
    for i, outcome in zip(first, analyse_all([jobs[i] for i in first], limit, workers), strict=True):
        outcomes[i] = outcome
        if outcome[0] == "ok" and outcome[1].exports:
            exports.setdefault(taken[i][0].key.rsplit("/", 1)[0], {}).update(outcome[1].exports)
    rest = [i for i in range(len(jobs)) if outcomes[i] is None]
    second = [(*jobs[i][:3], exports.get(taken[i][0].key.rsplit("/", 1)[0])) for i in rest]
    for i, outcome in zip(rest, analyse_all(second, limit, workers), strict=True):
        outcomes[i] = outcome
    return [o if o is not None else ("failed", "not analysed") for o in outcomes]


def assemblies_note(
    read: int, screened: int, places: Counter[str], flows: int, native: list[str], unreadable: list[str],
    exchange: int, packages: int, covered: bool,
) -> str:
    """Coverage sentence of the IL analysis: what was read, where, what was found, what was not read and why."""
    where = ", ".join(f"{n} as {why}" for why, n in places.most_common())
    text = (
        f"{read} compiled .NET assembl{'ies' if read != 1 else 'y'} read as IL for request input reaching "
        f"dangerous operations ({where or 'none'}): {flows} flow{'s' if flows != 1 else ''} found."
    )
    if screened:
        text += (
            f" {screened} of them name{'s' if screened == 1 else ''} no request type, request-bound base or native "
            "import at all, so no request input can enter their code: not walked."
        )
    if native:
        text += f" {len(native)} DLL{'s' if len(native) != 1 else ''} with no .NET metadata (native code) read by YARA only."
    if unreadable:
        text += (
            f" {len(unreadable)} file{'s' if len(unreadable) != 1 else ''} unreadable as .NET metadata (read by YARA "
            f"only): {_named(unreadable)}."
        )
    if exchange:
        text += (
            f" Not read as IL: {exchange} DLL{'s' if exchange != 1 else ''} of Exchange's web folders "
            + ("(Exchange's own, vouched for by the known-good baseline)." if covered else
               "(the baseline does not cover this build, so Exchange's product DLLs cannot be told from others; YARA read them).")
        )
    if packages:
        text += f" {packages} framework or package assembl{'ies' if packages != 1 else 'y'} of ASP.NET Core sites (Microsoft.*, System.*) read by YARA only."
    return text
