"""Recording rules of one SLO: per-step counts once, then every window from those counts.

Counting is sloboard's own (``collectors.indicator_queries``): the rule evaluated every
``step`` seconds records the exact events of the step that ends at its evaluation, from
each counter's last sample at or before that time. Every longer window is then the sum
of those per-step counts over the window, errors over total:

    error ratio over W = sum_over_time(errors[W]) / sum_over_time(total[W])

so a window is weighted by its events (not an average of ratios), and what Prometheus
reads over 28 days is one aggregated series per SLO (and group) at one point per step,
not the raw counters.

A Timeslices or RatioTimeslices SLO whose slices are one step long (Sloth's raw SLIs, or
``timeSliceWindow`` equal to the step) also records each step's slice: good/total for
RatioTimeslices, ``good/total >= timeSliceTarget`` (1 or 0) for Timeslices, only for steps
with events; its SLI over the window is then the mean of those, as the engine's
``methods.budget_units`` counts slices. Longer slices are not recorded (``slo_window_gap``).

Ranges are ``W - 1 ms`` long: Prometheus 2.x ranges include their left end and 3.x ones
do not, and the recorded points are exactly one evaluation interval apart, so
``x[W - 1ms]`` holds W / step points under both, as sloboard's own windows do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sloboard.domain import SLO, BudgetingMethod, IndicatorKind, format_duration

from sloboard.engine.methods import slice_seconds

from ..indicator_queries import per_step_queries

TOTAL = "slo:sloboard_total:step_count"
GOOD = "slo:sloboard_good:step_count"
BAD = "slo:sloboard_bad:step_count"
ERRORS = "slo:sloboard_errors:step_count"
SLICE_GOOD = "slo:sloboard_slice_good:step"  # a one-step slice: its good share (0/1 for Timeslices)
OBJECTIVE = "slo:sloboard_objective:ratio"
SLI = "slo:sloboard_sli:ratio"
BUDGET_REMAINING = "slo:sloboard_error_budget_remaining:ratio"


def error_ratio_name(window: timedelta) -> str:
    return f"slo:sloboard_error_ratio:{format_duration(window)}"


@dataclass(frozen=True)
class RuleOptions:
    step_s: int = 60
    lookback_s: int = 300
    dashboard_url: str = "http://127.0.0.1:8050"


def number(value: float) -> str:
    """A float as PromQL: ``1 - 0.95`` as ``0.05``, not ``0.050000000000000044`` (12 digits are
    far more than any objective has)."""
    return repr(round(value, 12))


def quote(value: str) -> str:
    """A PromQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def slo_labels(slo: SLO) -> dict[str, str]:
    """The labels every series and alert of ``slo`` carries (an empty team is left out)."""
    labels = {"slo": slo.id, "service": slo.service}
    if slo.team:
        labels["team"] = slo.team
    return labels


def series(name: str, slo: SLO) -> str:
    """``name`` of ``slo`` only: the recorded series of several SLOs share names."""
    return f"{name}{{slo={quote(slo.id)}}}"


def count_rules(slo: SLO, options: RuleOptions) -> list[dict]:
    """The per-step total, numerator (good or bad) and errors. Raises ValueError when a query
    cannot be counted per step."""
    numerator, total = per_step_queries(slo.indicator, options.step_s, options.lookback_s)
    by = ", ".join(grouping(slo))
    # One series per group: the queries may return one per pod; the window sums then stay cheap.
    aggregate = f"sum by ({by})" if by else "sum"
    name = GOOD if slo.indicator.good is not None else BAD
    t, n, on = series(TOTAL, slo), series(name, slo), f"on({by})"
    # As the collector stores it: the numerator clipped to the step's total (scrape skew),
    # and no numerator where the total has data meaning zero (a 5xx series not yet created).
    clipped = f"({n} <= {on} {t}) or {on} ({t} and {on} {n}) or {on} {t} * 0"
    labels = slo_labels(slo)
    return [
        {"record": TOTAL, "expr": f"{aggregate} ({total})", "labels": labels},
        {"record": name, "expr": f"{aggregate} ({numerator})", "labels": dict(labels)},
        {"record": ERRORS, "expr": clipped if name == BAD else f"{t} - {on} ({clipped})", "labels": dict(labels)},
    ]


