"""The filter bar every page shows, and the URL query string it lives in.

Filters are controls with pattern-matching ids ``{"type": "filter", "name": NAME}``:
``range`` (24h/7d/30d/90d or custom), ``team``, ``service``, ``q`` (search) and
``refresh`` (auto-refresh interval). A custom range takes its first and last day from
a date picker (``{"type": "filter-dates", "name": "range"}``), shown only while
"custom" is chosen; the days land in the URL as ``start`` and ``end``. A page's
``layout(**query)`` receives the query string (Dash pages passes it) and builds its
bar from it, so a shared link opens the same view. App-wide callbacks
(``register_callbacks``) keep the URL and the nav links in step with the controls,
show the date picker, and set the page's ``dcc.Interval`` from ``refresh``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from ..context import current

RANGES = {"24h": 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400, "90d": 90 * 86_400}
CUSTOM = "custom"
DEFAULT_RANGE = "7d"
REFRESH = {"off": 0, "30s": 30, "1m": 60, "5m": 300}
DEFAULT_REFRESH = "1m"
# Carried into the nav links, so the range and filters survive a page change.
SHARED = ("range", "start", "end", "team", "service", "refresh")
NAV = (("overview", "/", "Overview"), ("deployments", "/deployments", "Deployments"),
       ("cost", "/cost", "Cost"), ("collection", "/collection", "Collection health"),
       ("reports", "/reports", "Reports"))


def filter_id(name: str) -> dict[str, str]:
    return {"type": "filter", "name": name}


def dates_id(name: str) -> dict[str, str]:
    return {"type": "filter-dates", "name": name}


def tick_id(page: str) -> dict[str, str]:
    return {"type": "tick", "page": page}


def _day(text) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Filters:
    """The filter values of one request, validated: unknown values fall back to defaults.

    ``start``/``end`` (``YYYY-MM-DD``, the last day included) belong to a custom range
    only; a custom range without two valid days in order falls back to the default.
    """

    range: str = DEFAULT_RANGE
    team: str | None = None
    service: str | None = None
    q: str = ""
    refresh: str = DEFAULT_REFRESH
    start: str | None = None
    end: str | None = None

    @classmethod
    def parse(cls, range=None, team=None, service=None, q=None, refresh=None, start=None, end=None,
              **_ignored) -> "Filters":
        first, last = _day(start), _day(end)
        custom = range == CUSTOM and first is not None and last is not None and first <= last
        return cls(
            range=range if range in RANGES or custom else DEFAULT_RANGE,
            team=team or None,
            service=service or None,
            q=(q or "").strip(),
            refresh=refresh if refresh in REFRESH else DEFAULT_REFRESH,
            start=first.isoformat() if custom else None,
            end=last.isoformat() if custom else None,
        )

    def span(self, at: int, tz: str) -> tuple[int, int]:
        """The epoch seconds ``(start, end]`` the range covers, never past ``at``.

        A preset ends at ``at``; a custom range runs from local midnight of its first
        day to local midnight after its last day, in ``tz`` (the zone the days were
        picked in), cut at ``at``; days wholly after ``at`` give the day before it.
        """
        if self.range != CUSTOM:
            return at - RANGES[self.range], at
        zone = ZoneInfo(tz)
        def midnight(day: date) -> int:
            return int(datetime.combine(day, datetime.min.time(), zone).timestamp())
        end = min(midnight(date.fromisoformat(self.end) + timedelta(days=1)), at)
        start = midnight(date.fromisoformat(self.start))
        return (start if start < end else end - 86_400), end  # days wholly ahead: the last day

    def describe(self) -> str:
        """The range in words, after "in": ``the last 7d`` or ``2026-09-01 to 2026-09-10``."""
        return f"{self.start} to {self.end}" if self.range == CUSTOM else f"the last {self.range}"

    def cost_scope(self) -> str:
        """The cost scope the filters choose: a service, else a team, else the total."""
        if self.service:
            return f"service:{self.service}"
        if self.team:
            return f"team:{self.team}"
        return "total"

    def query_string(self, names=SHARED) -> str:
        values = {name: getattr(self, name) for name in names}
        defaults = {"range": DEFAULT_RANGE, "refresh": DEFAULT_REFRESH, "q": ""}
        kept = {k: v for k, v in values.items() if v and v != defaults.get(k)}
        return "?" + urlencode(kept) if kept else ""


def _dropdown(name: str, label: str, options: list[str], value, placeholder: str) -> html.Label:
    return html.Label(
        [
            html.Span(label, className="filter-label"),
            dcc.Dropdown(
                id=filter_id(name),
                options=[{"label": o, "value": o} for o in options],
                value=value if value in options else None,
                placeholder=placeholder,
                clearable=True,
                className="filter-dropdown",
            ),
        ],
        className="filter",
    )


def _radio(name: str, label: str, options, value: str) -> html.Div:
    return html.Div(
        [
            html.Span(label, className="filter-label"),
            dcc.RadioItems(
                id=filter_id(name),
                options=[{"label": o, "value": o} for o in options],
                value=value,
                inline=True,
                className="segmented",
            ),
        ],
        className="filter",
        role="group",
        **{"aria-label": label},
    )


def _date_picker(filters: Filters, today: date) -> html.Div:
    """First and last day of a custom range: the URL's, else the last seven days."""
    if filters.range == CUSTOM:
        first, last = filters.start, filters.end
    else:
        first, last = (today - timedelta(days=6)).isoformat(), today.isoformat()
    return html.Div(
        [
            html.Span("Custom range (first and last day)", className="filter-label"),
            dcc.DatePickerRange(id=dates_id("range"), start_date=first, end_date=last, display_format="YYYY-MM-DD",
                                minimum_nights=0, clearable=False, first_day_of_week=1,
                                # A day ahead: the browser's zone may already be in tomorrow.
                                max_date_allowed=(today + timedelta(days=1)).isoformat()),
        ],
        className="filter filter-dates",
        id={"type": "filter-custom", "name": "range"},
        style=None if filters.range == CUSTOM else {"display": "none"},
    )


