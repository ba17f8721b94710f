"""Tables: ``dash_table.DataTable`` with CSV export, readable defaults and an empty state."""

from __future__ import annotations

from typing import Any, Sequence
from urllib.parse import quote

from dash import Input, Output, State, dash_table, html
from dash.exceptions import PreventUpdate

from .empty import empty_state

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def column(col_id: str, name: str, kind: str = "text") -> dict[str, Any]:
    return {"id": col_id, "name": name, "type": "numeric" if kind == "numeric" else "text"}


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
    caption: str = "",
) -> html.Div:
    """A sortable table whose "Export" button downloads the rows shown as CSV.

    ``link_columns`` look like links; a page callback on ``active_cell`` follows them.
    With no rows the table is replaced by an empty state that says what to do.
    """
    if not rows:
        return empty_state(empty_title, empty_hint, element_id=f"{table_id}-empty")
    link_styles = [{"if": {"column_id": c}, "color": "var(--link)", "textDecoration": "underline", "cursor": "pointer"}
                   for c in link_columns]
    return html.Div(
        [
            html.P(caption, className="table-caption") if caption else None,
            dash_table.DataTable(
                id=table_id,
                columns=list(columns),
                data=list(rows),
                export_format="csv",
                export_headers="display",
                sort_action="native",
                page_action="native" if len(rows) > page_size else "none",
                page_size=page_size,
                cell_selectable=bool(link_columns),
                style_as_list_view=True,
                style_table={"overflowX": "auto"},
                style_header={"fontWeight": "600", "backgroundColor": "var(--header-bg)", "whiteSpace": "normal"},
                # The type size is relative to the page's, so it grows on a wall screen.
                style_cell={"fontFamily": FONT, "fontSize": "0.93em", "padding": "5px 8px", "textAlign": "left",
                            "maxWidth": "420px", "overflow": "hidden", "textOverflow": "ellipsis"},
                style_data_conditional=link_styles + list(style_data_conditional),
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


def register_link_columns(app, table_id: str, links: dict[str, str]) -> None:
    """Clicking a cell of a column in ``links`` navigates to ``links[column].format(value)``,
    keeping the current query string (time range and filters)."""

    @app.callback(
        Output("nav", "href", allow_duplicate=True),
        Input(table_id, "active_cell"),
        State(table_id, "derived_viewport_data"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def follow(cell, rows, search):
        if not cell or cell.get("column_id") not in links or not rows or cell["row"] >= len(rows):
            raise PreventUpdate
        value = str(rows[cell["row"]][cell["column_id"]])
        return links[cell["column_id"]].format(quote(value, safe="/")) + (search or "")
