"""Rewriting spec PromQL into per-step count queries (collectors.promql)."""

from __future__ import annotations

import re

import pytest

from collectors.promql import Modifiers, exact_rates, per_step_count_query, step_count, tokenize
from sloboard.domain import QueryMode
from sloboard.window_template import uses_window

LOOKBACK = 300
_MARK = re.compile(r"«(.*?)»", re.S)


def expand(expected: str, step: int = 60) -> str:
    """Expected rewrites write a selector's step count as «selector|offset=S|at=T»."""

    def one(match: re.Match) -> str:
        selector, *mods = re.split(r"\|(?=offset=|at=)", match.group(1))
        fields = dict(mod.split("=", 1) for mod in mods)
        modifiers = Modifiers(float(fields.get("offset", 0)), fields.get("at", ""))
        return step_count(selector, modifiers, step, LOOKBACK)

    return _MARK.sub(one, expected)


COUNTER_CASES = [
    pytest.param(
        'http_requests_total{job="api",code=~"5.."}',
        '«http_requests_total{job="api",code=~"5.."}»',
        id="pyrra errors selector is counted per step",
    ),
    pytest.param(
        'http_requests_total{job="api"}',
        '«http_requests_total{job="api"}»',
        id="pyrra total selector is counted per step",
    ),
    pytest.param(
        'sum(http_requests_total{service="checkout",code!~"5.."})',
        'sum(«http_requests_total{service="checkout",code!~"5.."}»)',
        id="openslo sum over a counter keeps the sum outside",
    ),
    pytest.param(
        "sum by (route, method) (http_requests_total{job=\"api\"})",
        "sum by (route, method) («http_requests_total{job=\"api\"}»)",
        id="grouping labels after by are not taken for selectors",
    ),
    pytest.param(
        "sum without(instance, pod)(grpc_server_handled_total{grpc_code!=\"OK\"})",
        "sum without(instance, pod)(«grpc_server_handled_total{grpc_code!=\"OK\"}»)",
        id="labels after without are not taken for selectors",
    ),
    pytest.param(
        "sum(http_requests_total) by (job)",
        "sum(«http_requests_total») by (job)",
        id="a trailing by clause is left alone",
    ),
    pytest.param(
        'http_request_duration_seconds_bucket{job="api",le="0.3"}',
        '«http_request_duration_seconds_bucket{job="api",le="0.3"}»',
        id="a latency bucket arrives as a counter and is counted like one",
    ),
    pytest.param(
        'sum(http_request_duration_seconds_count{job="api"})',
        'sum(«http_request_duration_seconds_count{job="api"}»)',
        id="a latency count arrives as a counter and is counted like one",
    ),
    pytest.param(
        'requests_total{path=~"/orders/{id},/carts/{id}"}',
        '«requests_total{path=~"/orders/{id},/carts/{id}"}»',
        id="braces and commas inside a matcher string do not end the selector",
    ),
    pytest.param(
        "requests_total{path='a\\'}b', q=`raw}`}",
        "«requests_total{path='a\\'}b', q=`raw}`}»",
        id="escaped quotes and raw strings are read as strings",
    ),
    pytest.param(
        '{__name__="http_requests_total",job="api"}',
        '«{__name__="http_requests_total",job="api"}»',
        id="a selector without a metric name is counted",
    ),
    pytest.param(
        "http_requests_total offset 5m",
        "«http_requests_total|offset=300»",
        id="offset is kept and the previous step end is one step further back",
    ),
    pytest.param(
        "sum(http_requests_total @ 1700000000 offset -1h)",
        "sum(«http_requests_total|at=1700000000|offset=-3600»)",
        id="at modifier and negative offset are kept",
    ),
    pytest.param(
        "sum(a_total) + on(job) group_left(team) sum(b_total)",
        "sum(«a_total») + on(job) group_left(team) sum(«b_total»)",
        id="every selector of a binary expression is counted but matching labels are not",
    ),
    pytest.param(
        'label_replace(up_total, "dst", "$1", "src", "(.*)")',
        'label_replace(«up_total», "dst", "$1", "src", "(.*)")',
        id="strings given to functions are not selectors",
    ),
    pytest.param(
        "job:http_requests:total",
        "«job:http_requests:total»",
        id="recording rule names with colons are selectors",
    ),
    pytest.param(
        "sum(x_total) * 2 > bool 0 and inf > 1",
        "sum(«x_total») * 2 > bool 0 and inf > 1",
        id="keywords and float literals are not selectors",
    ),
    pytest.param(
        "sum(\n  x_total  # comment with {braces}\n)",
        "sum(\n  «x_total»  # comment with {braces}\n)",
        id="comments and layout are kept",
    ),
]


