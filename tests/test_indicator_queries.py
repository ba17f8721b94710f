"""Per-step queries of raw-ratio and bool-gauge indicators (``collectors.indicator_queries``).

The PromQL is checked as text here; tests/integration/test_raw_and_bool_indicators.py
checks what a real Prometheus answers to it.
"""

from __future__ import annotations

import pytest

from collectors.indicator_queries import CLOSED_RANGES, bool_gauge_queries, per_step_queries, raw_ratio_queries
from collectors.promql import per_step_count_query
from collectors.targets import SLITarget
from sloboard.domain import Indicator, IndicatorKind, QueryMode
from sloboard.errors import SpecError
from tests.factories import make_slo

GAUGE = 'probe_success{job="blackbox"}'


def test_a_bool_gauge_counts_its_samples_in_the_step_by_the_servers_own_range_rule():
    good, total = bool_gauge_queries(GAUGE, 60)
    def per_version(f: str) -> str:
        return f"({f}({GAUGE}[59999ms]) and on() {CLOSED_RANGES}) or ({f}({GAUGE}[60s]) unless on() {CLOSED_RANGES})"

    assert good == f"sum({per_version('sum_over_time')})"
    assert total == f"sum({per_version('count_over_time')})"


def test_the_closed_range_probe_is_a_one_second_subquery_of_a_constant():
    # Two points (T-1 s and T) where ranges include their left end (2.x), one where not (3.x).
    assert CLOSED_RANGES == "(count_over_time(vector(1)[1s:1s]) == 2)"


def test_a_raw_ratio_is_summed_and_counted_per_series_with_nan_dropped_and_values_clipped():
    good, total = raw_ratio_queries('slo:sli_ratio{service="search"}', 60)
    assert good == 'sum((clamp((slo:sli_ratio{service="search"}), 0, 1) >= 0))'
    assert total == 'count((clamp((slo:sli_ratio{service="search"}), 0, 1) >= 0))'


def test_a_window_template_in_a_raw_ratio_becomes_the_exact_per_step_rate():
    good, _ = raw_ratio_queries("sum(rate(errors_total[{{.window}}])) / sum(rate(requests_total[{{.window}}]))", 60)
    assert "{{" not in good and "rate(" not in good
    assert "last_over_time(errors_total[300s])" in good and "last_over_time(requests_total[300s] offset 60s)" in good


def test_a_window_template_outside_rate_gets_the_step_as_its_range():
    good, _ = raw_ratio_queries("1 - (sum(sum_over_time(x[{{.window}}])) / sum(count_over_time(x[{{.window}}])))", 60)
    assert good == "sum((clamp((1 - (sum(sum_over_time(x[60s])) / sum(count_over_time(x[60s])))), 0, 1) >= 0))"


@pytest.mark.parametrize("kind", [IndicatorKind.RAW_RATIO, IndicatorKind.BOOL_GAUGE])
def test_the_numerator_of_a_raw_or_gauge_indicator_is_its_good_side_whatever_it_is_called(kind):
    # A failure ratio is held as bad: collect then takes good = total - Σ error ratios.
    success = per_step_queries(Indicator(kind=kind, good=GAUGE, total=GAUGE), 60)
    failure = per_step_queries(Indicator(kind=kind, bad=GAUGE, total=GAUGE), 60)
    assert success == failure


def test_event_indicators_keep_their_counter_and_window_rewrites():
    ratio = Indicator(kind=IndicatorKind.RATIO, bad='sum(x{code=~"5.."})', total="sum(x)")
    assert per_step_queries(ratio, 60, 300) == (per_step_count_query('sum(x{code=~"5.."})', QueryMode.COUNTER, 60, 300),
                                                per_step_count_query("sum(x)", QueryMode.COUNTER, 60, 300))


def test_a_raw_query_that_cannot_be_read_names_the_spec():
    slo = make_slo(indicator=Indicator(kind=IndicatorKind.RAW_RATIO, good='x{a="b}', total='x{a="b}'))
    with pytest.raises(SpecError, match="cannot count events per step: .*string is not closed"):
        SLITarget(slo).per_step_queries(60)


def test_a_bool_gauge_needs_a_positive_step():
    with pytest.raises(ValueError, match="positive"):
        bool_gauge_queries(GAUGE, 0)
