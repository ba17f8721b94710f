"""The JSON API next to the dashboard, for scripts and release pipelines.

- ``GET  /api/v1/slos``: the loaded SLOs.
- ``GET  /api/v1/slos/<id>/status[?at=T]``: one SLO's entry of ``sloboard status --json``.
- ``POST /api/v1/deployments``: record a deployment.
- ``GET  /api/v1/gate?service=S``: may S deploy now (``sloboard.gate``, as ``sloboard gate``)?
  200 with ``"allow": true``, or 423 (Locked) with ``"allow": false`` and the reasons, so a
  pipeline can simply ``curl --fail``. No data, stale data or a store that cannot be read
  deny unless ``gate.fail_open`` is set; the answer says which happened.
- ``GET  /api/v1/openapi.json``: the OpenAPI 3.1 document of these routes (``openapi.py``).

Every route takes ``Authorization: Bearer <token>`` with the scope ``SCOPES`` names
(``bearer.py``; None: any valid token): 401 without a usable token, 403 without the scope.
Every answer under /api/ is JSON, errors too: ``{"error": message}`` with a 4xx status,
413 for a body over ``api.max_body_bytes``, 503 when the store cannot be read, 500 for a
bug (the log has the traceback).
"""

from __future__ import annotations

import logging

import flask
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from sloboard.deployments import record_deployment
from sloboard.engine.policy import FAIL_CLOSED
from sloboard.gate import GateRules, UnknownService
from sloboard.gate import ask as ask_gate
from sloboard.errors import StoreError
from sloboard.timeparse import iso, parse_time

from . import bearer
from .context import DashboardContext
from .deployment_body import parse_deployment
from .openapi import openapi_document

log = logging.getLogger(__name__)
API_PREFIX = "/api/"
# The scope each route needs (None: any valid token); a route missing here is refused (a
# test checks the map is complete).
SCOPES: dict[str, str | None] = {
    "api_v1.list_slos": "status:read",
    "api_v1.one_status": "status:read",
    "api_v1.post_deployment": "deploy:write",
    "api_v1.gate": "gate:read",
    "api_v1.openapi": None,
}


def _error(message: str, status: int) -> tuple[flask.Response, int]:
    return flask.jsonify(error=message), status


def register_api(server: flask.Flask, ctx: DashboardContext) -> None:
    bp = flask.Blueprint("api_v1", __name__, url_prefix="/api/v1")

    @bp.before_request
    def require_token():
        endpoint = flask.request.endpoint or ""
        if endpoint not in SCOPES:
            return _error(f"no scope is defined for {flask.request.path}; refused", 403)
        actor, refusal = bearer.authenticate(ctx, SCOPES[endpoint])
        if refusal is not None:
            return _error(refusal.message, refusal.status)
        flask.g.api_actor = f"api:{actor}"

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
        return flask.jsonify(report.slo(slo_id).to_dict() | {"at": iso(report.at)})

    @bp.post("/deployments")
    def post_deployment():
        # Read at most this much: a bigger body is a 413 (JSON, see register_error_handlers).
        flask.request.max_content_length = ctx.settings.api.max_body_bytes
        body = flask.request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error("the body must be a JSON object", 400)
        try:
            deployment = parse_deployment(body, ctx.clock())
        except ValueError as exc:
            return _error(str(exc), 400)
        warnings = []
        if deployment.service not in ctx.services:
            unknown = (f"service: no SLO covers service {deployment.service!r} "
                       f"(known: {', '.join(ctx.services) or 'none'})")
            if ctx.settings.api.unknown_services == "refuse":
                return _error(f"{unknown}; api.unknown_services is refuse", 422)
            warnings.append(f"{unknown}; stored anyway, DORA counts it")
        new = record_deployment(ctx.store, deployment, actor=flask.g.api_actor, audit_payload=body, audit_repeats=True)
        return flask.jsonify(recorded=new, service=deployment.service, version=deployment.version,
                             status=deployment.status.value, warnings=warnings), (201 if new else 200)

    @bp.get("/gate")
    def gate():
        service = flask.request.args.get("service", "").strip()
        if not service:
            return _error("give the service: /api/v1/gate?service=NAME", 400)
        try:
            answer = ask_gate(ctx.store, ctx.slos, service, ctx.clock(), GateRules.from_settings(ctx.settings),
                              read_entries=lambda at: ctx.report(at).slos, actor=flask.g.api_actor)
        except UnknownService as exc:
            return _error(str(exc), 404)
        return flask.jsonify(answer.to_dict()), (200 if answer.allowed else 423)

    @bp.get("/openapi.json")
    def openapi():
        return flask.jsonify(openapi_document(flask.current_app, SCOPES))

    @bp.errorhandler(StoreError)
    def store_down(exc: StoreError):
        message = f"store unavailable: {exc}"
        if flask.request.endpoint != "api_v1.gate":
            return _error(message, 503)
        # The token itself could not be checked, so not even gate.fail_open may allow.
        return flask.jsonify(error=message, allow=False, fail_mode=FAIL_CLOSED, reasons=[
            f"{FAIL_CLOSED}: store unreachable ({exc}); the bearer token cannot be checked without it"]), 503

    server.register_blueprint(bp)
    register_error_handlers(server)


def register_error_handlers(server: flask.Flask) -> None:
    """Every error under /api/ is JSON; no route answers with Flask's HTML error page.

    Registered on the app, not the blueprint: a blueprint's handlers never see a 404 of
    a path that matches none of its routes, nor a 413 raised while the body is read.
    """

    def no_such_route(rest: str):
        if bearer.presented_token() is None:  # as for the real routes: nothing without a token
            return _error("the API needs Authorization: Bearer <token>", 401)
        return _error(f"no API route {flask.request.method} {flask.request.path}; see README, section HTTP API", 404)

    # Without it, Dash's catch-all page route would answer an unknown /api/ path with 200
    # and HTML. Werkzeug prefers a rule with more static parts, so every real route wins.
    server.add_url_rule(f"{API_PREFIX}<path:rest>", "api_no_such_route", no_such_route,
                        methods=["GET", "POST", "PUT", "PATCH", "DELETE"])

    @server.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not flask.request.path.startswith(API_PREFIX):
            return exc  # the page routes keep werkzeug's answer (Dash serves its own 404 page)
        if isinstance(exc, RequestEntityTooLarge):
            return _error(f"the body is larger than {flask.request.max_content_length} bytes "
                          "(the setting api.max_body_bytes)", 413)
        return _error(exc.description or exc.name, exc.code or 500)

    @server.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", flask.request.method, flask.request.path)
        message = f"internal error: {type(exc).__name__}; the server log has the traceback"
        if flask.request.path.startswith(API_PREFIX):
            return _error(message, 500)
        return flask.Response(message + "\n", status=500, content_type="text/plain; charset=utf-8")

