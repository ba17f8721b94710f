"""The JSON bodies the HTTP API answers with, as pydantic models: the source of their
schemas in the OpenAPI document (``openapi.py``). The routes build plain dicts; the
fuzz test (``tests/integration/test_api_fuzz.py``) holds every answer to these schemas,
and ``extra="forbid"`` makes a field added to an answer but not here fail it.

Where an answer is a dataclass of the reads or the engine written out, its model is made
from that dataclass's fields (``_fields_of``): ``Alert`` from ``reads.status.AlertEntry``,
``SloStatus`` from ``reads.status.SLOEntry``, ``GatePageAlert`` from
``engine.policy.PageAlert``. A field added there is in the schema without an edit here;
only what the JSON writes otherwise (ISO times, narrower string sets) is said here.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, Mapping, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from sloboard.domain import Severity
from sloboard.engine.policy import FREEZE, OK, UNKNOWN, WARN, PageAlert
from sloboard.reads.status import AlertEntry, SLOEntry

Timestamp = Field(description="ISO 8601 in UTC, e.g. 2026-12-02T10:00:00Z")
PolicyState = Literal[FREEZE, WARN, OK, UNKNOWN]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _fields_of(source: type, *, drop: tuple[str, ...] = (), types: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``create_model``'s fields for the dataclass ``source``: each of its fields in its order,
    required, with its own type, or the one in ``types`` (a type, or ``(type, Field(...))``)
    where the JSON writes it otherwise; none of ``drop``. A name in ``drop`` or ``types`` that
    ``source`` lacks fails the import, so a renamed field leaves no stale schema behind."""
    types = dict(types or {})
    hints = get_type_hints(source)
    names = [f.name for f in dataclasses.fields(source)]
    stale = (set(drop) | set(types)) - set(names)
    if stale:
        raise TypeError(f"{source.__name__} has no field {', '.join(sorted(stale))}: update openapi_models")
    chosen = {name: types.get(name, hints[name]) for name in names if name not in drop}
    return {name: spec if isinstance(spec, tuple) else (spec, ...) for name, spec in chosen.items()}


class Error(_Out):
    """Every refusal and failure: one line that says what is wrong."""

    error: str


class SloSummary(_Out):
    id: str = Field(description="service/name")
    service: str
    team: str | None
    objective: float
    window: str = Field(description="28d, 30d, week, month or quarter")
    spec: str | None = Field(description="the spec file it was loaded from")


class SloList(_Out):
    slos: list[SloSummary]


Alert = create_model("Alert", __base__=_Out, __module__=__name__, **_fields_of(
    AlertEntry, types={"severity": Literal[tuple(s.value for s in Severity)]}))

# The SLO's identity, as SLOEntry.to_dict writes it from the entry's SLO: the summary's fields but its spec file.
_SLO_IDENTITY = {name: (f.annotation, ...) for name, f in SloSummary.model_fields.items() if name != "spec"}

SloStatus = create_model(
    "SloStatus", __base__=_Out, __module__=__name__,
    __doc__="""One SLO's entry of ``sloboard status --json`` at ``at``; null is "no data", never 0.""",
    **_SLO_IDENTITY,
    **_fields_of(SLOEntry, drop=("slo",), types={
        "window_start": (str, Timestamp),
        "burn_rates": (dict[str, float | None], Field(description="burn rate per window label, shortest first")),
        "alerts": list[Alert],
        "exhaustion_at": (str | None, Field(description="when the budget runs out at the current burn rate")),
        "policy": PolicyState,
    }),
    at=(str, Timestamp),
)


class DeploymentRecorded(_Out):
    recorded: bool = Field(description="false: the same service, version and start was recorded before")
    service: str
    version: str
    status: Literal["succeeded", "failed", "rolled_back"]
    warnings: list[str]


class GateOverride(_Out):
    id: int
    by: str = Field(description="who gave it (cli:<user>)")
    reason: str
    created_at: str = Timestamp
    expires_at: str = Timestamp


GatePageAlert = create_model("GatePageAlert", __base__=_Out, __module__=__name__, **_fields_of(PageAlert))


class GateSlo(_Out):
    id: str
    budget_remaining: float | None
    policy: PolicyState
    freeze_below: float
    warn_below: float
    page_alerts_firing: list[GatePageAlert]
    newest_sample: str | None = Field(description="the newest SLI sample's time; null: none stored")
    trusted: bool = Field(description="false: no data or stale data, judged by gate.fail_open")


class GateAnswer(_Out):
    """May the service deploy now (200), or not (423), and why."""

    service: str
    at: str = Timestamp
    allow: bool
    allowed: bool = Field(description="deprecated: the same as allow")
    state: PolicyState
    fail_mode: Literal["fail-closed", "fail-open"] | None = Field(
        description="set when the store was unreachable or data stale, by gate.fail_open")
    reasons: list[str] = Field(description="each names the SLO and the number that decided it")
    override: GateOverride | None
    slos: list[GateSlo]


class GateStoreDown(_Out):
    """503: the store could not be read, so not even the token could be checked: denied."""

    error: str
    allow: Literal[False]
    fail_mode: Literal["fail-closed"]
    reasons: list[str]


class OpenApiDocument(BaseModel):
    """This document."""

    openapi: str
