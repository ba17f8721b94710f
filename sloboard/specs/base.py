"""What every spec format shares: the strict model base, problem reporting, mapping context."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from ..domain import AlertWindow, parse_duration
from ..errors import Problem
from .messages import message_for
from .yaml_source import Document, Loc, locate, scalar_text

if TYPE_CHECKING:
    from .openslo import Registry

M = TypeVar("M", bound=BaseModel)


class SpecModel(BaseModel):
    """A versioned input schema: unknown fields are errors, values never change after parsing."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Reporter:
    """Collects problems, each pinned to a document and a field path within it."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, doc: Document, loc: Loc, message: str, severity: str = "error") -> None:
        line, field_path = locate(doc.node, loc)
        self.problems.append(Problem(doc.path, line, field_path, message, severity))

    def error_count(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")


def validate(model: type[M], doc: Document, reporter: Reporter) -> M | None:
    """Parse ``doc`` with ``model``; report every error at its line, return None on any."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        for error in exc.errors():
            reporter.add(doc, tuple(error["loc"]), message_for(error, model))
        return None


@dataclass
class MappingContext:
    """Everything a ``to_domain()`` needs besides its own model.

    ``registry`` holds the OpenSLO SLI and DataSource objects of the whole load, so a
    reference can point into another file; ``default_windows`` are the burn-rate alert
    windows in force unless the SLO overrides them.
    """

    doc: Document
    reporter: Reporter
    default_windows: tuple[AlertWindow, ...]
    registry: "Registry | None" = None

    def error(self, loc: Loc, message: str) -> None:
        self.reporter.add(self.doc, loc, message, "error")

    def warn(self, loc: Loc, message: str) -> None:
        self.reporter.add(self.doc, loc, message, "warning")

    def checkpoint(self) -> int:
        return self.reporter.error_count()

    def failed_since(self, checkpoint: int) -> bool:
        """True when an error was reported after ``checkpoint``: the SLO is not built."""
        return self.reporter.error_count() > checkpoint

    def for_document(self, doc: Document) -> "MappingContext":
        """The same context, reporting against another document (a referenced SLI)."""
        return replace(self, doc=doc)

    def line_of(self, loc: Loc) -> int:
        return locate(self.doc.node, loc)[0]

    def written(self, loc: Loc) -> str | None:
        return scalar_text(self.doc.node, loc)


def check_duration(value: str) -> str:
    """A Prometheus-style duration (``5m``, ``28d``); the message says which forms work."""
    parse_duration(value)
    return value


Duration = Annotated[str, AfterValidator(check_duration)]
