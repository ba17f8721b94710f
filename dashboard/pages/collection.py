"""Collection health: the last run of every query, gaps in each SLO's samples, and the
spec problems that kept SLOs out of the dashboard."""

from __future__ import annotations

import dash
from dash import Input, Output, html

from dashboard.components import format as fmt
from dashboard.components.filters import Filters, filter_bar, tick_id
from dashboard.components.levels import BAD, GOOD, UNKNOWN, WARN
from dashboard.components.tables import data_table, register_link_table
from dashboard.components.tiles import tile, tiles
from dashboard.components.view import read_view, view_inputs
from dashboard.context import current
from sloboard.reads.health import STALE_INTERVALS, freshness, last_runs, sample_gaps

dash.register_page(__name__, path="/collection", name="Collection health", title="Collection health · sloboard",
                   order=3)

PAGE = "collection"


def layout(**query):
    return html.Div(
        [
            html.H1("Collection health"),
            filter_bar(PAGE, Filters.parse(**query),
                       range_note="Runs and gaps do not depend on the time range: gaps are counted over each "
                                  "SLO's own window."),
            html.Div(id="collection-body"),
        ]
    )


# Each status with an icon and a word (and a row colour in runs_table), so that it reads in grey scale too.
RUN_LABELS = {"ok": "✓ ok", "incomplete": "⚠ incomplete", "failed": "✕ failed", "interrupted": "⊘ interrupted",
              "running": "… running"}
FINISHED = ("ok", "incomplete", "failed")  # closed by their own collector: a duration and a count


def runs_table(runs, tz: str):
    rows = [
        {
            "query": r.query_key,
            "collector": r.collector,
            "status": RUN_LABELS.get(r.status, f"… {r.status}"),
            "started": fmt.when(r.started_at, tz),
            # A run still going, or one killed (closed later by the next collector), has neither.
            "duration_s": round(r.finished_at - r.started_at, 3) if r.status in FINISHED else None,
            "samples": r.samples_written if r.status in FINISHED else None,
            "range": f"{fmt.when(r.range_start, tz)} → {fmt.when(r.range_end, tz)}",
            "error": r.error or "",
        }
        for r in runs
    ]
    columns = [
        {"id": "query", "name": "Query"},
        {"id": "collector", "name": "Collector"},
        {"id": "status", "name": "Last run"},
        {"id": "started", "name": f"Started ({tz})"},
        {"id": "duration_s", "name": "Duration (s)", "type": "numeric"},
        {"id": "samples", "name": "Samples", "type": "numeric"},
        {"id": "range", "name": "Range collected"},
        {"id": "error", "name": "Error"},
    ]
    styles = [{"if": {"filter_query": '{status} contains "failed"'}, "backgroundColor": "var(--bad-bg)"},
              {"if": {"filter_query": '{status} contains "incomplete"'}, "backgroundColor": "var(--warn-bg)"},
              {"if": {"filter_query": '{status} contains "interrupted"'}, "backgroundColor": "var(--info-bg)"},
              # An error says what happened and who did it: wrapped, not cut at the cell's width.
              {"if": {"column_id": "error"}, "whiteSpace": "normal", "minWidth": "260px"}]
    return data_table("collection-runs-table", columns, rows, empty_title="No collector runs yet",
                      empty_hint="Run `sloboard collect` once, or `sloboard run` to collect every minute.",
                      style_data_conditional=styles)


