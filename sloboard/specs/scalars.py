"""Text fields that YAML may have read as numbers, booleans or dates.

Prometheus label values are always text, and the Go tools behind the formats read a
scalar into a text field as text: Sloth and Pyrra through ``sigs.k8s.io/yaml``, which
turns ``true`` into ``"true"``, ``90`` into ``"90"`` and ``0.20`` into ``"0.2"``
(``strconv.FormatFloat(v, 'g', -1, 64)``); OpenSLO's reference tool through yaml.v3,
which keeps the scalar as written. PyYAML has already turned the scalar into a Python
value, so we write it back the way the Go tools do (only OpenSLO's ``0.20``, which
yaml.v3 would keep as written, comes out as ``0.2``).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator


def go_float(value: float) -> str:
    """``strconv.FormatFloat(value, 'g', -1, 64)``: shortest digits, exponent below 1e-4 or from 1e6."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    point = len(digits) + int(exponent)  # where the decimal point falls in the digits
    magnitude = point - 1
    head = "-" if sign else ""
    if magnitude < -4 or magnitude >= 6:  # Go uses %e here when the precision is the shortest
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{head}{mantissa}e{'-' if magnitude < 0 else '+'}{abs(magnitude):02d}"
    if point <= 0:
        return f"{head}0.{'0' * -point}{text}"
    if point >= len(text):
        return head + text + "0" * (point - len(text))
    return f"{head}{text[:point]}.{text[point:]}"


def as_text(value: Any) -> Any:
    """A YAML scalar as the text a Go tool reads from it; other values pass unchanged (and fail later)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, datetime):  # yaml.v2 and v3 keep timestamps as written; this is the usual form
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _text_map(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {as_text(k): as_text(v) for k, v in value.items()}


Text = Annotated[str, BeforeValidator(as_text)]
TextMap = Annotated[dict[str, str], BeforeValidator(_text_map)]
"""Labels, annotations and other string maps: scalar keys and values become text."""
