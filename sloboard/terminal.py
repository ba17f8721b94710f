"""``sloboard status`` on a terminal: fixed-width tables of a status report."""

from __future__ import annotations

from .reads.cost import MONTH
from .reads.dora import ALL_SERVICES
from .reads.status import StatusReport
from .timeparse import iso


def _fmt_pct(value: float | None, digits: int = 3) -> str:
    return "no data" if value is None else f"{value * 100:.{digits}f}%"


def _fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _columns(header: tuple[str, ...], rows: list[tuple]) -> list[str]:
    lines = [header, *rows]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    return ["  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines]


def _fmt_usd(value: float | None) -> str:
    return "no data" if value is None else f"${value:,.2f}"


def render_table(report: StatusReport) -> str:
    """Fixed-width tables for a terminal (SLOs, then DORA and cost when there are any);
    "no data" where nothing is known."""
    at = iso(report.at)
    if not report.slos:
        return f"at {at}: no SLOs loaded (put specs in slo_specs/ and run sloboard validate)"
    slo_rows = []
    for r in report.slos:
        firing = [f"{a.severity}({a.long}/{a.short})" for a in r.alerts if a.firing]
        slo_rows.append(
            (
                r.id,
                _fmt_pct(r.objective),
                r.window,
                _fmt_pct(r.sli),
                _fmt_pct(r.budget_remaining, 1),
                _fmt_rate(r.burn_rates.get("1h")),
                ", ".join(firing) or ("-" if r.sli is not None else "no data"),
                _fmt_pct(r.data_completeness, 0),
            )
        )
    out = [f"SLO status at {at}"]
    out += _columns(("SLO", "objective", "window", "SLI", "budget left", "burn 1h", "alerts", "data"), slo_rows)
    if report.dora:
        out += ["", "Deployments (DORA)"]
        out += _columns(
            ("service", "window", "deploys", "per day", "change failure", "rollbacks", "restore (median)"),
            [
                (
                    "all" if d.service == ALL_SERVICES else d.service,
                    d.window,
                    d.deployments,
                    f"{d.deployment_frequency_per_day:.2f}",
                    _fmt_pct(d.change_failure_rate, 1),
                    _fmt_pct(d.rollback_rate, 1),
                    "-" if d.time_to_restore_median_s is None else f"{d.time_to_restore_median_s / 3600:.1f}h",
                )
                for d in report.dora
            ],
        )
    month = [c for c in report.cost if c.window == MONTH]
    if month:
        out += ["", "Cost, month to date"]
        out += _columns(
            ("scope", "spent", "forecast", "budget"),
            [(c.name, _fmt_usd(c.usd), _fmt_usd(c.forecast_usd), _fmt_usd(c.budget_usd) if c.budget_usd is not None else "-")
             for c in month],
        )
    return "\n".join(out)
