"""Tables: ``dash_table.DataTable`` with CSV export, readable defaults and an empty state.

Cells that name an SLO or a service are real links (``<a href>``: middle-click, copy
link): markdown cells whose href keeps the page's time range and filters. DataTable's
own export would write their markdown into the CSV, so a table with links exports
through ``assets/tables.js`` instead, which writes the link text; a left click on such
a link navigates inside the app, as ``dcc.Link`` does.
"""

from __future__ import annotations

import re
from typing import Any, Sequence
from urllib.parse import quote

from dash import ClientsideFunction, Input, Output, State, dash_table, dcc, html

from .empty import empty_state

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
# Where a cell of each linkable column leads; its value fills the braces.
LINKS = {"slo": "/slo/{}", "service": "/service/{}"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")
# Tables wider than this many columns scroll sideways on a phone; they say so there.
PHONE_COLUMNS = 4


def column(col_id: str, name: str, kind: str = "text") -> dict[str, Any]:
    return {"id": col_id, "name": name, "type": "numeric" if kind == "numeric" else "text"}


def link_href(column_id: str, value: Any, query: str = "") -> str:
    """Where ``value`` of ``column_id`` (a key of ``LINKS``) leads, with the page's ``query``."""
    return LINKS[column_id].format(quote(str(value), safe="/")) + query


def link_cell(column_id: str, value: Any, query: str = "") -> str:
    """The markdown link a cell of ``column_id`` shows for ``value``."""
    text = str(value)
    href = link_href(column_id, text, query)
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)  # the id shows as written, never as emphasis
    return f"[{escaped}]({href})"


def data_table(
    table_id: str,
    columns: Sequence[dict[str, Any]],
    rows: Sequence[dict[str, Any]],
    *,
    empty_title: str,
    empty_hint: str,
    page_size: int = 25,
    style_data_conditional: Sequence[dict] = (),
    link_columns: Sequence[str] = (),
    query: str = "",
    caption: str = "",
) -> html.Div:
    """A sortable table whose "Export" button downloads the rows shown as CSV.

    ``link_columns`` (keys of ``LINKS``) show links that carry ``query`` (the page's
    query string); the page registers the table with :func:`register_link_table`. With
    no rows the table is replaced by an empty state that says what to do.
    """
    if not rows:
        return empty_state(empty_title, empty_hint, element_id=f"{table_id}-empty")
    if link_columns:
        rows = [{**r, **{c: link_cell(c, r[c], query) for c in link_columns if r.get(c) is not None}} for r in rows]
        columns = [{**c, "presentation": "markdown"} if c["id"] in link_columns else c for c in columns]
    return html.Div(
        [
            html.P(caption, className="table-caption") if caption else None,
            html.P("Swipe the table sideways for more columns.", className="scroll-hint")
            if len(columns) > PHONE_COLUMNS else None,
            *([html.Button("Export", id=f"{table_id}-export", className="export"),
               dcc.Download(id=f"{table_id}-download")] if link_columns else []),
            dash_table.DataTable(
                id=table_id,
                columns=list(columns),
                data=list(rows),
                export_format="none" if link_columns else "csv",
                export_headers="display",
                sort_action="native",
                page_action="native" if len(rows) > page_size else "none",
                page_size=page_size,
                cell_selectable=False,
                markdown_options={"link_target": "_self"},
                style_as_list_view=True,
                style_table={"overflowX": "auto"},
                style_header={"fontWeight": "600", "backgroundColor": "var(--header-bg)", "whiteSpace": "normal"},
                # The type size is relative to the page's, so it grows on a wall screen.
                style_cell={"fontFamily": FONT, "fontSize": "0.93em", "padding": "5px 8px", "textAlign": "left",
                            "maxWidth": "420px", "overflow": "hidden", "textOverflow": "ellipsis"},
                style_data_conditional=list(style_data_conditional),
            ),
        ],
        className="table-wrap",
    )


def bar_style(row_filter: str, column_id: str, fraction: float | None, color: str) -> dict[str, Any]:
    """A horizontal bar behind one cell, ``fraction`` of its width (clamped to 0..1)."""
    width = 0.0 if fraction is None else max(0.0, min(1.0, fraction)) * 100
    return {
        "if": {"filter_query": row_filter, "column_id": column_id},
        "background": f"linear-gradient(90deg, {color} 0%, {color} {width:.1f}%, transparent {width:.1f}%, transparent 100%)",
        "backgroundSize": "100% 60%",
        "backgroundRepeat": "no-repeat",
        "backgroundPosition": "center",
    }


def quoted(value: str) -> str:
    """A string literal for a DataTable ``filter_query``."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def register_link_table(app, table_id: str) -> None:
    """The Export button of a table with ``link_columns``: the rows shown (sorted as shown,
    every page of them) as ``<table_id>.csv``, links written as their text."""
    app.clientside_callback(
        ClientsideFunction("sloboard", "exportCsv"),
        Output(f"{table_id}-download", "data"),
        Input(f"{table_id}-export", "n_clicks"),
        State(table_id, "derived_virtual_data"),
        State(table_id, "columns"),
        State(table_id, "id"),
        prevent_initial_call=True,
    )
