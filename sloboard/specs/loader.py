"""``load_specs``: every spec file in, valid SLOs and every problem (with file and line) out.

Steps: find the files, split them into YAML documents, recognise each document's
format (OpenSLO v1 and v1alpha, Sloth prometheus/v1 and its Kubernetes form, Pyrra
v1alpha1), validate it with that format's model, register the OpenSLO SLIs and
DataSources so references work across files, map each SLO-bearing object into the
domain, and refuse duplicate SLO ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..domain import SLO
from ..errors import Problem
from . import openslo, openslo_v1alpha, pyrra, sloth
from .alert_windows import load_alert_windows
from .base import MappingContext, Parsed, Reporter, SpecModel, validate
from .messages import unknown_name_message
from .yaml_source import Document, read_documents

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadResult:
    slos: list[SLO]
    problems: list[Problem]
    files: list[Path]

    @property
    def ok(self) -> bool:
        """True when no problem is an error (warnings do not fail a load)."""
        return not self.errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def load_specs(paths: Sequence[Path], alert_windows_file: Path | None = None) -> LoadResult:
    """Load every ``*.yaml``/``*.yml`` under the given folders (recursively, sorted) and files.

    ``alert_windows_file`` replaces the shipped SRE workbook table of burn-rate alert
    windows for every SLO. All problems are reported, not just the first.
    """
    reporter = Reporter()
    default_windows, window_problems = load_alert_windows(alert_windows_file)
    reporter.problems.extend(window_problems)
    files = _discover(paths, reporter)
    parsed: list[tuple[Parsed, Document]] = []
    for path in files:
        for doc in _read(path, reporter):
            model = _recognise(doc, reporter)
            result = validate(model, doc, reporter) if model is not None else None
            if result is not None:
                parsed.append((result, doc))
    registry = openslo.Registry.of([(p.obj, doc) for p, doc in parsed if not p.refused], reporter)
    slos: list[SLO] = []
    for result, doc in parsed:
        obj = result.obj
        if isinstance(obj, openslo.UnusedObject):
            reporter.add(doc, ("kind",), f"{obj.kind} objects are not used: sloboard alerts on "
                         "burn-rate windows (annotation sloboard.dev/alert-windows)", "warning")
        to_domain = getattr(obj, "to_domain", None)
        if to_domain is not None:
            # A refused object is still mapped, so that all its problems show in one run.
            ctx = MappingContext(doc, reporter, default_windows, result.translate)
            if doc.data.get("apiVersion") in _OPENSLO_VERSIONS:
                ctx = openslo.OpenSLOContext.extending(ctx, registry)
            mapped = to_domain(ctx)
            slos.extend(mapped if not result.refused else [])
    slos = _unique_ids(slos, reporter)
    problems = sorted(dict.fromkeys(reporter.problems), key=lambda p: (p.path, p.line))
    return LoadResult(slos=slos, problems=problems, files=files)


def _discover(paths: Sequence[Path], reporter: Reporter) -> list[Path]:
    found: list[Path] = []
    for given in map(Path, paths):
        if given.is_dir():
            inside = sorted(p for p in given.rglob("*") if p.is_file() and p.suffix in SPEC_SUFFIXES
                            and not any(part.startswith(".") for part in p.relative_to(given).parts))
            if not inside:
                reporter.problems.append(Problem(str(given), 0, "", "no *.yaml or *.yml files in this folder",
                                                 "warning"))
            found.extend(inside)
        elif given.is_file():
            found.append(given)
        else:
            reporter.problems.append(Problem(str(given), 0, "", "no such file or folder"))
    return list(dict.fromkeys(found))


def _read(path: Path, reporter: Reporter) -> list[Document]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        reporter.problems.append(Problem(str(path), 0, "", f"not UTF-8 text (byte {exc.start})"))
        return []
    except OSError as exc:
        reporter.problems.append(Problem(str(path), 0, "", f"cannot read: {exc.strerror}"))
        return []
    documents, problems = read_documents(str(path), text)
    reporter.problems.extend(problems)
    return documents


def _recognise(doc: Document, reporter: Reporter) -> type[SpecModel] | None:
    """The schema for a document, chosen by its ``apiVersion``/``kind`` or Sloth ``version``."""
    api, version = doc.data.get("apiVersion"), doc.data.get("version")
    if api is None and version is None:
        reporter.add(doc, (), "not an SLO spec: no apiVersion (OpenSLO, Pyrra, Sloth's Kubernetes form) "
                     "or version (Sloth)")
        return None
    if api is not None:
        kinds = _KINDS.get(api) if isinstance(api, str) else None
        if kinds is None:
            reporter.add(doc, ("apiVersion",), _unknown_api_version(str(api)))
            return None
        kind = doc.data.get("kind")
        if kind is None:
            reporter.add(doc, ("kind",), "required field is missing")
        elif not isinstance(kind, str) or kind not in kinds:
            reporter.add(doc, ("kind",), unknown_name_message("kind", str(kind), kinds))
        return kinds.get(kind) if isinstance(kind, str) else None
    if version == sloth.VERSION:
        return sloth.SlothSpec
    reporter.add(doc, ("version",), f"unknown Sloth spec version {version!r}; sloboard reads \"prometheus/v1\"")
    return None


# The formats whose objects refer to OpenSLO SLIs and DataSources by name.
_OPENSLO_VERSIONS = (openslo.API_VERSION, openslo_v1alpha.API_VERSION)
# apiVersion -> kind -> schema.
_KINDS: dict[str, dict[str, type[SpecModel]]] = {
    openslo.API_VERSION: openslo.KINDS,
    openslo_v1alpha.API_VERSION: openslo_v1alpha.KINDS,
    pyrra.API_VERSION: {pyrra.KIND: pyrra.ServiceLevelObjective},
    sloth.K8S_API_VERSION: {sloth.K8S_KIND: sloth.PrometheusServiceLevel},
}


def _unknown_api_version(api: str) -> str:
    if api.startswith("openslo"):
        return f"unsupported OpenSLO version {api!r}; sloboard reads openslo/v1 and openslo/v1alpha"
    if api.startswith("sloth.slok.dev"):
        return f"unsupported Sloth Kubernetes version {api!r}; sloboard reads {sloth.K8S_API_VERSION}"
    return (f"unknown apiVersion {api!r}; sloboard reads openslo/v1, openslo/v1alpha, pyrra.dev/v1alpha1, "
            f"{sloth.K8S_API_VERSION} and Sloth files with version: \"prometheus/v1\"")


def _unique_ids(slos: list[SLO], reporter: Reporter) -> list[SLO]:
    first: dict[str, SLO] = {}
    for slo in slos:
        if slo.id not in first:
            first[slo.id] = slo
            continue
        kept, here = first[slo.id].source, slo.source
        assert kept is not None and here is not None  # every loader sets the source
        reporter.problems.append(Problem(
            here.path, here.line, "", f"duplicate SLO id {slo.id!r}: already defined at "
            f"{kept.path}:{kept.line}; ids (service/name) must be unique across all spec files"))
    return list(first.values())
