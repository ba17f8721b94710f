"""Rewriting spec PromQL into per-step count queries (collectors.promql)."""

from __future__ import annotations

import re

import pytest

from collectors.promql import has_window_template, per_step_count_query, tokenize
from sloboard.domain import QueryMode

COUNTER_CASES = [
    pytest.param(
        'http_requests_total{job="api",code=~"5.."}',
        'increase(http_requests_total{job="api",code=~"5.."}[60s])',
        id="pyrra errors selector is wrapped in increase over the step",
    ),
    pytest.param(
        'http_requests_total{job="api"}',
        'increase(http_requests_total{job="api"}[60s])',
        id="pyrra total selector is wrapped in increase over the step",
    ),
    pytest.param(
        'sum(http_requests_total{service="checkout",code!~"5.."})',
        'sum(increase(http_requests_total{service="checkout",code!~"5.."}[60s]))',
        id="openslo sum over a counter keeps the sum outside",
    ),
    pytest.param(
        "sum by (route, method) (http_requests_total{job=\"api\"})",
        "sum by (route, method) (increase(http_requests_total{job=\"api\"}[60s]))",
        id="grouping labels after by are not taken for selectors",
    ),
    pytest.param(
        "sum without(instance, pod)(grpc_server_handled_total{grpc_code!=\"OK\"})",
        "sum without(instance, pod)(increase(grpc_server_handled_total{grpc_code!=\"OK\"}[60s]))",
        id="labels after without are not taken for selectors",
    ),
    pytest.param(
        "sum(http_requests_total) by (job)",
        "sum(increase(http_requests_total[60s])) by (job)",
        id="a trailing by clause is left alone",
    ),
    pytest.param(
        'http_request_duration_seconds_bucket{job="api",le="0.3"}',
        'increase(http_request_duration_seconds_bucket{job="api",le="0.3"}[60s])',
        id="a latency bucket arrives as a counter and is wrapped like one",
    ),
    pytest.param(
        'sum(http_request_duration_seconds_count{job="api"})',
        'sum(increase(http_request_duration_seconds_count{job="api"}[60s]))',
        id="a latency count arrives as a counter and is wrapped like one",
    ),
    pytest.param(
        'requests_total{path=~"/orders/{id},/carts/{id}"}',
        'increase(requests_total{path=~"/orders/{id},/carts/{id}"}[60s])',
        id="braces and commas inside a matcher string do not end the selector",
    ),
    pytest.param(
        "requests_total{path='a\\'}b', q=`raw}`}",
        "increase(requests_total{path='a\\'}b', q=`raw}`}[60s])",
        id="escaped quotes and raw strings are read as strings",
    ),
    pytest.param(
        '{__name__="http_requests_total",job="api"}',
        'increase({__name__="http_requests_total",job="api"}[60s])',
        id="a selector without a metric name is wrapped",
    ),
    pytest.param(
        "http_requests_total offset 5m",
        "increase(http_requests_total[60s] offset 5m)",
        id="offset stays after the inserted range",
    ),
    pytest.param(
        "sum(http_requests_total @ 1700000000 offset -1h)",
        "sum(increase(http_requests_total[60s] @ 1700000000 offset -1h))",
        id="at modifier and negative offset stay after the range",
    ),
    pytest.param(
        "sum(a_total) + on(job) group_left(team) sum(b_total)",
        "sum(increase(a_total[60s])) + on(job) group_left(team) sum(increase(b_total[60s]))",
        id="every selector of a binary expression is wrapped but matching labels are not",
    ),
    pytest.param(
        'label_replace(up_total, "dst", "$1", "src", "(.*)")',
        'label_replace(increase(up_total[60s]), "dst", "$1", "src", "(.*)")',
        id="strings given to functions are not selectors",
    ),
    pytest.param(
        "job:http_requests:total",
        "increase(job:http_requests:total[60s])",
        id="recording rule names with colons are selectors",
    ),
    pytest.param(
        "sum(x_total) * 2 > bool 0 and inf > 1",
        "sum(increase(x_total[60s])) * 2 > bool 0 and inf > 1",
        id="keywords and float literals are not selectors",
    ),
    pytest.param(
        "sum(\n  x_total  # comment with {braces}\n)",
        "sum(\n  increase(x_total[60s])  # comment with {braces}\n)",
        id="comments and layout are kept",
    ),
]


@pytest.mark.parametrize(("query", "expected"), COUNTER_CASES)
def test_counter_mode_rewrites_each_selector(query, expected):
    assert per_step_count_query(query, QueryMode.COUNTER, 60) == expected


WINDOW_CASES = [
    pytest.param(
        'sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))',
        300,
        '(sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[300s]))) * 300',
        id="sloth rate query becomes counts per step by multiplying with the step",
    ),
    pytest.param(
        'sum(rate(http_request_duration_seconds_count{job="myservice"}[{{ .window }}]))',
        60,
        '(sum(rate(http_request_duration_seconds_count{job="myservice"}[60s]))) * 60',
        id="the template may have spaces inside the braces",
    ),
    pytest.param(
        'sum(increase(http_requests_total{code=~"5.."}[{{.window}}]))',
        60,
        'sum(increase(http_requests_total{code=~"5.."}[60s]))',
        id="an increase query already counts per step and is only substituted",
    ),
    pytest.param(
        "sum(irate(x_total[{{.window}}])) + sum(rate(y_total[{{.window}}]))",
        60,
        "(sum(irate(x_total[60s])) + sum(rate(y_total[60s]))) * 60",
        id="a sum of rates is multiplied as a whole",
    ),
    pytest.param(
        'sum(rate(x_total{path="{{ not a template }}"}[{{.window}}]))',
        60,
        '(sum(rate(x_total{path="{{ not a template }}"}[60s]))) * 60',
        id="template-like text inside a string is left alone",
    ),
]


@pytest.mark.parametrize(("query", "step", "expected"), WINDOW_CASES)
def test_window_mode_substitutes_the_step(query, step, expected):
    assert per_step_count_query(query, QueryMode.WINDOW, step) == expected


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
def test_has_window_template(query, expected):
    assert has_window_template(query) is expected


def test_tokenizer_reads_matchers_strings_and_durations_as_single_tokens():
    tokens = tokenize('x{a=~"}{,",b!~\'c\'} offset 1h30m')
    assert [(t.kind, t.text) for t in tokens] == [
        ("ident", "x"), ("op", "{"), ("ident", "a"), ("op", "=~"), ("string", '"}{,"'), ("op", ","),
        ("ident", "b"), ("op", "!~"), ("string", "'c'"), ("op", "}"), ("ident", "offset"),
        ("duration", "1h30m"),
    ]


def test_step_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        per_step_count_query("x_total", QueryMode.COUNTER, 0)
