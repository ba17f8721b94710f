"""What Kubernetes objects (Pyrra's SLOs, Sloth's PrometheusServiceLevel) share: ``metadata``.

The API server drops fields a CRD does not declare (``kubectl`` warns), so the tools
that read these objects never see a typo: sloboard warns and goes on. The fields
the server sets (``uid``, ``creationTimestamp``, ...) appear in ``kubectl get -o
yaml`` output and are accepted unused.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import SpecModel
from .scalars import Text, TextMap

IGNORED = "ignored: Kubernetes drops fields the CRD does not declare"


class ObjectMeta(SpecModel):
    UNKNOWN_FIELDS = IGNORED

    name: Text
    namespace: Text | None = None
    labels: TextMap = {}
    annotations: TextMap = {}
    generate_name: Any = Field(None, alias="generateName")
    uid: Any = None
    resource_version: Any = Field(None, alias="resourceVersion")
    generation: Any = None
    creation_timestamp: Any = Field(None, alias="creationTimestamp")
    deletion_timestamp: Any = Field(None, alias="deletionTimestamp")
    deletion_grace_period_seconds: Any = Field(None, alias="deletionGracePeriodSeconds")
    owner_references: Any = Field(None, alias="ownerReferences")
    finalizers: Any = None
    managed_fields: Any = Field(None, alias="managedFields")
    self_link: Any = Field(None, alias="selfLink")


class KubernetesObject(SpecModel):
    """``apiVersion``, ``kind`` and ``spec`` are the subclass's; ``status`` is the server's, unused."""

    UNKNOWN_FIELDS = IGNORED

    metadata: ObjectMeta
    status: dict[str, Any] | None = None
