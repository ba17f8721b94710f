"""How the synthetic fleet shows as metrics: the names, labels and per-step counts that
real exporters would give it. The live exporter (``sloboard demo exporter``) serves them,
and the tests' OpenMetrics backfill (``tests/openmetrics_backfill.py``) writes the same
ones, so the demo specs and the shipped queries read both alike."""

from __future__ import annotations

import numpy as np

from sloboard.domain import DeployStatus

from .synthetic import Fleet

# Every pod's CPU limit: its usage is its service's saturation times this.
CPU_LIMIT_CORES = 2.0

# deployments_total's status label, in the spelling release pipelines use.
STATUS_LABELS = {DeployStatus.SUCCEEDED: "success", DeployStatus.FAILED: "failed",
                 DeployStatus.ROLLED_BACK: "rolled_back"}


def container_labels(pod) -> dict[str, str]:
    """cAdvisor's and OpenCost's labels of a pod's container: container and namespace are its service."""
    return {"container": pod.service, "namespace": pod.service, "node": pod.node.name, "pod": pod.name}


def deployments_per_step(fleet: Fleet, service: str, status: DeployStatus) -> np.ndarray:
    """Deployments of ``service`` that ended with ``status``, counted at the first step end
    at or after they finished."""
    finished = [int(d.finished_at.timestamp()) for d in fleet.deployments
                if d.service == service and d.status is status and d.finished_at is not None]
    steps = -(-(np.asarray(finished, dtype=np.int64) - fleet.start) // fleet.step_s) - 1
    return np.bincount(steps, minlength=fleet.ts.size)[: fleet.ts.size].astype(np.int64)


def label_set(labels: dict[str, str]) -> str:
    """``{name="value",...}`` in name order, values escaped as the text formats ask."""
    body = ",".join(f'{k}="{_escape_label(v)}"' for k, v in sorted(labels.items()))
    return "{" + body + "}"


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
