"""Turn an SLO spec's PromQL into a query whose value at each step is the count of
events in that step, the two readings that ``sloboard.domain.QueryMode`` documents.

- WINDOW: the query carries the ``{{.window}}`` template (Sloth). The template becomes
  the step (``60s``). ``increase(x[60s])`` already counts events per step; a per-second
  ``rate``/``irate`` is multiplied by the step, since ``rate(x[w]) * w == increase(x[w])``.
- COUNTER: the query names counters (Pyrra, most OpenSLO examples), optionally inside
  aggregations and functions. Every vector selector ``s`` becomes ``increase(s[60s])``,
  with its ``offset``/``@`` modifiers kept after the range.

Evaluated at step-aligned times over samples on the same grid, ``increase(x[60s])`` is
exactly the last sample minus the first one in the window (counter resets included), so
the per-step counts add up to the exact total over any stretch of steps.

Rewriting uses a small PromQL tokenizer rather than regular expressions over the text,
so braces, commas and keywords inside label-matcher strings are left alone. Results keep
the user's own spelling and spacing; only the inserted text is new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sloboard.domain import QueryMode

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<template>\{\{\s*\.window\s*\}\})
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


def has_window_template(promql: str) -> bool:
    """True if the query carries Sloth's ``{{.window}}`` template (spaces inside allowed)."""
    return any(token.kind == "template" for token in tokenize(promql))


def per_step_count_query(promql: str, mode: QueryMode, step_s: int) -> str:
    """The query whose value at time T counts the events in ``(T - step_s, T]``."""
    if step_s <= 0:
        raise ValueError(f"step must be a positive number of seconds, got {step_s}")
    if QueryMode(mode) is QueryMode.WINDOW:
        return rewrite_window(promql, step_s)
    return rewrite_counter(promql, step_s)


def rewrite_window(promql: str, step_s: int) -> str:
    """Substitute ``{{.window}}`` with the step and turn a per-second rate into counts per step.

    Each template must be the range of a ``rate``, ``irate`` or ``increase`` call, and one
    query may not mix per-second and per-window functions, since then no single factor
    turns it into counts.
    """
    tokens = tokenize(promql)
    pairs = _match_brackets(promql, tokens)
    templates = [i for i, token in enumerate(tokens) if token.kind == "template"]
    if not templates:
        raise ValueError(f"{promql!r}: window mode needs the template, as in rate(x[{{{{.window}}}}])")
    functions = {_range_function(promql, tokens, pairs, i) for i in templates}
    if functions & _PER_SECOND and functions & _PER_WINDOW:
        raise ValueError(
            f"{promql!r}: mixes per-second ({', '.join(sorted(functions & _PER_SECOND))}) and "
            "per-window (increase) functions; use one kind so the query has one unit"
        )
    window = f"{step_s}s"
    out = _splice(promql, [(tokens[i].start, tokens[i].end, window) for i in templates])
    if functions <= _PER_SECOND:
        return f"({out}) * {step_s}"
    return out


def rewrite_counter(promql: str, step_s: int) -> str:
    """Wrap every vector selector in ``increase(<selector>[<step>s])``.

    Raises ValueError for a selector that already has a range (``x[5m]``), for
    subqueries and for the ``{{.window}}`` template, none of which name a counter.
    """
    tokens = tokenize(promql)
    pairs = _match_brackets(promql, tokens)
    for token in tokens:
        if token.kind == "template":
            raise ValueError(_at(promql, token.start, "{{.window}} belongs to window mode, not counter mode"))
    edits: list[tuple[int, int, str]] = []
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
        if after < len(tokens) and tokens[after].text == "[":
            selector = promql[token.start : tokens[selector_end].end]
            raise ValueError(
                _at(promql, tokens[after].start,
                    f"{selector} already has a range; in counter mode name the counter alone "
                    "and sloboard adds increase(...) per step, or use {{.window}} (window mode)")
            )
        modifiers_end = _modifiers_end(promql, tokens, pairs, selector_end)
        edits.append((token.start, token.start, "increase("))
        edits.append((tokens[selector_end].end, tokens[selector_end].end, f"[{step_s}s]"))
        edits.append((tokens[modifiers_end].end, tokens[modifiers_end].end, ")"))
        i = modifiers_end + 1
    if not edits:
        raise ValueError(f"{promql!r}: names no counter; counter mode needs a selector like http_requests_total")
    return _splice(promql, edits)


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


def _modifiers_end(promql: str, tokens: list[Token], pairs: dict[int, int], last: int) -> int:
    """Index of the last token of the ``offset <duration>`` / ``@ <time>`` modifiers after ``last``."""
    i = last + 1
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "ident" and token.text.lower() == "offset":
            j = i + 1
            if j < len(tokens) and tokens[j].text == "-":
                j += 1
            if j >= len(tokens) or tokens[j].kind != "duration":
                raise ValueError(_at(promql, token.start, "offset needs a duration such as 5m"))
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
            i = last + 1
        else:
            break
    return last


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


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
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
