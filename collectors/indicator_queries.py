"""The two per-step queries of an indicator: a numerator (good or bad) and a total whose
values at each step end T count the step ``(T - step, T]``. Pure functions, no I/O.

- RATIO and LATENCY count events: ``promql.per_step_count_query`` in the indicator's mode.
- RAW_RATIO (a precomputed 0-1 ratio) is one time slice per step and per series: the
  numerator is the ratio's value at T, clipped to [0, 1], the total the number of series
  with a value. Steps without a value are no data: ``sum``/``count`` of nothing is nothing,
  and NaN (a ratio of 0/0) is dropped, never read as 0 or 1. Sloth's ``rate(x[{{.window}}])``
  becomes the exact per-step rate (``promql.exact_rates``): a plain ``rate(x[60s])`` over a
  60 s scrape at an offset holds one sample and returns nothing.
- BOOL_GAUGE counts samples in the step, as Pyrra does: total ``count_over_time``, good
  ``sum_over_time`` (the number of 1s when the gauge is 0 or 1; another value counts as
  itself, as in Pyrra, and a step's good is clipped to its total when stored).

A sample exactly on a step end must count in one step only. Prometheus 2.x range
selectors are closed (``x[60s]`` at T holds ``[T-60, T]``), 3.x ones left-open
(``(T-60, T]``). With timestamps in milliseconds, ``x[59999ms]`` is ``(T-60, T]`` in 2.x
and ``x[60s]`` is it in 3.x, so the query picks one by asking the server which it is:
``count_over_time(vector(1)[1s:1s])`` has two points (T-1 and T) where ranges are
closed and one where they are left-open. The choice is made server-side per evaluation.
"""

from __future__ import annotations

import functools

from sloboard.domain import Indicator, IndicatorKind

from .promql import DEFAULT_LOOKBACK_S, exact_rates, per_step_count_query

# An instant vector that is present (value 2) exactly when range selectors include their left end.
CLOSED_RANGES = "(count_over_time(vector(1)[1s:1s]) == 2)"


@functools.lru_cache(maxsize=8192)  # pure; a long-running collector rewrites the same queries every pass
def per_step_queries(indicator: Indicator, step_s: int, lookback_s: int = DEFAULT_LOOKBACK_S) -> tuple[str, str]:
    """(numerator, total) queries of ``indicator`` per step. Raises ValueError naming what
    cannot be rewritten."""
    kind = IndicatorKind(indicator.kind)
    if kind is IndicatorKind.RAW_RATIO:
        return raw_ratio_queries(indicator.total, step_s, lookback_s)
    if kind is IndicatorKind.BOOL_GAUGE:
        return bool_gauge_queries(indicator.total, step_s)
    numerator = indicator.good if indicator.good is not None else indicator.bad
    return (per_step_count_query(numerator or "", indicator.mode, step_s, lookback_s),
            per_step_count_query(indicator.total, indicator.mode, step_s, lookback_s))


def raw_ratio_queries(ratio: str, step_s: int, lookback_s: int = DEFAULT_LOOKBACK_S) -> tuple[str, str]:
    """(sum of the ratio's series, count of them) at each step end, NaN dropped, clipped to [0, 1]."""
    query = exact_rates(ratio, step_s, lookback_s)  # unchanged without templates; ValueError if unreadable
    # clamp() keeps NaN; a comparison drops it, so a 0/0 step is no data.
    slices = f"(clamp(({query}), 0, 1) >= 0)"
    return f"sum({slices})", f"count({slices})"


def bool_gauge_queries(selector: str, step_s: int) -> tuple[str, str]:
    """(samples' sum, samples' count) of the gauge in each step, exact on Prometheus 2.x and 3.x."""
    if step_s <= 0:
        raise ValueError(f"step must be a positive number of seconds, got {step_s}")
    return f"sum({samples_in_step('sum_over_time', selector, step_s)})", \
        f"sum({samples_in_step('count_over_time', selector, step_s)})"


def samples_in_step(function: str, selector: str, step_s: int) -> str:
    """``function`` (an ``*_over_time``) over the samples in ``(T - step, T]``; see the module docstring."""
    closed = f"{function}({selector}[{step_s * 1000 - 1}ms])"
    left_open = f"{function}({selector}[{step_s}s])"
    return f"({closed} and on() {CLOSED_RANGES}) or ({left_open} unless on() {CLOSED_RANGES})"
