"""docs/specs.md names every field of every spec format sloboard reads, taken from the
formats' own schema models, so a field added to a model without a line in the reference
fails here.

A field counts as documented in its format's section when a backticked name there is its
whole path (``spec.window``) or ends it with at least two parts (``metricSource.type``
covers ``spec.ratioMetric.good.metricSource.type``, whose meaning is the same wherever a
metric sits).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from sloboard.specs import openslo, openslo_v1alpha, pyrra, sloth

DOC = Path(__file__).resolve().parents[1] / "docs" / "specs.md"
FORMATS = {
    "OpenSLO v1": [openslo.SLOObject, openslo.SLIObject, openslo.DataSourceObject, openslo.ServiceObject,
                   openslo.UnusedObject],
    "OpenSLO v1alpha": [openslo_v1alpha.SLOObject, openslo_v1alpha.ServiceObject],
    "Sloth": [sloth.SlothSpec, sloth.PrometheusServiceLevel],
    "Pyrra": [pyrra.ServiceLevelObjective],
}
# Sloth's and Pyrra's objects share the Kubernetes metadata, documented once after Pyrra.
K8S_FORMATS, K8S_SECTION = ("Sloth", "Pyrra"), "Kubernetes metadata"


def _models(annotation) -> tuple[list[type[BaseModel]], bool]:
    """The models inside a field's type (``list[X] | None`` -> [X]), and whether it is a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation], False
    found, listed = [], typing.get_origin(annotation) is list
    for arg in typing.get_args(annotation):
        models, inner = _models(arg)
        found, listed = found + models, listed or inner
    return found, listed


def field_paths(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every YAML path of ``model``, as written in files: ``spec.timeWindow[].duration``."""
    for name, info in model.model_fields.items():
        path = prefix + (info.alias or name)
        yield path
        models, listed = _models(info.annotation)
        for sub in models:
            yield from field_paths(sub, path + ("[]." if listed else "."))


def sections() -> dict[str, str]:
    parts = re.split(r"^## (.+)$", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2])}


def documented(path: str, text: str) -> bool:
    names = set(re.findall(r"`([^`\s]+)`", text))
    parts = path.split(".")
    if len(parts) == 1:
        return path in names
    return any(".".join(parts[-n:]) in names for n in range(2, len(parts) + 1))


CASES = sorted({(fmt, path) for fmt, models in FORMATS.items() for model in models for path in field_paths(model)})


@pytest.mark.parametrize("fmt,path", CASES, ids=[f"{f}: {p}" for f, p in CASES])
def test_every_field_of_every_format_is_in_the_spec_reference(fmt, path):
    docs = sections()
    shared = [body for title, body in docs.items() if title.startswith(K8S_SECTION)] if fmt in K8S_FORMATS else []
    text = docs[fmt] + "".join(shared)
    assert documented(path, text), f"docs/specs.md, section {fmt!r}, does not document {path}"


def test_the_walk_reaches_nested_and_aliased_fields():
    paths = set(field_paths(openslo.SLOObject))
    assert "spec.timeWindow[].calendar.timeZone" in paths
    assert "spec.indicator.spec.ratioMetric.good.metricSource.metricSourceRef" in paths
    assert "spec.slos[].sli.events.errorQuery" in set(field_paths(sloth.PrometheusServiceLevel))


def test_a_field_named_only_as_part_of_another_is_not_documented():
    assert documented("spec.window", "| `spec.window` | yes |")
    assert documented("spec.ratioMetric.good.metricSource.type", "`metricSource.type`")
    assert not documented("spec.window", "`spec.windows`")
    assert not documented("spec.ratioMetric.good.metricSource.type", "`type`")