@pytest.mark.parametrize(("query", "expected"), COUNTER_CASES)
def test_counter_mode_rewrites_each_selector(query, expected):
    assert per_step_count_query(query, QueryMode.COUNTER, 60) == expand(expected)


WINDOW_CASES = [
    pytest.param(
        'sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))',
        300,
        'sum(«http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}»)',
        id="a sloth rate over the window becomes the selector's count per step",
    ),
    pytest.param(
        'sum(rate(http_request_duration_seconds_count{job="myservice"}[{{ .window }}]))',
        60,
        'sum(«http_request_duration_seconds_count{job="myservice"}»)',
        id="the template may have spaces inside the braces",
    ),
    pytest.param(
        'sum(increase(http_requests_total{code=~"5.."}[{{.window}}]))',
        60,
        'sum(«http_requests_total{code=~"5.."}»)',
        id="an increase over the window becomes the same count",
    ),
    pytest.param(
        "sum(irate(x_total[{{.window}}])) + sum(rate(y_total[{{.window}}]))",
        60,
        "sum(«x_total») + sum(«y_total»)",
        id="each rate of a sum of rates is counted",
    ),
    pytest.param(
        "sum(rate(x_total[{{.window}}] offset 5m))",
        60,
        "sum(«x_total|offset=300»)",
        id="an offset after the window is kept",
    ),
    pytest.param(
        'sum(rate(x_total{path="{{ not a template }}"}[{{.window}}]))',
        60,
        'sum(«x_total{path="{{ not a template }}"}»)',
        id="template-like text inside a string is left alone",
    ),
]


@pytest.mark.parametrize(("query", "step", "expected"), WINDOW_CASES)
def test_window_mode_counts_the_selector_of_each_rate(query, step, expected):
    assert per_step_count_query(query, QueryMode.WINDOW, step) == expand(expected, step)


EXACT_RATE_CASES = [
    pytest.param("sum(rate(x_total[{{.window}}]))", "sum((«x_total» / 60))",
                 id="a rate over the window is the step count over the step"),
    pytest.param("sum(increase(deployments_total[{{.window}}]))", "sum(«deployments_total»)",
                 id="an increase over the window is the step count"),
    pytest.param(
        "histogram_quantile(0.9, sum by (le) (rate(h_bucket[{{.window}}])))",
        "histogram_quantile(0.9, sum by (le) ((«h_bucket» / 60)))",
        id="a quantile of bucket rates reads the exact rates",
    ),
    pytest.param("max_over_time(busy_ratio[{{.window}}])", "max_over_time(busy_ratio[60s])",
                 id="the window of any other function is the step"),
    pytest.param("max by (service) (busy_ratio)", "max by (service) (busy_ratio)",
                 id="a query without the window is left alone"),
]


@pytest.mark.parametrize(("query", "expected"), EXACT_RATE_CASES)
def test_exact_rates_in_queries_files(query, expected):
    assert exact_rates(query, 60) == expand(expected)