def gaps_table(gaps, tz: str, query: str = ""):
    rows = [
        {
            "slo": g.slo_id,
            "window_start": fmt.when(g.window_start, tz),
            "expected": g.expected,
            "present": g.present,
            "missing": g.missing,
            "completeness": None if g.expected == 0 else round(100 * min(g.present, g.expected) / g.expected, 2),
            "longest_gap": fmt.seconds(g.longest_gap_s) if g.longest_gap_s else "none",
            "newest": fmt.when(g.newest, tz),
        }
        for g in gaps
    ]
    columns = [
        {"id": "slo", "name": "SLO"},
        {"id": "window_start", "name": f"Window start ({tz})"},
        {"id": "expected", "name": "Steps expected", "type": "numeric"},
        {"id": "present", "name": "Steps with samples", "type": "numeric"},
        {"id": "missing", "name": "Missing", "type": "numeric"},
        {"id": "completeness", "name": "Complete (%)", "type": "numeric"},
        {"id": "longest_gap", "name": "Longest gap"},
        {"id": "newest", "name": "Newest sample"},
    ]
    styles = [{"if": {"filter_query": "{missing} > 0", "column_id": "missing"}, "color": "var(--warn)",
               "fontWeight": "600"}]
    return data_table("collection-gaps-table", columns, rows, empty_title="No SLOs loaded",
                      empty_hint="Add SLO specs and run `sloboard validate`.", style_data_conditional=styles,
                      link_columns=("slo",), query=query,
                      caption="Steps newer than the collection lag plus one step are not due yet and are "
                              "not counted.")


def problems_table(problems):
    rows = [{"where": f"{p.path}:{p.line}" if p.line else p.path, "field": p.field, "severity": p.severity,
             "message": p.message} for p in problems]
    columns = [{"id": "where", "name": "File"}, {"id": "field", "name": "Field"},
               {"id": "severity", "name": "Severity"}, {"id": "message", "name": "Message"}]
    return data_table("collection-problems-table", columns, rows, empty_title="Every spec is valid",
                      empty_hint="`sloboard validate` finds no problem in the spec files.")


def spec_errors_detail(errors, kept_files: list[str]) -> str:
    """Where the errors are and what became of those files' SLOs: skipped, or (after a
    reload) served as they were at the last good load."""
    text = f"in {len({p.path for p in errors})} file(s)"
    if kept_files:
        return text + f"; the last good SLOs of {len(kept_files)} file(s) are kept until they load again"
    return text + "; those SLOs are skipped"


def register_callbacks(app) -> None:
    register_link_table(app, "collection-gaps-table")

    @app.callback(
        Output("collection-body", "children"),
        *view_inputs(),
        Input(tick_id(PAGE), "n_intervals"),
    )
    def render(values, ids, starts, ends, browser, _tick):
        ctx = current()
        view = read_view(ctx, values, ids, starts, ends, browser)
        at, tz = view.at, view.tz
        runs = last_runs(ctx.store)
        # The collector stays collect.lag_s behind now: the newest steps are not missing, only not due.
        not_due_s = ctx.settings.collect.lag_s + ctx.step_s
        gaps = sample_gaps(ctx.store, ctx.slos, at, ctx.step_s, not_due_s=not_due_s)
        fresh = freshness(ctx.store, at, ctx.settings.collect.interval_s, slo_ids=[s.id for s in ctx.slos],
                          lag_s=ctx.settings.collect.lag_s)
        failing = len(fresh.failed_runs) + len(fresh.interrupted_runs)
        missing = sum(g.missing for g in gaps)
        errors = [p for p in ctx.problems if p.severity == "error"]
        stale_after = STALE_INTERVALS * ctx.settings.collect.interval_s
        return [
            tiles([
                tile("Queries", str(len(runs)), GOOD if runs else UNKNOWN, "with at least one run",
                     tile_id="tile-queries"),
                tile("Failing queries", str(failing), BAD if failing else GOOD if runs else UNKNOWN,
                     "last run failed or was cut short", tile_id="tile-failing"),
                tile("Newest sample", fmt.age(fresh.age_s),
                     UNKNOWN if fresh.age_s is None else WARN if fresh.age_s > stale_after else GOOD,
                     fmt.when(fresh.newest, tz), tile_id="tile-newest"),
                tile("Missing steps", f"{missing:,}", GOOD if missing == 0 else WARN,
                     f"over the SLO windows, up to {fmt.seconds(not_due_s)} ago", tile_id="tile-missing"),
                tile("Spec errors", str(len(errors)), BAD if errors else GOOD, spec_errors_detail(errors, ctx.kept_files),
                     tile_id="tile-specs"),
            ]),
            html.H2("Last run per query"),
            runs_table(runs, tz),
            html.H2("Gaps per SLO"),
            gaps_table(gaps, tz, view.filters.query_string()),
            html.H2("Spec problems"),
            problems_table(ctx.problems),
        ]
