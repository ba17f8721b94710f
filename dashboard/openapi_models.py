"""The JSON bodies the HTTP API answers with, as pydantic models: the source of their
schemas in the OpenAPI document (``openapi.py``). The routes build plain dicts; the
fuzz test (``tests/integration/test_api_fuzz.py``) holds every answer to these schemas,
and ``extra="forbid"`` makes a field added to an answer but not here fail it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Timestamp = Field(description="ISO 8601 in UTC, e.g. 2026-12-02T10:00:00Z")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


class Alert(_Out):
    severity: Literal["page", "ticket"]
    long: str
    short: str
    threshold: float
    long_burn_rate: float | None
    short_burn_rate: float | None
    firing: bool


class SloStatus(_Out):
    """One SLO's entry of ``sloboard status --json`` at ``at``; null is "no data", never 0."""

    id: str
    service: str
    team: str | None
    objective: float
    window: str
    window_start: str = Timestamp
    sli: float | None
    good: float | None
    total: float | None
    budget_remaining: float | None
    budget_consumed: float | None
    burn_rates: dict[str, float | None] = Field(description="burn rate per window label, shortest first")
    alerts: list[Alert]
    exhaustion_at: str | None = Field(description="when the budget runs out at the current burn rate")
    data_completeness: float | None
    policy: Literal["freeze", "warn", "ok", "unknown"]
    at: str = Timestamp


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


class GatePageAlert(_Out):
    long: str
    short: str
    long_burn_rate: float
    short_burn_rate: float
    threshold: float


class GateSlo(_Out):
    id: str
    budget_remaining: float | None
    policy: Literal["freeze", "warn", "ok", "unknown"]
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
    state: Literal["freeze", "warn", "ok", "unknown"]
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
