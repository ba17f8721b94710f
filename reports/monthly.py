"""The monthly compliance report, for auditors: exact, complete, verifiable.

Cover, contents, then per SLO over the calendar month (objective, SLI with good and total
events, budget consumed, met or missed), the error-budget policy's freezes and the
deployments made during one, every deployment of the month (no row left out, however
many: the table continues across pages under a repeated header), data completeness,
every collector failure, and the audit log's hash chain with the month's first and last
entry hashes. Written as PDF/A-3b by ``publish``, in parts (``paged``): the cover and
contents (``monthly/front.html``), then each section from a page of its own, its long
table laid out a few hundred rows at a time, so that 1,000 SLOs and 5,000 deployments
fit in memory.
"""

from __future__ import annotations

import bisect
import math
from typing import Sequence

from sloboard.domain import SLO
from sloboard.engine.policy import FREEZE, policy_state
from sloboard.reads.history import budget_history

from . import kpis
from .data import period_deployments, period_gaps, period_slos
from .delivery import Headline
from .paged import BodyPage, FIRST_BODY_PAGE, PagedDocument, Part
from .periods import Period
from .render import Built, local_time, number, pct, render

POLICY_STEP_S = 3600  # the policy state is checked at every hour's end
_TRAIL_TIME = "%m-%d %H:%M"  # the year is the report's; the trail's header says so
# Rows per <tbody> of the long tables (the trail, and the SLO, policy and completeness
# tables at 1,000 SLOs): WeasyPrint lays a table out page by page and walks each row
# group's rows from the top on every page, so one group of 5,000 rows costs rows x pages;
# groups of 50 keep that walk short (the header still repeats per page).
ROW_GROUP = 50
TITLE = "sloboard \u00b7 monthly compliance report"
RUNS_READ = 10_000_000  # collector runs: every run of the store (newest first), then the month's


def build_monthly(store, slos: Sequence[SLO], period: Period, *, step_s: int, **_unused) -> Built:
    tz = period.timezone
    entries = period_slos(store, slos, period, step_s)
    deploys = period_deployments(store, period)
    recorded_by = _recorders(store)
    policy, frozen = _policy_events(store, slos, deploys, period, step_s)
    trail = [{"n": i, "service": d.service, "version": d.version, "status": d.status.value.replace("_", " "),
              "started": local_time(d.started_at.timestamp(), tz, _TRAIL_TIME),
              "finished": local_time(d.finished_at.timestamp(), tz, _TRAIL_TIME) if d.finished_at else "\u2013",
              "source": d.source, "commit": d.commit or "\u2013",
              "by": recorded_by.get((d.service, d.version, d.started_at.isoformat()), "\u2013"),
              "frozen": ", ".join(frozen.get(i - 1, ())) or "\u2013"}
             for i, d in enumerate(deploys, 1)]
    met, known = kpis.attained(entries)
    sentence = f"{met} of {known} SLOs met their objective in {period.label}; {len(deploys)} deployments."
    ok, broken = store.verify_audit()
    month_audit = [e for e in store.audit_entries(limit=None) if period.start <= e.at < period.end]
    failures = [r for r in store.runs(limit=RUNS_READ)
                if r.status == "failed" and period.start <= r.started_at < period.end]
    slo_rows = [{"id": e.id, "objective": pct(e.objective, 3), "sli": pct(e.sli, 4), "good": number(e.good),
                 "total": number(e.total), "consumed": pct(e.budget_consumed, 2), "status": kpis.slo_status(e)}
                for e in entries]
    gaps = [{"id": g.slo_id, "expected": number(g.expected), "present": number(g.present),
             "missing": pct(g.missing / g.expected, 3) if g.expected else "no steps due",
             "longest": _gap(g.longest_gap_s)} for g in period_gaps(store, slos, period, step_s)]
    failed = [{"when": local_time(r.started_at, tz), "query": r.query_key, "error": r.error or "\u2013"}
              for r in reversed(failures)]
    audit = {"ok": ok, "broken": broken, "count": len(month_audit),
             "first": month_audit[0].hash if month_audit else None,
             "last": month_audit[-1].hash if month_audit else None,
             "first_at": local_time(month_audit[0].at, tz) if month_audit else None,
             "last_at": local_time(month_audit[-1].at, tz) if month_audit else None}

    def front(body_pages: list[BodyPage]) -> str:
        return render("monthly/front.html", period, TITLE, headline=sentence, deployments=len(trail),
                      body_pages=body_pages, first_body_page=FIRST_BODY_PAGE)

    document = PagedDocument(front, (
        _part("monthly/slos.html", slo_rows, period),
        _part("monthly/policy.html", policy, period),
        _part("monthly/trail.html", trail, period),
        _part("monthly/completeness.html", gaps, period),
        _part("monthly/failures.html", failed, period, audit=audit),
    ))
    return Built(document, Headline(sentence, (("SLOs met", f"{met} of {known}"), ("Deployments", str(len(deploys))))))


