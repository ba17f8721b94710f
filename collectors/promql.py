"""Turn PromQL into a query whose value at each step end is the exact count of events in
that step, on real scrapes: samples at any offset from the step grid, any scrape
interval up to the lookback, jitter, counter resets, and range selectors closed at both
ends (Prometheus 2.x) or open on the left (3.x).

Counts come from each counter's *last sample at or before* a step end, never from
``increase(x[step])``, which extrapolates and, at a 60 s scrape off the grid, holds a
single sample per window and returns nothing. For one series, at step end T:

- ``A`` = its last sample in ``(T - L, T]`` and ``B`` = its last sample in
  ``(T - step - L, T - step]``: ``last_over_time`` over the lookback ``L`` (5 minutes by
  default), which skips the staleness markers a failed scrape writes, so a target that is
  gone for less than ``L`` loses nothing;
- the step's events are ``A - B``, plus, when the counter reset inside the step, the
  value it had before the reset: the largest sample of the step or ``B``, ``C``, which
  is then above ``A`` (a monotonic counter's last sample is its largest);
- a series without ``B`` (new, or back after a gap longer than ``L``) counts from its
  first sample on: that sample is its baseline, never a count.

Summed over steps, the counts telescope to the reset-corrected change between the first
and last sample, which is exact to the event. The query's own aggregations and
arithmetic then apply to these per-series counts, server-side, as it wrote them.

Two readings of a spec query (``sloboard.domain.QueryMode``):

- COUNTER: the query names counters (Pyrra, most OpenSLO examples); every vector
  selector ``s`` becomes the step count of ``s``, its ``offset``/``@`` modifiers kept.
- WINDOW: the query carries Sloth's ``{{.window}}`` template, each one the range of a
  ``rate``, ``irate`` or ``increase`` of a selector; each such call becomes the step
  count of its selector. The query then counts events, the unit it had multiplied by
  its window.

Queries files (golden signals, deployments) use ``$window`` the same way:
``exact_rates`` turns ``rate``/``irate`` of a selector into its step count over the
step (per second) and ``increase`` into its step count; any other use of the window
gets the step as a plain duration.

One PromQL limit remains: two resets of one series inside one step count the first
only. Rewriting uses a small PromQL tokenizer rather than regular expressions, so
braces, commas and keywords inside label-matcher strings are left alone. Results keep
the user's own spelling and spacing; only the rewritten selectors are new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sloboard.domain import QueryMode
from sloboard.window_template import WINDOW_TEMPLATE

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<template>""" + WINDOW_TEMPLATE + r""")
  | (?P<other_template>\{\{)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`)
  | (?P<duration>(?:\d+(?:ms|[smhdwy]))+(?![\w.]))
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^=<>,(){}\[\]@:])
    """,
    re.VERBOSE,
)

AGGREGATIONS = frozenset(
    {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
     "bottomk", "topk", "quantile"}
)
# Keywords followed by a parenthesised list of label names, not by an expression.
_LABEL_LIST_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_OPERATOR_KEYWORDS = frozenset({"and", "or", "unless", "bool", "atan2"})
_FLOAT_LITERALS = frozenset({"inf", "nan"})
_PER_SECOND = frozenset({"rate", "irate"})
_PER_WINDOW = frozenset({"increase"})
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class Token:
    kind: str  # template | string | duration | number | ident | op
    text: str
    start: int  # offset in the query
    end: int


def tokenize(promql: str) -> list[Token]:
    """The query's tokens, without whitespace and comments. Raises ValueError on stray text."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(promql):
        match = _TOKEN.match(promql, pos)
        if match is not None and match.lastgroup == "other_template":
            raise ValueError(_at(promql, pos, "unknown template; only {{.window}} is supported"))
        if match is None:
            if promql[pos] in "\"'`":
                raise ValueError(_at(promql, pos, "string is not closed"))
            raise ValueError(_at(promql, pos, f"unexpected character {promql[pos]!r}"))
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup, match.group(), match.start(), match.end()))
        pos = match.end()
    return tokens


# Prometheus's default lookback (--query.lookback-delta): the longest a series may go
# without a sample and still count across the gap.
DEFAULT_LOOKBACK_S = 300


@dataclass(frozen=True)
class Modifiers:
    """A selector's ``offset`` (seconds, may be negative) and ``@`` text, to repeat after a range."""

    offset_s: float = 0.0
    at: str = ""

    def text(self, extra_offset_s: int = 0) -> str:
        out = f" @ {self.at}" if self.at else ""
        offset = self.offset_s + extra_offset_s
        if offset:
            out += f" offset {_duration(offset)}"
        return out


