"""The body of ``POST /api/v1/deployments``: its fields, their CLI spellings, and the
one-line error that names the field.

A pipeline author copies flag names from ``sloboard deploy record --help``
(``--started``, ``--committed``); the body accepts those as aliases of the JSON names
(``started_at``, ``committed_at``), so the two interfaces cannot drift apart in what
they take. Any other unknown field is refused with the closest valid name.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sloboard.domain import Deployment, DeployStatus
from sloboard.specs.messages import unknown_name_message
from sloboard.timeparse import parse_time

# JSON name -> the CLI flag's name, accepted as an alias.
CLI_NAMES = {"started_at": "started", "finished_at": "finished", "committed_at": "committed"}


def _time_field(name: str):
    return Field(None, validation_alias=AliasChoices(name, CLI_NAMES[name]),
                 description="ISO 8601, epoch seconds, now or now-<duration>")


class DeploymentIn(BaseModel):
    """Required: service, version, status (succeeded, failed, rolled_back; also success,
    rollback). Optional: started_at (default now), finished_at (default started_at),
    commit, committed_at (gives the lead time)."""

    model_config = ConfigDict(extra="forbid")

    service: str
    version: str
    # The schema names the stored spellings; the check below also takes success, rollback, ...
    status: str = Field(json_schema_extra={"enum": [s.value for s in DeployStatus]},
                        description="succeeded, failed or rolled_back (also: success, failure, rollback)")
    started_at: str | int | None = _time_field("started_at")
    finished_at: str | int | None = _time_field("finished_at")
    commit: str | None = None
    committed_at: str | int | None = _time_field("committed_at")

    @model_validator(mode="before")
    @classmethod
    def _one_spelling(cls, body: Any) -> Any:
        if isinstance(body, dict):
            for name, alias in CLI_NAMES.items():
                if name in body and alias in body:
                    raise ValueError(f"{alias}: give {name} or {alias}, not both")
        return body

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str) -> str:
        return DeployStatus.parse(value).value

    @field_validator("service", "version")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("service", "version", "commit")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        # PostgreSQL text cannot hold NUL: refused here as bad input, on every store alike.
        if value is not None and "\x00" in value:
            raise ValueError("must not contain a NUL character")
        return value


def field_names() -> list[str]:
    return [*DeploymentIn.model_fields, *CLI_NAMES.values()]


def parse_deployment(body: dict, now: float) -> Deployment:
    """The deployment ``body`` describes; raises ValueError with one line naming the field."""
    try:
        data = DeploymentIn.model_validate(body)
    except ValidationError as exc:
        raise ValueError("; ".join(_describe(e) for e in exc.errors())) from None
    started = _when(data.started_at, now, "started_at") or datetime.fromtimestamp(int(now), tz=timezone.utc)
    finished = _when(data.finished_at, now, "finished_at") or started
    if finished < started:
        raise ValueError("finished_at is before started_at")
    return Deployment(data.service, data.version, DeployStatus(data.status), started, finished, "api",
                      data.commit, _when(data.committed_at, now, "committed_at"))


def _describe(error: dict) -> str:
    where = ".".join(map(str, error["loc"]))
    if error["type"] == "extra_forbidden":
        return f"{where}: {unknown_name_message('field', where, field_names())}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _when(value, now: float, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(parse_time(str(value), now), tz=timezone.utc)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