def window_sum(name: str, slo: SLO, window: timedelta) -> str:
    ms = int(window.total_seconds() * 1000) - 1  # see the module docstring
    return f"sum_over_time({series(name, slo)}[{ms}ms])"


def error_ratio_expr(slo: SLO, window: timedelta) -> str:
    return f"{window_sum(ERRORS, slo, window)} / {window_sum(TOTAL, slo, window)}"


def window_rules(slo: SLO) -> list[dict]:
    """The error ratio over every window of the SLO's alert table, and its objective."""
    windows = sorted({w for aw in slo.alert_windows for w in (aw.long, aw.short)})
    rules = [{"record": error_ratio_name(w), "expr": error_ratio_expr(slo, w), "labels": slo_labels(slo)}
             for w in windows]
    rules.append({"record": OBJECTIVE, "expr": f"vector({number(slo.objective)})", "labels": slo_labels(slo)})
    return rules


def grouping(slo: SLO) -> tuple[str, ...]:
    """The labels the rules keep apart. A raw ratio's or bool gauge's per-step queries already
    sum every series (``indicator_queries``), so their rules cover the whole SLO, as its status does."""
    events = slo.indicator.kind in (IndicatorKind.RATIO, IndicatorKind.LATENCY)
    return slo.indicator.group_by if events else ()


def slo_window_gap(slo: SLO, options: RuleOptions) -> str | None:
    """Why the SLI and budget over the SLO window cannot be recorded, or None when they can."""
    if not slo.window.is_rolling:
        return (f"its {slo.window.label} window starts at a calendar boundary, which a Prometheus range "
                "cannot follow")
    slice_s = slice_seconds(slo, options.step_s)
    if slo.budgeting is not BudgetingMethod.OCCURRENCES and slice_s != options.step_s:
        return (f"its {format_duration(timedelta(seconds=slice_s))} time slices are longer than the "
                f"{options.step_s} s step: at most instants the window's first and last slices are partial, "
                "which sloboard judges on the steps they hold and a PromQL subquery cannot (it reads whole slices)")
    return None


def slice_rules(slo: SLO) -> list[dict]:
    """The good share of each one-step slice, for a Timeslices or RatioTimeslices SLO (else none)."""
    if slo.budgeting is BudgetingMethod.OCCURRENCES:
        return []
    total = series(TOTAL, slo)
    ratio = f"({total} - {series(ERRORS, slo)}) / ({total} > 0)"  # no slice where the step has no events
    if slo.budgeting is BudgetingMethod.TIMESLICES:
        target = slo.objective if slo.timeslice_target is None else slo.timeslice_target
        ratio = f"{ratio} >= bool {number(target)}"
    return [{"record": SLICE_GOOD, "expr": ratio, "labels": slo_labels(slo)}]


def slo_window_rules(slo: SLO) -> list[dict]:
    """The SLI and the error budget remaining over the (rolling) SLO window: events for
    Occurrences, the mean of the one-step slices for the slice methods."""
    budget = number(1.0 - slo.objective)
    if slo.budgeting is BudgetingMethod.OCCURRENCES:
        sli = f"1 - ({error_ratio_expr(slo, slo.window.duration)})"
    else:
        ms = int(slo.window.duration.total_seconds() * 1000) - 1  # see the module docstring
        sli = f"avg_over_time({series(SLICE_GOOD, slo)}[{ms}ms])"
    return [
        {"record": SLI, "expr": sli, "labels": {**slo_labels(slo), "slo_window": slo.window.label}},
        {"record": BUDGET_REMAINING, "expr": f"1 - (1 - {series(SLI, slo)}) / {budget}",
         "labels": {**slo_labels(slo), "slo_window": slo.window.label}},
    ]
