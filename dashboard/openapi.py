"""The OpenAPI 3.1 document of the HTTP API, served at ``/api/v1/openapi.json``.

Built from the app itself, so neither can drift from the other: the paths and methods are
the Flask URL map's ``/api/v1`` rules, each route's scope is the one ``api.SCOPES``
enforces, and the bodies' schemas come from the pydantic models the API validates with
(``deployment_body.DeploymentIn``) or answers by (``openapi_models``). What only prose can
say, a summary and the meaning of each status, is ``OPERATIONS``, one entry per route:
a route without one fails the build of the document (and a test).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import version
from typing import Iterable, Mapping

import flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from werkzeug.routing import Rule

from . import openapi_models as out
from .deployment_body import DeploymentIn

PREFIX = "api_v1."
SCHEME = "bearerAuth"


@dataclass(frozen=True)
class Operation:
    summary: str
    responses: Mapping[int, tuple[str, type[BaseModel]]]
    query: tuple[tuple[str, bool, str], ...] = ()  # (name, required, description)
    body: type[BaseModel] | None = None
    description: str = ""


OPERATIONS: dict[str, Operation] = {
    "api_v1.list_slos": Operation("The loaded SLOs", {200: ("every SLO, by id", out.SloList)}),
    "api_v1.one_status": Operation(
        "One SLO's status, as `sloboard status --json` has it",
        {200: ("its status at `at`", out.SloStatus), 400: ("`at` is not a time", out.Error),
         404: ("no SLO has this id", out.Error)},
        query=(("at", False, "ISO 8601, epoch seconds, now or now-<duration>; default now"),)),
    "api_v1.post_deployment": Operation(
        "Record a deployment (audited)",
        {201: ("recorded", out.DeploymentRecorded), 200: ("recorded before: a repeat", out.DeploymentRecorded),
         400: ("the body is not a deployment; the error names the field", out.Error),
         413: ("the body is larger than api.max_body_bytes", out.Error),
         422: ("no SLO covers the service and api.unknown_services is refuse", out.Error)},
        body=DeploymentIn,
        description="The fields of `sloboard deploy record`; its flag names (started, finished, committed) "
                    "are accepted for the JSON names."),
    "api_v1.gate": Operation(
        "May the service deploy now? (audited)",
        {200: ("allowed", out.GateAnswer), 423: ("denied: the reasons say why", out.GateAnswer),
         400: ("no service named", out.Error), 404: ("no SLO covers the service", out.Error),
         503: ("the store cannot be read, not even to check the token: denied", out.GateStoreDown)},
        query=(("service", True, "the service, as its SLOs name it"),),
        description="Denies when an SLO of the service has its budget below its policy's freeze level or a "
                    "page alert firing, and (unless gate.fail_open) when the store is unreachable or an SLO's "
                    "data is stale; an admin override (`sloboard gate override`) allows. Each reason names the "
                    "SLO and the number that decided it. `curl --fail` fails on a denial."),
    "api_v1.openapi": Operation("This document", {200: ("the OpenAPI 3.1 document", out.OpenApiDocument)},
                                description="Any valid token may read it, whatever its scopes."),
}
_COMMON = {401: ("no usable bearer token (none, unknown, expired or revoked)", out.Error),
           403: ("the token lacks the route's scope", out.Error),
           503: ("the store cannot be read", out.Error)}


def api_rules(app: flask.Flask) -> list[Rule]:
    """The ``/api/v1`` routes of ``app`` (not the catch-all that answers unknown paths)."""
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint.startswith(PREFIX)), key=lambda r: r.rule)


def openapi_path(rule: Rule) -> str:
    """``/api/v1/slos/<path:slo_id>/status`` -> ``/api/v1/slos/{slo_id}/status``."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)


def rule_methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def openapi_document(app: flask.Flask, scopes: Mapping[str, str | None]) -> dict:
    """The document of ``app``'s API; ``scopes``: each endpoint's scope (None: any valid token)."""
    models = [(m, "serialization") for m in _response_models()] + [(DeploymentIn, "validation")]
    refs, top = models_json_schema(models, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict] = {}
    for rule in api_rules(app):
        op = OPERATIONS.get(rule.endpoint)
        if op is None:
            raise LookupError(f"route {rule.rule} ({rule.endpoint}) has no entry in dashboard.openapi.OPERATIONS")
        for method in rule_methods(rule):
            paths.setdefault(openapi_path(rule), {})[method.lower()] = _operation(
                rule, op, scopes[rule.endpoint], lambda m, mode="serialization": refs[(m, mode)])
    return {
        "openapi": "3.1.0",
        "info": {"title": "sloboard HTTP API", "version": version("sloboard"),
                 "description": "SLO status, deployments and the deploy gate. Every route takes "
                                "`Authorization: Bearer <token>` (`sloboard token create NAME --scope S`); "
                                "every answer is JSON, errors too."},
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {SCHEME: {"type": "http", "scheme": "bearer",
                                         "description": "a token of `sloboard token create`; the security "
                                                        "requirement of each route names the scope it needs"}},
        },
    }


def _response_models() -> Iterable[type[BaseModel]]:
    return {model for op in OPERATIONS.values() for _, model in op.responses.values()} | {m for _, m in _COMMON.values()}


def _operation(rule: Rule, op: Operation, scope: str | None, ref) -> dict:
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
                  for name in sorted(rule.arguments)]
    parameters += [{"name": name, "in": "query", "required": required, "description": text,
                    "schema": {"type": "string"}} for name, required, text in op.query]
    responses = {str(status): {"description": text, "content": {"application/json": {"schema": ref(model)}}}
                 for status, (text, model) in sorted({**_COMMON, **op.responses}.items())}
    operation = {
        "operationId": rule.endpoint.removeprefix(PREFIX),
        "summary": op.summary,
        "security": [{SCHEME: [] if scope is None else [scope]}],
        "responses": responses,
    }
    if op.description:
        operation["description"] = op.description
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": ref(op.body, "validation")}}}
    return operation
