"""SLO spec files (OpenSLO v1 and v1alpha, Sloth prometheus/v1 and its Kubernetes form, Pyrra) into SLOs.

``load_specs(paths, alert_windows_file=None) -> LoadResult`` is the whole public API;
see ``README.md`` in this folder for the formats and sloboard's extension keys.
"""

from .loader import LoadResult, load_specs

__all__ = ["LoadResult", "load_specs"]
