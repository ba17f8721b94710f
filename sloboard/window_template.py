"""Sloth's ``{{.window}}`` template: the one definition of how a query is recognised as
written against it (``QueryMode.WINDOW``). The spec checks decide a query's mode with
it and the collector's PromQL rewriting tokenizes with the same pattern, so a query the
specs call window mode is one the collector can rewrite."""

from __future__ import annotations

import re

# The template, spaces inside allowed: {{.window}}, {{ .window }}.
WINDOW_TEMPLATE = r"\{\{\s*\.window\s*\}\}"
# PromQL's string literals: a template inside one is label text, not a range.
PROMQL_STRING = r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`'

_TEMPLATE_OR_STRING = re.compile(rf"(?P<string>{PROMQL_STRING})|(?P<template>{WINDOW_TEMPLATE})")


def uses_window(query: str) -> bool:
    """True when the query carries the ``{{.window}}`` template outside its strings."""
    return any(m.lastgroup == "template" for m in _TEMPLATE_OR_STRING.finditer(query))
