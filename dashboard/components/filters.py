"""The filter bar every page shows, and the URL query string it lives in.

Filters are controls with pattern-matching ids ``{"type": "filter", "name": NAME}``:
``range`` (24h/7d/30d/90d), ``team``, ``service``, ``q`` (search) and ``refresh``
(auto-refresh interval). A page's ``layout(**query)`` receives the query string
(Dash pages passes it) and builds its bar from it, so a shared link opens the same
view. Two app-wide callbacks (``register_callbacks``) keep the URL and the nav links
in step with the controls, and set the page's ``dcc.Interval`` from ``refresh``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

RANGES = {"24h": 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400, "90d": 90 * 86_400}
DEFAULT_RANGE = "7d"
REFRESH = {"off": 0, "30s": 30, "1m": 60, "5m": 300}
DEFAULT_REFRESH = "1m"
# Carried into the nav links, so the range and filters survive a page change.
SHARED = ("range", "team", "service", "refresh")
NAV = (("overview", "/", "Overview"), ("deployments", "/deployments", "Deployments"),
       ("cost", "/cost", "Cost"), ("collection", "/collection", "Collection health"))


def filter_id(name: str) -> dict[str, str]:
    return {"type": "filter", "name": name}


def tick_id(page: str) -> dict[str, str]:
    return {"type": "tick", "page": page}


@dataclass(frozen=True)
class Filters:
    """The filter values of one request, validated: unknown values fall back to defaults."""

    range: str = DEFAULT_RANGE
    team: str | None = None
    service: str | None = None
    q: str = ""
    refresh: str = DEFAULT_REFRESH

    @property
    def range_s(self) -> int:
        return RANGES[self.range]

    @classmethod
    def parse(cls, range=None, team=None, service=None, q=None, refresh=None, **_ignored) -> "Filters":
        return cls(
            range=range if range in RANGES else DEFAULT_RANGE,
            team=team or None,
            service=service or None,
            q=(q or "").strip(),
            refresh=refresh if refresh in REFRESH else DEFAULT_REFRESH,
        )

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

    Every page has ``range`` and ``refresh``; team and service where a list of choices
    is given (even an empty one, so the page's callbacks always find the control),
    and search when asked.
    """
    controls = [_radio("range", "Time range", RANGES, filters.range)]
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
    """App-wide: controls -> URL query and nav links; ``refresh`` -> the page's Interval."""

    @app.callback(
        Output("url", "search"),
        *[Output(f"nav-{name}", "href") for name, _, _ in NAV],
        Input(filter_id(ALL), "value"),
        State(filter_id(ALL), "id"),
    )
    def sync_url(values, ids):
        if not ids:  # a page without filters (404): leave the URL alone
            raise PreventUpdate
        chosen = {i["name"]: v for i, v in zip(ids, values)}
        filters = Filters.parse(**chosen)
        shared = filters.query_string()
        return (filters.query_string(tuple(chosen)), *[path + shared for _, path, _ in NAV])

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
