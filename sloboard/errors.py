"""sloboard's exceptions, in one tree.

    SloboardError                  any error we expect and can explain in one line
    ├── ConfigError                settings file or environment is wrong (exit 2)
    ├── SpecError                  one or more SLO specs are invalid (exit 2)
    ├── StoreError                 the database cannot be used (exit 1)
    │   ├── StoreLockedError       another process holds a named lock (the collector's, a report kind's)
    │   └── StoreUnavailable       the database is busy or unreachable for now: worth repeating
    ├── SourceError                a data source (Prometheus) failed (exit 1)
    │   ├── SourceUnavailable      down, timed out, 5xx, or malformed answer: retried
    │   └── QueryRejected          the source refused the query (bad PromQL): not retried
    ├── ReportError                a report could not be built or delivered (exit 1)
    │   └── ReportBusyError        another build of that kind holds its lock: nothing built
    └── InputError                 a bad command-line or CSV input (exit 2)

The CLI turns each into one line on stderr and an exit code; no traceback reaches
the user. Lower-level errors are mapped with ``raise ... from exc`` so that
``--debug`` can still show the cause.
"""

from __future__ import annotations

from dataclasses import dataclass


class SloboardError(Exception):
    exit_code = 1


class ConfigError(SloboardError):
    exit_code = 2


class InputError(SloboardError):
    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One finding about a spec file: ``path:line: field.path: message``."""

    path: str
    line: int
    field: str
    message: str
    severity: str = "error"  # "error" | "warning"
    slo_id: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        field_part = f" {self.field}:" if self.field else ""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}:{field_part} {prefix}{self.message}"


class SpecError(SloboardError):
    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class StoreError(SloboardError):
    pass


class StoreLockedError(StoreError):
    """A named lock another process holds; ``owner`` names the holder (``host:pid``) when known."""

    def __init__(self, message: str, *, owner: str | None = None):
        self.owner = owner
        super().__init__(message)


class StoreUnavailable(StoreError):
    pass


class SourceError(SloboardError):
    pass


class SourceUnavailable(SourceError):
    pass


class QueryRejected(SourceError):
    pass


class EmptyAnswer(SourceError):
    """A count query gave no data at all for a range where its series had samples."""


class ReportError(SloboardError):
    pass


class ReportBusyError(ReportError):
    """Another build of ``kind`` holds its ``report:<kind>`` lock (``owner``: host:pid); nothing was built."""

    def __init__(self, kind: str, owner: str | None):
        self.kind, self.owner = kind, owner
        super().__init__(f"a {kind} report is being built by {owner or 'another process'}")