def step_count(selector: str, modifiers: Modifiers, step_s: int, lookback_s: int) -> str:
    """PromQL for the events of each series of ``selector`` in the step ending at each
    evaluation time: ``A - B + (C if C > A else 0)`` as the module docstring derives it."""
    a = f"last_over_time({selector}[{lookback_s}s]{modifiers.text()})"
    b = f"last_over_time({selector}[{lookback_s}s]{modifiers.text(step_s)})"
    top = f"max_over_time({selector}[{step_s}s]{modifiers.text()})"
    return f"({a} - {b} + (({top} > {b} or {b}) > {a} or {a} * 0))"


def per_step_count_query(promql: str, mode: QueryMode, step_s: int, lookback_s: int = DEFAULT_LOOKBACK_S) -> str:
    """The query whose value at time T counts the events in ``(T - step_s, T]``."""
    _check_step(step_s, lookback_s)
    if QueryMode(mode) is QueryMode.WINDOW:
        return rewrite_window(promql, step_s, lookback_s)
    return rewrite_counter(promql, step_s, lookback_s)


def rewrite_window(promql: str, step_s: int, lookback_s: int = DEFAULT_LOOKBACK_S) -> str:
    """Replace each ``rate|irate|increase(s[{{.window}}])`` with the step count of ``s``.

    Each template must be the range of a ``rate``, ``irate`` or ``increase`` call on a
    selector, and one query may not mix per-second and per-window functions: the user
    wrote one unit, and mixing them is almost always a mistake.
    """
    tokens = tokenize(promql)
    pairs = _match_brackets(promql, tokens)
    templates = [i for i, token in enumerate(tokens) if token.kind == "template"]
    if not templates:
        raise ValueError(f"{promql!r}: window mode needs the template, as in rate(x[{{{{.window}}}}])")
    calls = [_window_call(promql, tokens, pairs, i) for i in templates]
    functions = {call.function for call in calls}
    if functions & _PER_SECOND and functions & _PER_WINDOW:
        raise ValueError(
            f"{promql!r}: mixes per-second ({', '.join(sorted(functions & _PER_SECOND))}) and "
            "per-window (increase) functions; use one kind so the query has one unit"
        )
    return splice(promql, [(call.start, call.end, call.count(step_s, lookback_s)) for call in calls])


def exact_rates(promql: str, step_s: int, lookback_s: int = DEFAULT_LOOKBACK_S) -> str:
    """A queries-file expression with ``{{.window}}`` templates made exact per step.

    ``rate``/``irate`` of a selector over the template becomes its step count divided by
    the step (per second), ``increase`` its step count; the template anywhere else (say
    ``max_over_time(x[{{.window}}])``) becomes the step as a plain duration.
    """
    _check_step(step_s, lookback_s)
    tokens = tokenize(promql)
    pairs = _match_brackets(promql, tokens)
    edits: list[tuple[int, int, str]] = []
    for i, token in enumerate(tokens):
        if token.kind != "template" or (edits and token.start < edits[-1][1]):
            continue
        try:
            call = _window_call(promql, tokens, pairs, i)
        except ValueError:
            edits.append((token.start, token.end, f"{step_s}s"))
            continue
        count = call.count(step_s, lookback_s)
        edits.append((call.start, call.end, f"({count} / {step_s})" if call.function in _PER_SECOND else count))
    return splice(promql, edits)


def rewrite_counter(promql: str, step_s: int, lookback_s: int = DEFAULT_LOOKBACK_S) -> str:
    """Replace every vector selector with its step count (``step_count``).

    Raises ValueError for a selector that already has a range (``x[5m]``), for
    subqueries and for the ``{{.window}}`` template, none of which name a counter.
    """
    spans = _counter_selectors(promql)
    return splice(promql, [(start, end, step_count(sel, mods, step_s, lookback_s)) for start, end, sel, mods in spans])


def presence_query(promql: str, mode: QueryMode, step_s: int, lookback_s: int = DEFAULT_LOOKBACK_S) -> str:
    """A query with a value at each step end where some series of ``promql``'s counters had
    a sample within the lookback of both that step end and the one before: the steps
    where ``per_step_count_query`` must give a count, or the query is wrong for the data."""
    _check_step(step_s, lookback_s)
    if QueryMode(mode) is QueryMode.WINDOW:
        tokens = tokenize(promql)
        pairs = _match_brackets(promql, tokens)
        calls = [_window_call(promql, tokens, pairs, i) for i, t in enumerate(tokens) if t.kind == "template"]
        selectors = [(call.selector, call.modifiers) for call in calls]
    else:
        selectors = [(sel, mods) for _, _, sel, mods in _counter_selectors(promql)]
    last = "last_over_time({}[%ds]{})" % lookback_s
    return " or ".join(
        f"count({last.format(sel, mods.text())} and {last.format(sel, mods.text(step_s))})"
        for sel, mods in dict.fromkeys(selectors)
    )


