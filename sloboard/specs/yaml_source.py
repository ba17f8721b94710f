"""Reading spec files into YAML node trees that remember where every value was written.

PyYAML's composer gives each node a ``start_mark`` (0-based line and column). We keep
the node tree next to the plain Python data so that any problem found later, by
pydantic or by the mapping into the domain, can be pointed at a file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from ..errors import Problem

Loc = tuple[str | int, ...]

# libyaml composes about ten times faster and keeps the same marks; fall back to the
# pure-Python loader where PyYAML was built without it.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Document:
    """One spec object: a YAML document, or one item of a document that is a list."""

    path: str
    node: yaml.Node
    data: Any
    text: str

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1


def read_documents(path: str, text: str) -> tuple[list[Document], list[Problem]]:
    """Split ``text`` into spec objects; malformed YAML stops the file at the broken document.

    Documents that hold nothing (a trailing ``---``, comments only) are skipped; a file
    without any object is reported as empty.
    """
    documents: list[Document] = []
    problems: list[Problem] = []
    try:
        for root in yaml.compose_all(text, Loader=_LOADER):
            if root is None or _is_null(root):
                continue
            duplicates = _duplicate_keys(path, root)
            if duplicates:  # the data would silently differ from the text: refuse it
                problems.extend(duplicates)
                continue
            for node in _objects(root):
                if not isinstance(node, yaml.MappingNode):
                    problems.append(Problem(path, node.start_mark.line + 1, "",
                                            "a spec object must be a mapping of fields "
                                            f"(apiVersion, kind, ...), got {_node_kind(node)}"))
                    continue
                data = yaml.SafeLoader("").construct_document(node)
                documents.append(Document(path, node, data,
                                          text[node.start_mark.index:node.end_mark.index]))
    except yaml.YAMLError as exc:
        problems.append(_malformed(path, exc))
        return documents, problems
    if not documents and not problems:
        problems.append(Problem(path, 0, "", "empty file: no spec documents found"))
    return documents, problems


def _objects(root: yaml.Node) -> list[yaml.Node]:
    # OpenSLO tools accept a top-level list of objects as well as one object per document.
    if isinstance(root, yaml.SequenceNode):
        return list(root.value)
    return [root]


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _node_kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return f"the value {node.value!r}"


def _malformed(path: str, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 0
    column = f", column {mark.column + 1}" if mark is not None else ""
    what = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    started = getattr(exc, "context_mark", None)
    if context and started is not None and started.line + 1 != line:
        context = f"{context} started on line {started.line + 1}"
    detail = f"{context}: {what}" if context else what
    return Problem(path, line, "", f"malformed YAML (line {line}{column}): {detail}")


def _duplicate_keys(path: str, root: yaml.Node) -> list[Problem]:
    """PyYAML keeps the last of two equal keys without a word; we say so."""
    problems = []
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, field = stack.pop()
        if isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key, value in node.value:
                name = str(key.value)
                child = f"{field}.{name}" if field else name
                if name in first_line:
                    problems.append(Problem(
                        path, key.start_mark.line + 1, child,
                        f"duplicate key {name!r} (first on line {first_line[name]}); "
                        "YAML would keep only the last value"))
                else:
                    first_line[name] = key.start_mark.line + 1
                stack.append((value, child))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, f"{field}[{i}]") for i, item in enumerate(node.value))
    return problems


def _find_key(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for key_node, value_node in node.value:
        if key_node.value == key:
            return key_node, value_node
    return None


def locate(root: yaml.Node, loc: Loc) -> tuple[int, str]:
    """The 1-based line and dotted field path (``spec.objectives[0].target``) for ``loc``.

    ``loc`` is a path of mapping keys and list indices, as pydantic reports it. Parts
    that do not match the tree (a key that is missing, or a tag pydantic adds for a
    union member) still name the field, and the line stays at the deepest node found.
    """
    node = root
    line = root.start_mark.line + 1
    field = ""
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            field = f"{field}.{part}" if field else part
            found = _find_key(node, part)
            if found is None:
                break
            key_node, node = found
            line = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            field = f"{field}[{part}]"
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line, field


def scalar_text(root: yaml.Node, loc: Loc) -> str | None:
    """The scalar exactly as written at ``loc`` (``0.30`` stays ``0.30``), or None."""
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            found = _find_key(node, part)
            if found is None:
                return None
            node = found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return None
    return node.value if isinstance(node, yaml.ScalarNode) else None