REFUSED = [
    pytest.param("rate(http_requests_total[5m])", QueryMode.COUNTER, "already has a range",
                 id="counter mode refuses a selector that already has a range"),
    pytest.param("max_over_time(x_total[1h:5m])", QueryMode.COUNTER, "already has a range",
                 id="counter mode refuses a subquery on a selector"),
    pytest.param("sum(x_total)[1h:5m]", QueryMode.COUNTER, "subqueries",
                 id="counter mode refuses a subquery on an expression"),
    pytest.param("rate(x_total[{{.window}}])", QueryMode.COUNTER, "window mode",
                 id="counter mode refuses the window template"),
    pytest.param("vector(1)", QueryMode.COUNTER, "names no counter",
                 id="counter mode refuses a query without a counter"),
    pytest.param("sum(x_total", QueryMode.COUNTER, "never closed",
                 id="an unclosed parenthesis is refused"),
    pytest.param('x_total{a="b}', QueryMode.COUNTER, "string is not closed",
                 id="an unclosed string is refused"),
    pytest.param("x_total offset", QueryMode.COUNTER, "offset needs a duration",
                 id="offset without a duration is refused"),
    pytest.param("sum(rate(x_total[5m]))", QueryMode.WINDOW, "window mode needs the template",
                 id="window mode refuses a query without the template"),
    pytest.param("rate(x_total[{{.interval}}])", QueryMode.WINDOW, "only {{.window}}",
                 id="window mode refuses an unknown template"),
    pytest.param("sum_over_time(x[{{.window}}])", QueryMode.WINDOW, "sum_over_time() does not count",
                 id="window mode refuses a function that does not count events"),
    pytest.param("x_total[{{.window}}]", QueryMode.WINDOW, "not inside a function",
                 id="window mode refuses a bare range"),
    pytest.param("rate(x[{{.window}}]) / increase(y[{{.window}}])", QueryMode.WINDOW, "mixes per-second",
                 id="window mode refuses mixing rate and increase"),
    pytest.param("rate(x[{{.window}}:1m])", QueryMode.WINDOW, "whole range",
                 id="window mode refuses the template inside a subquery range"),
    pytest.param("rate((x_total)[{{.window}}])", QueryMode.WINDOW, "plain selector",
                 id="window mode refuses a rate of anything but a selector"),
]


@pytest.mark.parametrize(("query", "mode", "message"), REFUSED)
def test_unrewritable_queries_raise_a_clear_value_error(query, mode, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        per_step_count_query(query, mode, 60)


def test_errors_name_the_column_of_the_problem():
    with pytest.raises(ValueError) as caught:
        per_step_count_query("sum(rate(errors_total[5m]))", QueryMode.COUNTER, 60)
    assert str(caught.value).startswith("column 22 of ")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("rate(x[{{.window}}])", True, id="the compact template is found"),
        pytest.param("rate(x[{{ .window }}])", True, id="the spaced template is found"),
        pytest.param('x{a="{{.window}}"}', False, id="a template inside a string does not count"),
        pytest.param("x_total", False, id="a plain selector has no template"),
    ],
)
def test_uses_window(query, expected):
    assert uses_window(query) is expected


def test_tokenizer_reads_matchers_strings_and_durations_as_single_tokens():
    tokens = tokenize('x{a=~"}{,",b!~\'c\'} offset 1h30m')
    assert [(t.kind, t.text) for t in tokens] == [
        ("ident", "x"), ("op", "{"), ("ident", "a"), ("op", "=~"), ("string", '"}{,"'), ("op", ","),
        ("ident", "b"), ("op", "!~"), ("string", "'c'"), ("op", "}"), ("ident", "offset"),
        ("duration", "1h30m"),
    ]


def test_step_must_be_positive_and_within_the_lookback():
    with pytest.raises(ValueError, match="positive"):
        per_step_count_query("x_total", QueryMode.COUNTER, 0)
    with pytest.raises(ValueError, match="lookback"):
        per_step_count_query("x_total", QueryMode.COUNTER, 600, lookback_s=300)
