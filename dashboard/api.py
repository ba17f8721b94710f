"""The JSON API next to the dashboard, for scripts and release pipelines.

- ``GET  /api/v1/slos``: the loaded SLOs.
- ``GET  /api/v1/slos/<id>/status[?at=T]``: one SLO's entry of ``sloboard status --json``.
- ``POST /api/v1/deployments``: record a deployment (``Authorization: Bearer <token>``).
- ``GET  /api/v1/gate?service=S``: may S deploy now under its error-budget policy?
  200 with ``"allowed": true``, or 423 (Locked) with ``"allowed": false`` and the reasons,
  so a pipeline can simply ``curl --fail``. Without data the gate stays open and says so:
  a broken collector must not stop every release.

Every answer is JSON; errors are ``{"error": message}`` with a 4xx status.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timezone

import flask
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from sloboard.domain import Deployment, DeployStatus
from sloboard.errors import StoreError
from sloboard.timeparse import parse_time

from .context import DashboardContext


class DeploymentIn(BaseModel):
    """The body of ``POST /api/v1/deployments``; times are ISO 8601 or epoch seconds."""

    model_config = ConfigDict(extra="forbid")

    service: str
    version: str
    status: str
    started_at: str | int | None = None
    finished_at: str | int | None = None
    commit: str | None = None
    committed_at: str | int | None = None

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


def _error(message: str, status: int) -> tuple[flask.Response, int]:
    return flask.jsonify(error=message), status


def _as_datetime(value, now: float) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(parse_time(str(value), now), tz=timezone.utc)


def _token_name(ctx: DashboardContext) -> str | None:
    """The name of the API token presented, or None when it matches none."""
    header = flask.request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return None
    for name, token in ctx.settings.api_tokens.items():
        if hmac.compare_digest(presented.strip().encode(), token.get_secret_value().encode()):
            return name
    return None


def register_api(server: flask.Flask, ctx: DashboardContext) -> None:
    bp = flask.Blueprint("api_v1", __name__, url_prefix="/api/v1")

    @bp.get("/slos")
    def list_slos():
        return flask.jsonify(
            slos=[
                {"id": s.id, "service": s.service, "team": s.team, "objective": s.objective,
                 "window": s.window.label, "spec": s.source.path if s.source else None}
                for s in sorted(ctx.slos, key=lambda s: s.id)
            ]
        )

    @bp.get("/slos/<path:slo_id>/status")
    def one_status(slo_id: str):
        slo = ctx.slo(slo_id)
        if slo is None:
            return _error(f"no SLO with id {slo_id!r}", 404)
        try:
            at = parse_time(flask.request.args.get("at", "now"), ctx.clock())
        except ValueError as exc:
            return _error(f"at: {exc}", 400)
        report = ctx.report(at)
        return flask.jsonify(next(e for e in report["slos"] if e["id"] == slo_id) | {"at": report["at"]})

    @bp.post("/deployments")
    def post_deployment():
        if not ctx.settings.api_tokens:
            return _error("no API tokens are configured (set api_tokens in the settings)", 403)
        actor = _token_name(ctx)
        if actor is None:
            return _error("missing or wrong bearer token", 401)
        body = flask.request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error("the body must be a JSON object", 400)
        try:
            data = DeploymentIn.model_validate(body)
            now = ctx.clock()
            started = _as_datetime(data.started_at, now) or datetime.fromtimestamp(int(now), tz=timezone.utc)
            finished = _as_datetime(data.finished_at, now) or started
            committed = _as_datetime(data.committed_at, now)
        except ValidationError as exc:
            fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            return _error(fields, 400)
        except ValueError as exc:
            return _error(str(exc), 400)
        if finished < started:
            return _error("finished_at is before started_at", 400)
        deployment = Deployment(data.service, data.version, DeployStatus(data.status), started, finished,
                                "api", data.commit, committed)
        new = ctx.store.record_deployment(deployment)
        ctx.store.append_audit(f"api:{actor}", "deployment.record", body)
        return flask.jsonify(recorded=new, service=data.service, version=data.version,
                             status=data.status), (201 if new else 200)

    @bp.get("/gate")
    def gate():
        service = flask.request.args.get("service", "").strip()
        if not service:
            return _error("give the service: /api/v1/gate?service=NAME", 400)
        slos = [s for s in ctx.slos if s.service == service]
        if not slos:
            return _error(f"no SLO covers service {service!r}; known: {', '.join(ctx.services) or 'none'}", 404)
        answer = gate_decision(ctx.report(ctx.at()), service)
        return flask.jsonify(answer), (200 if answer["allowed"] else 423)

    @bp.errorhandler(StoreError)
    def store_down(exc: StoreError):
        return _error(f"store unavailable: {exc}", 503)

    server.register_blueprint(bp)


def gate_decision(report: dict, service: str) -> dict:
    """Deploys are frozen when any SLO of the service is in its policy's freeze state.

    ``report`` is ``status_report``'s answer, so the gate and the dashboard agree.
    """
    entries = [e for e in report["slos"] if e["service"] == service]
    states = {e["policy"] for e in entries}
    frozen = [e for e in entries if e["policy"] == "freeze"]

    def budget(e):
        return f"error budget {e['budget_remaining'] * 100:.1f}% remaining"

    reasons = (
        [f"{e['id']}: {budget(e)}, the policy freezes deploys" for e in frozen]
        + [f"{e['id']}: {budget(e)}, below the warning line" for e in entries if e["policy"] == "warn"]
        + [f"{e['id']}: no data; the gate stays open" for e in entries if e["policy"] == "unknown"]
    )
    state = next((s for s in ("freeze", "warn", "ok") if s in states), "unknown")
    return {
        "service": service,
        "at": report["at"],
        "allowed": not frozen,
        "state": state,
        "reasons": reasons,
        "slos": [{"id": e["id"], "budget_remaining": e["budget_remaining"], "policy": e["policy"]} for e in entries],
    }