def _counter_selectors(promql: str) -> list[tuple[int, int, str, Modifiers]]:
    """Each vector selector of a counter-mode query: its span (with modifiers), text and modifiers."""
    tokens = tokenize(promql)
    pairs = _match_brackets(promql, tokens)
    for token in tokens:
        if token.kind == "template":
            raise ValueError(_at(promql, token.start, "{{.window}} belongs to window mode, not counter mode"))
    spans: list[tuple[int, int, str, Modifiers]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "op" and token.text == "[":
            raise ValueError(_at(promql, token.start, "subqueries cannot be rewritten into per-step counts"))
        selector_end = _selector_end(tokens, pairs, i)
        if selector_end is None:
            i = _skip_non_selector(tokens, pairs, i)
            continue
        after = selector_end + 1
        selector = promql[token.start : tokens[selector_end].end]
        if after < len(tokens) and tokens[after].text == "[":
            raise ValueError(
                _at(promql, tokens[after].start,
                    f"{selector} already has a range; in counter mode name the counter alone "
                    "and sloboard counts its events per step, or use {{.window}} (window mode)")
            )
        modifiers_end, modifiers = _modifiers(promql, tokens, pairs, selector_end)
        spans.append((token.start, tokens[modifiers_end].end, selector, modifiers))
        i = modifiers_end + 1
    if not spans:
        raise ValueError(f"{promql!r}: names no counter; counter mode needs a selector like http_requests_total")
    return spans


def _check_step(step_s: int, lookback_s: int) -> None:
    if step_s <= 0:
        raise ValueError(f"step must be a positive number of seconds, got {step_s}")
    if lookback_s < step_s:
        raise ValueError(f"the lookback ({lookback_s} s) must be at least the step ({step_s} s)")


@dataclass(frozen=True)
class _WindowCall:
    """``function(selector[{{.window}}] modifiers)``, spanning ``promql[start:end]``."""

    function: str
    selector: str
    modifiers: Modifiers
    start: int
    end: int

    def count(self, step_s: int, lookback_s: int) -> str:
        return step_count(self.selector, self.modifiers, step_s, lookback_s)


def _window_call(promql: str, tokens: list[Token], pairs: dict[int, int], template: int) -> _WindowCall:
    """The ``rate``/``irate``/``increase`` call whose range is the template at index ``template``."""
    function = _range_function(promql, tokens, pairs, template)
    opener = template - 1  # the "[" (checked by _range_function)
    call = _enclosing_paren(tokens, pairs, opener)
    first = call + 1
    last, modifiers = _modifiers(promql, tokens, pairs, template + 1)
    if _selector_end(tokens, pairs, first) != opener - 1 or pairs[call] != last + 1:
        raise ValueError(
            _at(promql, tokens[first].start,
                f"{function}() over {{{{.window}}}} must take a plain selector, as in {function}(x_total[{{{{.window}}}}])")
        )
    selector = promql[tokens[first].start : tokens[opener - 1].end]
    return _WindowCall(function, selector, modifiers, tokens[call - 1].start, tokens[pairs[call]].end)


def _selector_end(tokens: list[Token], pairs: dict[int, int], i: int) -> int | None:
    """Index of the last token of the vector selector starting at ``i``, or None if none starts there."""
    token = tokens[i]
    following = tokens[i + 1] if i + 1 < len(tokens) else None
    if token.kind == "op" and token.text == "{":
        return pairs[i]
    if token.kind != "ident":
        return None
    word = token.text.lower()
    if following is not None and following.text == "(":
        return None  # a function or aggregation call
    if word in AGGREGATIONS and following is not None and following.text.lower() in ("by", "without"):
        return None
    if word in _LABEL_LIST_KEYWORDS or word in _OPERATOR_KEYWORDS or word == "offset":
        return None
    if word in _FLOAT_LITERALS and not (following is not None and following.text == "{"):
        return None
    if following is not None and following.text == "{":
        return pairs[i + 1]
    return i


def _skip_non_selector(tokens: list[Token], pairs: dict[int, int], i: int) -> int:
    """The index after token ``i``, jumping over label lists (``by (a, b)``) whose names are no selectors."""
    word = tokens[i].text.lower() if tokens[i].kind == "ident" else ""
    if word in _LABEL_LIST_KEYWORDS and i + 1 < len(tokens) and tokens[i + 1].text == "(":
        return pairs[i + 1] + 1
    return i + 1


def _modifiers(promql: str, tokens: list[Token], pairs: dict[int, int], last: int) -> tuple[int, Modifiers]:
    """The ``offset <duration>`` / ``@ <time>`` modifiers after token ``last``: the index of
    their last token (``last`` if there are none) and what they say."""
    offset_s, at = 0.0, ""
    i = last + 1
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "ident" and token.text.lower() == "offset":
            j = i + 1
            sign = -1 if j < len(tokens) and tokens[j].text == "-" else 1
            j += sign == -1
            if j >= len(tokens) or tokens[j].kind != "duration":
                raise ValueError(_at(promql, token.start, "offset needs a duration such as 5m"))
            offset_s += sign * _seconds(tokens[j].text)
            last, i = j, j + 1
        elif token.text == "@":
            j = i + 1
            if j < len(tokens) and tokens[j].text in ("+", "-"):
                j += 1
            if j < len(tokens) and tokens[j].kind == "number":
                last = j
            elif j + 1 < len(tokens) and tokens[j].text in ("start", "end") and tokens[j + 1].text == "(":
                last = pairs[j + 1]
            else:
                raise ValueError(_at(promql, token.start, "@ needs a Unix time, start() or end()"))
            at = promql[tokens[i + 1].start : tokens[last].end]
            i = last + 1
        else:
            break
    return last, Modifiers(offset_s, at)


_DURATION_PART = re.compile(r"(\d+)(ms|[smhdwy])")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def _seconds(duration: str) -> float:
    """A PromQL duration token (``1h30m``, ``500ms``) in seconds; years are 365 days, as in PromQL."""
    return sum(int(n) * _UNIT_S[unit] for n, unit in _DURATION_PART.findall(duration))


def _duration(seconds: float) -> str:
    """Seconds as a PromQL duration: whole seconds as ``90s``, else milliseconds."""
    sign = "-" if seconds < 0 else ""
    ms = round(abs(seconds) * 1000)
    return f"{sign}{ms // 1000}s" if ms % 1000 == 0 else f"{sign}{ms}ms"


def _range_function(promql: str, tokens: list[Token], pairs: dict[int, int], template: int) -> str:
    """The function taking the template at index ``template`` as its range: ``rate`` in ``rate(x[{{.window}}])``."""
    opener = template - 1
    if not (opener >= 0 and tokens[opener].text == "[" and pairs[opener] == template + 1):
        where = tokens[template].start
        raise ValueError(_at(promql, where, "{{.window}} must be a whole range, as in x[{{.window}}]"))
    call = _enclosing_paren(tokens, pairs, opener)
    name = tokens[call - 1].text.lower() if call is not None and call > 0 else ""
    if name not in _PER_SECOND | _PER_WINDOW:
        called = f"{name}() does not count events" if name else "it is not inside a function"
        raise ValueError(
            _at(promql, tokens[template].start,
                f"{{{{.window}}}} must be the range of rate(), irate() or increase(); {called}")
        )
    return name


def _enclosing_paren(tokens: list[Token], pairs: dict[int, int], i: int) -> int | None:
    """Index of the innermost ``(`` whose pair encloses token ``i``."""
    for j in range(i - 1, -1, -1):
        if tokens[j].text == "(" and pairs[j] > i:
            return j
    return None


def _match_brackets(promql: str, tokens: list[Token]) -> dict[int, int]:
    """Map each opening bracket's token index to its closing one. Raises ValueError if unbalanced."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for i, token in enumerate(tokens):
        if token.kind != "op":
            continue
        if token.text in _CLOSERS:
            stack.append(i)
        elif token.text in _CLOSERS.values():
            if not stack or _CLOSERS[tokens[stack[-1]].text] != token.text:
                raise ValueError(_at(promql, token.start, f"unexpected {token.text!r}"))
            pairs[stack.pop()] = i
    if stack:
        opener = tokens[stack[-1]]
        raise ValueError(_at(promql, opener.start, f"{opener.text!r} is never closed"))
    return pairs


def splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply ``(start, end, replacement)`` edits, given in ascending order, to ``text``."""
    out: list[str] = []
    pos = 0
    for start, end, replacement in edits:
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _at(promql: str, offset: int, message: str) -> str:
    return f"column {offset + 1} of {promql!r}: {message}"
