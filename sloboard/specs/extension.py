"""sloboard's own settings inside a standard spec: ``metadata.annotations`` keys ``sloboard.dev/*``.

OpenSLO reserves ``metadata.annotations`` for implementation metadata, and a Pyrra
object carries the same Kubernetes ``metadata.annotations``, so these keys leave the
files valid for every other tool that reads them. Values are strings:

- ``sloboard.dev/team``: the owning team (``storefront``)
- ``sloboard.dev/alert-windows``: ``page 14.4x 1h/5m, page 6x 6h/30m, ticket 1x 3d/6h``
- ``sloboard.dev/freeze-below``: freeze deploys below this budget remaining (``0%``)
- ``sloboard.dev/warn-below``: warn below this budget remaining (``25%``)
- ``sloboard.dev/service``: Pyrra only, the service name (Pyrra has no service field)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import AlertWindow, BudgetPolicy
from .alert_windows import windows_from_text
from .base import MappingContext
from .messages import unknown_name_message
from .yaml_source import Loc

PREFIX = "sloboard.dev/"
TEAM, ALERT_WINDOWS, FREEZE_BELOW, WARN_BELOW, SERVICE = (
    "team", "alert-windows", "freeze-below", "warn-below", "service")
_KEYS = (TEAM, ALERT_WINDOWS, FREEZE_BELOW, WARN_BELOW, SERVICE)


@dataclass(frozen=True)
class Extension:
    team: str | None = None
    service: str | None = None
    alert_windows: tuple[AlertWindow, ...] | None = None  # None: the default table
    policy: BudgetPolicy = BudgetPolicy()


def budget_share(text: str) -> float:
    """``25%`` or ``0.25`` -> 0.25; a share of the error budget between -100 % and 100 %."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ValueError(f"{text!r} is not a share of the budget; write it like 25% or 0.25") from None
    if not -1.0 <= value <= 1.0:
        raise ValueError(f"{text!r} is outside -100%..100% of the budget; "
                         "write 25% or 0.25 for a quarter of the budget")
    return value


def read_extension(annotations: dict[str, str], ctx: MappingContext, loc: Loc,
                   allow_service: bool = False) -> Extension:
    """The ``sloboard.dev/*`` annotations, each checked; other annotations are left alone."""
    found: dict[str, object] = {}
    for key, value in annotations.items():
        if not key.startswith(PREFIX):
            continue
        name, where = key[len(PREFIX):], loc + (key,)
        if name not in _KEYS:
            ctx.error(where, unknown_name_message("sloboard annotation", key, (PREFIX + k for k in _KEYS)))
            continue
        if name == SERVICE and not allow_service:
            ctx.error(where, f"{key} is only for Pyrra files; this format names the service itself")
            continue
        try:
            found[name] = _parse(name, value)
        except ValueError as exc:
            ctx.error(where, str(exc))
    policy = BudgetPolicy(**{field: found[key] for key, field in
                             ((FREEZE_BELOW, "freeze_below"), (WARN_BELOW, "warn_below")) if key in found})
    if policy.freeze_below > policy.warn_below:
        ctx.error(loc + (PREFIX + FREEZE_BELOW,),
                  f"freeze-below ({policy.freeze_below:.0%}) must not be above warn-below "
                  f"({policy.warn_below:.0%}): deploys would freeze before anyone is warned")
    return Extension(team=found.get(TEAM), service=found.get(SERVICE),
                     alert_windows=found.get(ALERT_WINDOWS), policy=policy)


def _parse(name: str, value: str) -> object:
    if name in (TEAM, SERVICE):
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()
    if name == ALERT_WINDOWS:
        return windows_from_text(value)
    return budget_share(value)
