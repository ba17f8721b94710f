"""One query for many SLOs: SLOs whose per-step queries differ only in the value of their
``service="..."`` matchers are asked together, and the answer is split by ``service``.

An incremental pass asks for one new step per SLO: two tiny queries each, so at 1,000
SLOs the round trips, not Prometheus's work, take the time. Grouped, the SLOs that share
a metric and an expression make two queries in all.

The grouped form is exact, not an approximation, when the query (after the per-step
rewrite of ``indicator_queries``) is

- ``agg(E)`` (``sum``, ``min``, ``max``, ``avg``, ``count``, ``group``, with no
  ``by``/``without``), which becomes ``agg by (service) (E)``; or ``E`` alone, which
  becomes ``sum by (service) (E)``: the collector sums a query's series onto the step
  grid (``targets.grid``), as that sum does, keeping a step without any series empty;
- where ``E`` keeps every series' labels: selectors, range functions over them,
  arithmetic, comparisons and ``and``/``or``/``unless`` matched on all labels (so a
  series only ever meets series of its own service), and no aggregation, no
  ``on``/``ignoring``/``group_*``, no function that makes or changes labels
  (``vector``, ``label_replace``, ``absent``, ``histogram_quantile`` ...); the one
  exception is the label-free constant ``indicator_queries.CLOSED_RANGES`` after
  ``and on()``/``unless on()``, which keeps or drops every series alike;
- and every selector has exactly one matcher on ``service``, ``service="v"`` with the
  same non-empty ``v`` throughout. ``service="v"`` becomes ``service=~"v1|v2|..."``
  (escaped, anchored: each value matches only itself), so each service's series are
  the very series its own query selects, and ``E`` computes the same numbers on them.

Grouping is for short ranges: a group asks for all its members' points at once, so it
takes at most ``max_points`` points over all its series (``batches``). A long backfill
keeps one query per SLO, chunked.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sloboard.errors import QueryRejected, SourceError, SpecError

from .indicator_queries import CLOSED_RANGES
from .promql import AGGREGATIONS, splice, tokenize
from .queries import services_regex
from .source import Source, SourceSeries
from .targets import SLITarget, fetch

LABEL = "service"
_VALUES = "\x00"  # where the values' regular expression goes in a grouped query's text
_OUTER_AGGREGATIONS = frozenset({"sum", "min", "max", "avg", "count", "group"})
# Functions that map each series to itself, labels kept (the per-step rewrite uses the first ones).
_LABEL_KEEPING_FUNCTIONS = frozenset({
    "last_over_time", "max_over_time", "min_over_time", "sum_over_time", "count_over_time", "avg_over_time",
    "rate", "irate", "increase", "delta", "idelta", "resets", "changes", "clamp", "clamp_min", "clamp_max",
    "abs", "ceil", "floor", "round", "sqrt", "exp", "ln", "log2", "log10", "sgn", "timestamp",
    "start", "end",  # the range's ends, as in x @ start(): the same for every service
})
_KEYWORDS = frozenset({"offset", "bool", "and", "or", "unless", "atan2", "inf", "nan"})
_LABEL_FREE_CONSTANT = tuple(t.text for t in tokenize(f"on() {CLOSED_RANGES}"))


@dataclass(frozen=True)
class GroupedQuery:
    """A query with its ``service`` values left open: ``text(values)`` asks for those services."""

    shape: str

    def text(self, values: Iterable[str]) -> str:
        return self.shape.replace(_VALUES, services_regex(values))


@functools.lru_cache(maxsize=8192)  # pure; a long-running collector asks the same queries every pass
def grouped_form(promql: str) -> tuple[GroupedQuery, str] | None:
    """The grouped query of ``promql`` and its ``service`` value, or None where grouping
    would not be exact (the module docstring's conditions) or the query cannot be read."""
    try:
        tokens = tokenize(promql)
    except ValueError:
        return None
    constant = _constant_positions([t.text for t in tokens])
    tokens = [t for i, t in enumerate(tokens) if i not in constant]
    texts = [t.text for t in tokens]
    outer = _outer_aggregation(texts)
    if not _keeps_labels(texts[2:-1] if outer else texts):
        return None
    value, edits = None, []
    in_braces, on_label = False, 0
    for i, token in enumerate(tokens):
        after = texts[i + 1] if i + 1 < len(texts) else ""
        if token.text == "{":
            in_braces, on_label = True, 0
        elif token.text == "}":
            if on_label != 1:
                return None  # a selector without a service matcher, or with two
            in_braces = False
        elif in_braces and token.kind == "ident" and token.text == LABEL:
            on_label += 1
            literal = tokens[i + 2].text if i + 2 < len(tokens) and tokens[i + 2].kind == "string" else ""
            if after != "=" or not literal.startswith('"') or "\\" in literal or len(literal) < 3:
                return None
            if value is not None and literal[1:-1] != value:
                return None
            value = literal[1:-1]
            edits.append((token.start, tokens[i + 2].end, f'{LABEL}=~"{_VALUES}"'))
        elif not in_braces and token.kind == "ident" and token.text not in _KEYWORDS and after not in ("(", "{"):
            return None  # a bare metric name selects every service
    if value is None:
        return None
    body = splice(promql, edits)
    if outer is None:
        return GroupedQuery(f"sum by ({LABEL}) ({body})"), value
    cut = tokens[0].end  # before any edit, so the same offset in body
    return GroupedQuery(f"{body[:cut]} by ({LABEL}) {body[cut:].lstrip()}"), value


def _outer_aggregation(texts: list[str]) -> str | None:
    """``agg`` when the whole query is ``agg(...)`` without ``by``/``without``, else None."""
    if len(texts) < 4 or texts[0] not in _OUTER_AGGREGATIONS or texts[1] != "(":
        return None
    depth = 0
    for i, text in enumerate(texts[1:], start=1):
        depth += (text in ("(", "[", "{")) - (text in (")", "]", "}"))
        if depth == 0:
            return texts[0] if i == len(texts) - 1 else None
    return None


def _keeps_labels(texts: list[str]) -> bool:
    """True when nothing in ``texts`` aggregates, matches on chosen labels or calls a
    function that makes or changes labels."""
    for i, text in enumerate(texts):
        if text in AGGREGATIONS or text in ("by", "without", "on", "ignoring", "group_left", "group_right"):
            return False
        calls = i + 1 < len(texts) and texts[i + 1] == "(" and text[0].isalpha()
        if calls and text not in _LABEL_KEEPING_FUNCTIONS and text not in _KEYWORDS:  # "and (" is no call
            return False
    return True


def _constant_positions(texts: list[str]) -> set[int]:
    """The token positions of each ``on() CLOSED_RANGES``, the label-free constant of the bool-gauge form."""
    n, found, i = len(_LABEL_FREE_CONSTANT), set(), 0
    while i < len(texts):
        if tuple(texts[i:i + n]) == _LABEL_FREE_CONSTANT:
            found.update(range(i, i + n))
            i += n
        else:
            i += 1
    return found


def batches(members: Sequence, points: int, max_points: int) -> list[Sequence]:
    """``members`` cut into groups asking for at most ``max_points`` points in all (one
    series per member and step); empty when not even two members fit."""
    size = max_points // max(1, points)
    if size < 2:
        return []
    return [members[i:i + size] for i in range(0, len(members), size)]


class SLIGroup:
    """SLI targets with one grouped query and one range to collect: each member is
    collected as a target of its own (``members``: its run, watermark and errors), from
    one answer to the group's two queries, asked once."""

    def __init__(self, targets: Sequence[SLITarget], numerator: GroupedQuery, total: GroupedQuery,
                 values: Sequence[str]):
        self.targets = tuple(targets)
        self.numerator, self.total, self.values = numerator, total, tuple(values)
        self.label = (f"SLOs {', '.join(t.slo.id for t in self.targets[:2])} and {len(self.targets) - 2} more "
                      "(one grouped query)" if len(self.targets) > 2 else
                      f"SLOs {' and '.join(t.slo.id for t in self.targets)} (one grouped query)")
        self._answers: dict[tuple[int, int, int], object] = {}

    @property
    def members(self) -> list["GroupMember"]:
        return [GroupMember(target, self, i) for i, target in enumerate(self.targets)]

    def answers(self, source: Source, start: int, end: int, step: int) -> list[tuple[list, list]] | None:
        """Each member's (numerator, total) series, from two queries asked once per range;
        None when the server refused the grouped form (each member then asks alone).
        Another failure is raised to every member."""
        key = (start, end, step)
        if key not in self._answers:
            try:
                self._answers[key] = self._fetch(source, start, end, step)
            except QueryRejected:
                self._answers[key] = None
            except (SourceError, SpecError) as exc:
                self._answers[key] = exc
        found = self._answers[key]
        if isinstance(found, Exception):
            raise found
        return found

    def _fetch(self, source: Source, start: int, end: int, step: int) -> list[tuple[list, list]]:
        services = set(self.values)
        parts = []
        for query in (self.numerator, self.total):
            by_value: dict[str, list[SourceSeries]] = {}
            for series in fetch(source, query.text(services), start, end, step, self.label):
                by_value.setdefault(series.label_map.get(LABEL, ""), []).append(series)
            parts.append(by_value)
        numerators, totals = parts
        return [(numerators.get(value, []), totals.get(value, [])) for value in self.values]


@dataclass(frozen=True)
class GroupMember:
    """One SLI target of an ``SLIGroup``: the target's key and label, the group's answer."""

    target: SLITarget
    group: SLIGroup
    index: int

    @property
    def key(self) -> str:
        return self.target.key

    @property
    def label(self) -> str:
        return self.target.label

    @property
    def previous_keys(self) -> tuple[str, ...]:
        return self.target.previous_keys

    @property
    def kind(self) -> str | None:
        return self.target.kind

    def collect_chunk(self, source: Source, store, start: int, end: int, step: int) -> int:
        answers = self.group.answers(source, start, end, step)
        if answers is None:
            return self.target.collect_chunk(source, store, start, end, step)
        return self.target.write_chunk(source, store, *answers[self.index], start, end, step)


def sli_groups(targets: Sequence, ranges: dict[str, tuple[int, int]], step: int, max_points: int) -> list:
    """``targets`` with the SLI targets that can share queries replaced by ``SLIGroup`` s.

    ``ranges`` is each SLI target's (first, last) step end to collect. Members share their
    queries' grouped form and their range, and a group asks for at most ``max_points``
    points; a group takes the place of its first member, other targets keep theirs.
    """
    shared: dict[tuple, list[tuple[SLITarget, str, GroupedQuery, GroupedQuery]]] = {}
    for target in targets:
        found = _sli_form(target, step) if target.key in ranges else None
        if found is not None:
            numerator, total, value = found
            shared.setdefault((numerator.shape, total.shape, ranges[target.key]), []).append(
                (target, value, numerator, total))
    group_of: dict[str, SLIGroup] = {}
    for (_, _, (first, end)), members in shared.items():
        for batch in batches(members, (end - first) // step + 1, max_points):
            if len(batch) > 1:
                group = SLIGroup([m[0] for m in batch], batch[0][2], batch[0][3], [m[1] for m in batch])
                group_of.update((m[0].key, group) for m in batch)
    out, placed = [], set()
    for target in targets:
        group = group_of.get(target.key)
        if group is None:
            out.append(target)
        elif id(group) not in placed:
            placed.add(id(group))
            out.append(group)
    return out


def _sli_form(target, step: int) -> tuple[GroupedQuery, GroupedQuery, str] | None:
    """The grouped forms of an SLI target's two queries and its service value, or None."""
    if not isinstance(target, SLITarget):
        return None
    try:
        queries = target.per_step_queries(step)
    except SpecError:
        return None  # collected alone, so that its run reports the spec's problem
    forms = [grouped_form(query) for query in queries]
    if None in forms or forms[0][1] != forms[1][1]:
        return None
    (numerator, value), (total, _) = forms
    return numerator, total, value