def filter_bar(
    page: str,
    filters: Filters,
    *,
    teams: list[str] | None = None,
    services: list[str] | None = None,
    search: bool = False,
    range_note: str = "",
) -> html.Div:
    """The controls a page offers, plus its refresh ``dcc.Interval``.

    Every page has ``range`` (with its custom date picker, which offers the last seven
    days unless the URL names days) and ``refresh``; team and service where
    a list of choices is given (even an empty one, so the page's callbacks always find
    the control), and search when asked.
    """
    ctx = current()
    today = datetime.fromtimestamp(ctx.at(), ZoneInfo(ctx.settings.timezone)).date()
    controls = [_radio("range", "Time range", [*RANGES, CUSTOM], filters.range),
                _date_picker(filters, today)]
    if teams is not None:
        controls.append(_dropdown("team", "Team", list(teams), filters.team, "All teams"))
    if services is not None:
        controls.append(_dropdown("service", "Service", list(services), filters.service, "All services"))
    if search:
        controls.append(
            html.Label(
                [
                    html.Span("Search", className="filter-label"),
                    dcc.Input(id=filter_id("q"), type="search", value=filters.q, placeholder="SLO, service or team",
                              debounce=False, className="filter-search"),
                ],
                className="filter",
            )
        )
    controls.append(_radio("refresh", "Auto-refresh", REFRESH, filters.refresh))
    seconds = REFRESH[filters.refresh]
    return html.Div(
        [
            html.Div(controls, className="filter-bar"),
            html.Div(range_note, className="range-note") if range_note else None,
            dcc.Interval(id=tick_id(page), interval=max(seconds, 1) * 1000, disabled=seconds == 0),
        ]
    )


def register_callbacks(app) -> None:
    """App-wide: controls -> URL query and nav links; "custom" shows the date picker;
    ``refresh`` -> the page's Interval."""

    @app.callback(
        Output("url", "search"),
        *[Output(f"nav-{name}", "href") for name, _, _ in NAV],
        Input(filter_id(ALL), "value"),
        Input(dates_id(ALL), "start_date"),
        Input(dates_id(ALL), "end_date"),
        State(filter_id(ALL), "id"),
    )
    def sync_url(values, starts, ends, ids):
        if not ids:  # a page without filters (404): leave the URL alone
            raise PreventUpdate
        chosen = {i["name"]: v for i, v in zip(ids, values)}
        filters = Filters.parse(**chosen, start=next(iter(starts), None), end=next(iter(ends), None))
        shared = filters.query_string()
        return (filters.query_string((*chosen, "start", "end")), *[path + shared for _, path, _ in NAV])

    app.clientside_callback(
        """
        function (values, ids, wrappers) {
            const at = ids.findIndex(id => id.name === "range");
            const custom = at >= 0 && values[at] === "custom";
            return wrappers.map(() => (custom ? {} : {display: "none"}));
        }
        """,
        Output({"type": "filter-custom", "name": ALL}, "style"),
        Input(filter_id(ALL), "value"),
        State(filter_id(ALL), "id"),
        State({"type": "filter-custom", "name": ALL}, "id"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(tick_id(ALL), "interval"),
        Output(tick_id(ALL), "disabled"),
        Input(filter_id(ALL), "value"),
        State(filter_id(ALL), "id"),
        State(tick_id(ALL), "id"),
        prevent_initial_call=True,
    )
    def set_refresh(values, ids, ticks):
        chosen = {i["name"]: v for i, v in zip(ids, values)}
        seconds = REFRESH[Filters.parse(**chosen).refresh]
        return [max(seconds, 1) * 1000] * len(ticks), [seconds == 0] * len(ticks)
