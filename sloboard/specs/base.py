"""What every spec format shares: the strict model base, problem reporting, mapping context."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Annotated, ClassVar, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from ..domain import AlertWindow, parse_duration
from ..errors import Problem
from .messages import message_for
from .yaml_source import Document, Loc, locate, scalar_text


class SpecModel(BaseModel):
    """A versioned input schema: unknown fields are reported, values never change after parsing.

    ``UNKNOWN_FIELDS`` says how: "error" for OpenSLO and sloboard's own keys; a foreign
    format whose own tool ignores unknown fields sets a sentence saying so, and its
    unknown fields become warnings with that sentence (the SLO still loads).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    UNKNOWN_FIELDS: ClassVar[str] = "error"
    # Lists whose items are separate SLOs (a Sloth file's ``slos``): an item with errors
    # is left out and the others are still read, so every problem shows in one run.
    SEPARATE_SLOS: ClassVar[tuple[tuple[str, ...], ...]] = ()


class Reporter:
    """Collects problems, each pinned to a document and a field path within it."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, doc: Document, loc: Loc, message: str, severity: str = "error") -> None:
        line, field_path = locate(doc.node, loc)
        self.problems.append(Problem(doc.path, line, field_path, message, severity))

    def error_count(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")


@dataclass(frozen=True)
class Parsed:
    """A document that parsed; ``refused`` when it had errors, so its SLOs are only checked."""

    obj: SpecModel
    refused: bool
    # Field paths of the parsed model back to the file's, when list items were left out.
    translate: Callable[[Loc], Loc] | None = None


def validate(model: type[SpecModel], doc: Document, reporter: Reporter) -> Parsed | None:
    """Parse ``doc`` with ``model``; report every problem at its line.

    Unknown fields alone do not stop the parse: they are reported (as errors, or as
    warnings in formats whose tools ignore them) and dropped, so that the mapping
    still runs and reports the file's other problems in the same pass. Other errors
    that all lie inside items of lists (one SLO of a Sloth file's ``slos``) leave those
    items out, and the rest is parsed and mapped: their problems show in the same run
    too. Any other error leaves nothing to map (None).
    """
    try:
        return Parsed(model.model_validate(doc.data), refused=False)
    except ValidationError as exc:
        errors = exc.errors()
    ignored = model.UNKNOWN_FIELDS != "error"
    unknown = [e for e in errors if e["type"] == "extra_forbidden"]
    for error in errors:
        message = message_for(error, model)
        if error in unknown and ignored:
            reporter.add(doc, tuple(error["loc"]), f"{message} ({model.UNKNOWN_FIELDS})", "warning")
        else:
            reporter.add(doc, tuple(error["loc"]), message)
    data = copy.deepcopy(doc.data)
    if not all(_drop(data, tuple(e["loc"])) for e in unknown):
        return None
    items = _list_items([tuple(e["loc"]) for e in errors if e not in unknown], data, model.SEPARATE_SLOS)
    if items is None:
        return None
    for parent, index in sorted(items, key=lambda item: (item[0], -item[1])):
        del _at_path(data, parent)[index]
    try:
        obj = model.model_validate(data)
    except ValidationError:  # already reported above
        return None
    refused = bool(unknown) and not ignored
    return Parsed(obj, refused, partial(_original_path, sorted(items)) if items else None)


def _list_items(locs: list[tuple], data: object, lists: tuple[tuple[str, ...], ...]) -> set[tuple[tuple, int]] | None:
    """The items ``(path of the list, index)`` of ``lists`` that hold every one of ``locs``;
    None when an error lies outside them, so that nothing can be salvaged."""
    items = set()
    for loc in locs:
        parent = next((p for p in lists if loc[:len(p)] == p and len(loc) > len(p)), None)
        if parent is None or not isinstance(loc[len(parent)], int) or not isinstance(_at_path(data, parent), list):
            return None
        items.add((parent, loc[len(parent)]))
    return items


def _at_path(data: object, path: tuple) -> object:
    for part in path:
        try:
            data = data[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _original_path(dropped: list[tuple[tuple, int]], loc: Loc) -> Loc:
    """``loc`` in the parsed data (items dropped) as it stands in the file."""
    for parent, index in dropped:  # ascending: each earlier drop shifted the later ones
        n = len(parent)
        if loc[:n] == parent and len(loc) > n and isinstance(loc[n], int) and loc[n] >= index:
            loc = (*loc[:n], loc[n] + 1, *loc[n + 1:])
    return loc


def _drop(data: object, loc: tuple) -> bool:
    """Delete the key at ``loc``; False when the path is not in the data as written."""
    for part in loc[:-1]:
        try:
            data = data[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(data, dict) and loc and loc[-1] in data:
        del data[loc[-1]]
        return True
    return False


@dataclass
class MappingContext:
    """Everything a ``to_domain()`` needs besides its own model, in any spec format.

    ``default_windows`` are the burn-rate alert windows in force unless the SLO
    overrides them. A format whose objects refer to each other across files extends it
    (``openslo.OpenSLOContext`` carries the registry). ``translate`` maps the field paths
    of a model built from a rewritten document (OpenSLO v1alpha read as v1) back to
    where the values stand in the file.
    """

    doc: Document
    reporter: Reporter
    default_windows: tuple[AlertWindow, ...]
    translate: Callable[[Loc], Loc] | None = None

    def _at(self, loc: Loc) -> Loc:
        return self.translate(loc) if self.translate else loc

    def error(self, loc: Loc, message: str) -> None:
        self.reporter.add(self.doc, self._at(loc), message, "error")

    def warn(self, loc: Loc, message: str) -> None:
        self.reporter.add(self.doc, self._at(loc), message, "warning")

    def checkpoint(self) -> int:
        return self.reporter.error_count()

    def failed_since(self, checkpoint: int) -> bool:
        """True when an error was reported after ``checkpoint``: the SLO is not built."""
        return self.reporter.error_count() > checkpoint

    def for_document(self, doc: Document) -> Self:
        """The same context, reporting against another document (a referenced SLI)."""
        return replace(self, doc=doc)

    def line_of(self, loc: Loc) -> int:
        return locate(self.doc.node, self._at(loc))[0]

    def written(self, loc: Loc) -> str | None:
        return scalar_text(self.doc.node, self._at(loc))


def check_duration(value: str) -> str:
    """A Prometheus-style duration (``5m``, ``28d``); the message says which forms work."""
    parse_duration(value)
    return value


Duration = Annotated[str, AfterValidator(check_duration)]
