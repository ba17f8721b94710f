"""Prometheus recording and alert rules from the SLO specs (``sloboard rules``).

The rules live here, beside the collector's PromQL, because they reuse its per-step
counting (``collectors.indicator_queries``, ``collectors.promql``) and DESIGN.md lets
``collectors`` import the core but not the other way round: the generated rules count
events exactly as ``sloboard collect`` does.
"""

from .build import FORMATS, RuleSet, build_rules, generate, render
from .recording import RuleOptions

__all__ = ["FORMATS", "RuleOptions", "RuleSet", "build_rules", "generate", "render"]
