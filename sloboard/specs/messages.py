"""Turning pydantic's validation errors into messages a spec author can act on.

Pydantic reports each error with a ``loc`` (the path of keys and indices), a ``type``
and the offending input. We keep the path for the file:line lookup and rewrite the
text: name the unknown field and the closest valid one, say what type was expected
and what was found.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails


def closest(word: str, choices: typing.Iterable[str]) -> str | None:
    """The valid name a typo most likely meant, compared without case."""
    by_lower = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


def unknown_name_message(what: str, name: str, valid: typing.Iterable[str]) -> str:
    valid = sorted(valid)
    suggestion = closest(name, valid)
    if suggestion:
        return f"unknown {what} {name!r}; did you mean {suggestion!r}?"
    listed = ", ".join(valid) if valid else "none"
    return f"unknown {what} {name!r}; valid: {listed}"


def describe_value(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


_EXPECTED = {
    "string_type": "text",
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
}


def message_for(error: ErrorDetails, model: type[BaseModel]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        name = str(error["loc"][-1])
        return unknown_name_message("field", name, fields_at(model, error["loc"][:-1]))
    if kind in _EXPECTED:
        return f"wrong type: expected {_EXPECTED[kind]}, got {describe_value(error['input'])}"
    if kind in ("literal_error", "enum"):
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        got = error["input"]
        hint = closest(str(got), allowed) if isinstance(got, str) else None
        suffix = f"; did you mean {hint!r}?" if hint and hint != got else ""
        return f"must be one of {', '.join(allowed)}; got {describe_value(got)}{suffix}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error["msg"]))
    if kind == "too_short" and isinstance(error["input"], (list, dict)):
        return f"must not be empty (at least {ctx.get('min_length', 1)} item)"
    return error["msg"]


def fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names (as written in YAML) that the model accepts at ``loc``."""
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if not isinstance(part, str):
                return []
            by_alias = {(f.alias or n): f for n, f in tp.model_fields.items()}
            if part not in by_alias:
                return []
            tp = by_alias[part].annotation
        elif typing.get_origin(tp) in (list, tuple) and isinstance(part, int):
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or n for n, f in tp.model_fields.items()]
    return []


def _unwrap(tp: Any) -> Any:
    """``X | None`` and ``Annotated[X, ...]`` both stand for X here."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp
