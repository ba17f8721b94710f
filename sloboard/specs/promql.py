"""Just enough PromQL reading to check specs: the ``{{.window}}`` template, selectors, ``by``.

This is not a PromQL parser. It finds vector selectors (``name{label="v", ...}``) and
``by (...)`` clauses well enough to compare a good query with its total query, and to
rewrite a histogram selector into its ``le`` bucket and ``_count`` series. Anything it
cannot read with confidence it leaves alone (the checks then say nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..window_template import PROMQL_STRING, WINDOW_TEMPLATE

_WINDOW_RE = re.compile(WINDOW_TEMPLATE)
_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SELECTOR_RE = re.compile(rf"({_NAME})?\s*\{{((?:[^}}\"'`]|{PROMQL_STRING})*)\}}")
_MATCHER_RE = re.compile(rf"\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*({PROMQL_STRING})\s*(?:,|$)")
_GROUPING_RE = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
             "unless", "offset", "inf", "nan", "atan2"}
_HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str
    literal: str  # the quoted value as written, quotes included

    @property
    def value(self) -> str:
        return self.literal[1:-1]

    def __str__(self) -> str:
        return f"{self.label}{self.op}{self.literal}"


@dataclass(frozen=True)
class Selector:
    name: str
    matchers: tuple[Matcher, ...]

    def matcher(self, label: str) -> Matcher | None:
        return next((m for m in self.matchers if m.label == label), None)

    def render(self, extra: tuple[Matcher, ...] = (), drop: tuple[str, ...] = ()) -> str:
        kept = [m for m in self.matchers if m.label not in drop] + list(extra)
        return f"{self.name}{{{','.join(str(m) for m in kept)}}}" if kept else self.name


def _matchers(body: str) -> tuple[Matcher, ...] | None:
    found, pos = [], 0
    body = body.strip()
    while pos < len(body):
        m = _MATCHER_RE.match(body, pos)
        if m is None:
            return None
        found.append(Matcher(m.group(1), m.group(2), m.group(3)))
        pos = m.end()
    return tuple(found)


def parse_selector(text: str) -> Selector | None:
    """A query that is exactly one vector selector, as Pyrra and counter specs write them."""
    text = text.strip()
    m = _SELECTOR_RE.fullmatch(text)
    if m is None:
        return Selector(text, ()) if re.fullmatch(_NAME, text) else None
    matchers = _matchers(m.group(2))
    if matchers is None:
        return None
    name = m.group(1) or ""
    named = next((x for x in matchers if x.label == "__name__" and x.op == "="), None)
    if not name and named is not None:
        name = named.value
        matchers = tuple(x for x in matchers if x is not named)
    return Selector(name, matchers) if name else None


def selectors(query: str) -> list[Selector] | None:
    """Every vector selector in ``query``; None when one cannot be read."""
    found: list[Selector] = []
    for m in _SELECTOR_RE.finditer(query):
        if m.group(0).startswith("{{"):
            continue
        selector = parse_selector(m.group(0))
        if selector is None:
            return None
        found.append(selector)
    # Bare metric names: what is left once selectors, strings, ranges and clauses are gone.
    rest = _SELECTOR_RE.sub(" ", _WINDOW_RE.sub("w", query))
    rest = re.sub(PROMQL_STRING, " ", rest)
    rest = re.sub(r"\[[^\]]*\]", " ", rest)
    rest = _GROUPING_RE.sub(" ", rest)
    for m in re.finditer(rf"(?<![\w.:]){_NAME}(?![\w:])(?!\s*\()", rest):
        if m.group(0).lower() not in _KEYWORDS:
            found.append(Selector(m.group(0), ()))
    return found


def grouping(query: str) -> frozenset[str] | None:
    """The labels of the outermost ``by (...)``; None when the query has none."""
    clauses = [m for m in _GROUPING_RE.finditer(query) if m.group(1) == "by"]
    if not clauses:
        return None
    return frozenset(x.strip() for x in clauses[0].group(2).split(",") if x.strip())


def metric_family(name: str) -> str:
    """``x_bucket``, ``x_count`` and ``x_sum`` all belong to histogram ``x``."""
    for suffix in _HISTOGRAM_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def histogram_series(selector: Selector, le_literal: str) -> tuple[str, str]:
    """The good (``_bucket`` at ``le``) and total (``_count``) series of a histogram selector.

    ``le_literal`` is the bound exactly as the exporter writes it (``"0.3"``): Prometheus
    does not normalise ``le`` values, so ``0.30`` and ``0.3`` are different series.
    """
    family = metric_family(selector.name)
    base = Selector(family, selector.matchers)
    good = Selector(f"{family}_bucket", base.matchers).render(
        extra=(Matcher("le", "=", f'"{le_literal}"'),), drop=("le",))
    total = Selector(f"{family}_count", base.matchers).render(drop=("le",))
    return good, total


def latency_threshold(good: str, total: str) -> float | None:
    """The ``le`` bound when good is one histogram bucket and total its ``_count``, else None."""
    good_sel, total_sel = selectors(good), selectors(total)
    if not good_sel or not total_sel or len(good_sel) != 1 or len(total_sel) != 1:
        return None
    bucket, count = good_sel[0], total_sel[0]
    le = bucket.matcher("le")
    if (le is None or le.op != "=" or not bucket.name.endswith("_bucket")
            or count.name != f"{metric_family(bucket.name)}_count"):
        return None
    try:
        return float(le.value)
    except ValueError:
        return None


def counter_mismatches(numerator: str, total: str) -> list[str]:
    """Why a counter-mode good (or bad) query and its total may not describe the same events.

    The numerator must count a subset of the total's events: the same metric family,
    every matcher of the total also on the numerator, and the same ``by`` labels.
    Queries with several selectors are not compared.
    """
    num_sel, total_sel = selectors(numerator), selectors(total)
    if not num_sel or not total_sel or len(num_sel) != 1 or len(total_sel) != 1:
        return []
    a, b = num_sel[0], total_sel[0]
    found = []
    if metric_family(a.name) != metric_family(b.name):
        found.append(f"reads metric {a.name} but the total reads {b.name}; "
                     "a ratio of two different metrics rarely means what it says")
    missing = [m for m in b.matchers if m.label != "le" and m not in a.matchers]
    if missing:
        found.append("the total selects {" + ",".join(map(str, missing)) + "} but this query "
                     "does not, so it counts events outside the total")
    by_a, by_b = grouping(numerator), grouping(total)
    if by_a != by_b:
        found.append(f"groups by {_labels(by_a)} but the total by {_labels(by_b)}; "
                     "the label sets must match to divide them")
    return found


def _labels(labels: frozenset[str] | None) -> str:
    return "(" + ", ".join(sorted(labels)) + ")" if labels else "nothing"