def _part(template: str, rows: list[dict], period: Period, **context) -> Part:
    """A section of its own pages whose table holds ``rows`` (each given its index)."""
    rows = [{**row, "row": i} for i, row in enumerate(rows)]

    def html(start: int, stop: int) -> str:
        return render(template, period, TITLE, rows=rows[start:stop], count=len(rows), first=start == 0,
                      last=stop == len(rows), row_group=ROW_GROUP, **context)

    return Part(html, len(rows))


def _recorders(store) -> dict[tuple[str, str, str], str]:
    """Who recorded each deployment, from the audit log's ``deployment.record`` entries."""
    out = {}
    for entry in store.audit_entries(limit=None, action="deployment.record"):
        p = entry.payload
        out[(str(p.get("service")), str(p.get("version")), str(p.get("started_at")))] = entry.actor
    return out


def _policy_events(store, slos: Sequence[SLO], deploys, period: Period, step_s: int
                   ) -> tuple[list[dict], dict[int, list[str]]]:
    """Freezes of each SLO's error-budget policy in the month (budget over the SLO's own
    window, as the deploy gate weighs it, at every hour's end), and for each deployment
    (by its index in ``deploys``) the SLOs of its service that were frozen when it started."""
    hours = max(1, (period.end - period.start) // POLICY_STEP_S)
    history = budget_history(store, list(slos), period.end, period.end - period.start, step_s=step_s,
                             max_points=hours)
    started: dict[str, list[tuple[float, int]]] = {}  # per service: (start, index in deploys), oldest first
    for i, d in enumerate(deploys):
        started.setdefault(d.service, []).append((d.started_at.timestamp(), i))
    out, frozen = [], {}
    for slo in sorted(slos, key=lambda s: s.id):
        series = history[slo.id]
        states = [policy_state(slo.policy, None if math.isnan(v) else float(v)) for v in series.values]
        spans, began = [], None
        for t, state in zip(series.ts, states):
            if state == FREEZE and began is None:
                began = int(t)
            elif state != FREEZE and began is not None:
                spans.append((began, int(t)))
                began = None
        if began is not None:
            spans.append((began, None))
        service = started.get(slo.service, [])
        for start, end in spans:
            # The service's deployments that started in [start, end): a slice of its sorted starts.
            lo = bisect.bisect_left(service, (start, -1))
            hi = bisect.bisect_left(service, (end if end is not None else period.end, -1))
            during = [i for _t, i in service[lo:hi]]
            for i in during:
                frozen.setdefault(i, []).append(slo.name)
            out.append({"id": slo.id, "began": local_time(start, period.timezone),
                        "ended": local_time(end, period.timezone) if end is not None else "still frozen at month end",
                        "deploys": len(during)})
    return out, frozen


def _gap(seconds: int) -> str:
    if not seconds:
        return "none"
    return f"{seconds // 60:,} min" if seconds < 7200 else f"{seconds / 3600:,.1f} h"
