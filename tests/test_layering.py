"""The layers of sloboard/README.md, held by reading every import with ``ast``.

Imports count wherever they are written (module level, inside a function, under
``TYPE_CHECKING``): a lazy import is still a dependency of the code that runs it.

1. No import circles among the modules of sloboard, collectors, dashboard and reports.
2. ``sloboard/engine/`` is pure: it imports only the standard library's computing
   modules, numpy, ``sloboard.domain``, ``sloboard.errors`` and itself; no YAML, file,
   clock or SQL module, and it calls no ``open()`` and no ``now()``/``today()``.
3. Only ``sloboard/store/`` imports a database library.
4. ``collectors/``, ``dashboard/`` and ``reports/`` import ``sloboard`` and never each
   other (what one needs of another, an entry point hands in: the dashboard's report
   builder comes from ``sloboard.wiring``).
5. Inside ``sloboard``, only the entry points import those three: the commands
   (``cli.py``, ``cli_*.py``), the scheduler's jobs and the composition root ``wiring.py``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("sloboard", "collectors", "dashboard", "reports")
OUTER = frozenset({"collectors", "dashboard", "reports"})
DATABASE_LIBRARIES = frozenset({"sqlalchemy", "psycopg", "psycopg2", "sqlite3", "alembic"})
ENGINE_MAY_IMPORT = frozenset({
    "__future__", "collections", "dataclasses", "datetime", "enum", "fractions", "functools", "itertools",
    "math", "numbers", "numpy", "operator", "statistics", "typing", "zoneinfo",
})
ENGINE_SLOBOARD_IMPORTS = ("sloboard.engine", "sloboard.domain", "sloboard.errors")
# The clock as datetime and date give it, and files (the time module is not importable, rule 2).
CLOCK_AND_FILE_CALLS = frozenset({"now", "utcnow", "today", "open"})


def _entry_point(module: str) -> bool:
    name = module.split(".")
    return (module in ("sloboard.cli", "sloboard.wiring") or (len(name) == 2 and name[1].startswith("cli_"))
            or module.startswith("sloboard.scheduler."))


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module, as written (may be outside the repo)
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}: {self.source} imports {self.target}"


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    if node.level:
        base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    # ``from pkg import name``: the submodule pkg.name when there is one, else pkg itself.
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base for alias in node.names]


@cache
def imports() -> tuple[Import, ...]:
    found = []
    for module, path in sorted(modules().items()):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found += [Import(module, target, path, node.lineno) for target in _targets(module, path, node)]
    return tuple(found)


def _internal(target: str) -> str | None:
    """The repo module ``target`` names (its longest known prefix), or None."""
    parts = target.split(".")
    return next((".".join(parts[:n]) for n in range(len(parts), 0, -1) if ".".join(parts[:n]) in modules()), None)


def import_circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return circles


def test_the_circle_finder_finds_a_circle_and_only_it():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert import_circles(edges) == [["a", "b", "c"]]
    assert import_circles({"a": {"b"}, "b": set()}) == []


def test_imports_are_read_from_the_real_tree():
    # The checks below pass vacuously if the reading finds nothing: pin a few known edges.
    edges = {(i.source, _internal(i.target)) for i in imports()}
    assert ("sloboard.store.store", "sloboard.store.sample_rows") in edges  # from .sample_rows import ...
    assert ("sloboard.specs.openslo_v1alpha", "sloboard.specs.openslo") in edges  # from . import openslo
    assert ("sloboard.cli_collect", "collectors.collect") in edges  # inside a function
    assert len(modules()) > 100


def test_no_import_circles():
    edges: dict[str, set[str]] = {}
    for i in imports():
        target = _internal(i.target)
        if target is not None and target != i.source:
            edges.setdefault(i.source, set()).add(target)
    assert import_circles(edges) == []


def test_the_engine_imports_no_yaml_file_clock_or_sql_module():
    wrong = [str(i) for i in imports() if i.source.startswith("sloboard.engine")
             and not (i.target.split(".")[0] in ENGINE_MAY_IMPORT
                      or any(i.target == p or i.target.startswith(p + ".") for p in ENGINE_SLOBOARD_IMPORTS))]
    assert wrong == []


def test_the_engine_calls_no_clock_and_opens_no_file():
    wrong = []
    for module, path in modules().items():
        if not module.startswith("sloboard.engine"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                if name in CLOCK_AND_FILE_CALLS:
                    wrong.append(f"{path.relative_to(REPO)}:{node.lineno}: calls {name}()")
    assert wrong == []


def test_only_the_store_imports_a_database_library():
    wrong = [str(i) for i in imports() if i.target.split(".")[0] in DATABASE_LIBRARIES
             and not i.source.startswith("sloboard.store")]
    assert wrong == []


def test_collectors_dashboard_and_reports_import_only_sloboard():
    wrong = [str(i) for i in imports() if i.source.split(".")[0] in OUTER
             and i.target.split(".")[0] in OUTER - {i.source.split(".")[0]}]
    assert wrong == []


def test_inside_sloboard_only_the_entry_points_import_collectors_dashboard_or_reports():
    wrong = [str(i) for i in imports() if i.source.split(".")[0] == "sloboard"
             and i.target.split(".")[0] in OUTER and not _entry_point(i.source)]
    assert wrong == []
