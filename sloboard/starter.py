"""`sloboard init [DIR]`: a starter ``sloboard.yaml`` and one SLO spec for a new user's
own service, commented line by line, that `sloboard validate` accepts as written.

Nothing is overwritten: if either file exists, nothing is written at all.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import InputError

SETTINGS_FILE = "sloboard.yaml"
SPECS_DIR = "slo_specs"
# A Kubernetes-style name: what Prometheus labels and the SLO id (service/name) carry well.
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

SETTINGS_TEMPLATE = """\
# sloboard's settings. Every key is in docs/configuration.md, with its SLOBOARD_*
# environment variable (which wins over this file). Use it with
#   sloboard --config sloboard.yaml validate     (or: export SLOBOARD_CONFIG=sloboard.yaml)

# Where the SQLite store and the report archive live (created on first use).
data_dir: ./var
# For several dashboard workers, use PostgreSQL instead (the same migrations):
# database_url: postgresql+psycopg://sloboard:change-me@127.0.0.1:5432/sloboard

# The SLO specs: every *.yaml below this folder.
specs_dir: ./{specs_dir}

# Calendar windows (week, month, quarter) and reports use this time zone.
timezone: UTC

prometheus:
  # Prometheus, or Thanos, Mimir, VictoriaMetrics: the URL their query API is under.
  url: {prometheus_url}
  # headers: {{X-Scope-OrgID: team-a}}    # Mimir's tenant
  # bearer_token: ...                     # better: SLOBOARD_PROMETHEUS__BEARER_TOKEN

collect:
  step_s: 60       # one stored sample per SLO per minute
  backfill: 35d    # the first `sloboard collect` reaches this far back
  lookback: 5m     # keep it above your scrape interval

dashboard:
  # Where people open the dashboard; alert rules link to its SLO pages.
  base_url: http://127.0.0.1:8050

# Tokens for POST /api/v1/deployments (release pipelines); set them in the
# environment instead of here: SLOBOARD_API_TOKENS='{{"ci": "a-long-random-string"}}'
# api_tokens: {{}}
"""

SPEC_TEMPLATE = """\
# An SLO for {service}, in OpenSLO v1 (sloboard also reads Sloth and Pyrra files).
# Check it with: sloboard --config sloboard.yaml validate
# Its id is <spec.service>/<metadata.name>: {service}/availability.
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
  displayName: {service} availability
  annotations:
    sloboard.dev/team: {team}   # the owning team: cost and DORA metrics roll up to it
spec:
  service: {service}            # deployments and the deploy gate use this name
  description: 99.5 % of {service}'s requests succeed (no 5xx) over 28 days.
  budgetingMethod: Occurrences  # count events; or Timeslices / RatioTimeslices
  timeWindow:
    - duration: 28d             # a rolling window; or calendar week/month/quarter
      isRolling: true
  objectives:
    - displayName: Non-5xx responses
      target: 0.995             # a fraction in (0, 1)
  indicator:
    metadata:
      name: {service}-non-5xx
    spec:
      ratioMetric:
        counter: true           # the queries name counters; sloboard counts events per step
        good:
          metricSource:
            type: Prometheus
            spec:
              # Change the metric and labels to your own; no rate() and no [5m]:
              # at most sum(...) or sum by (...) around a counter.
              query: sum(http_requests_total{{service="{service}",code!~"5.."}})
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{{service="{service}"}})
"""


def starter_files(service: str, team: str, prometheus_url: str) -> dict[str, str]:
    """The files ``init`` writes, by path relative to its folder."""
    for what, value in (("--service", service), ("--team", team)):
        if not _NAME.match(value):
            raise InputError(f"{what} {value!r}: use lowercase letters, digits and dashes, like checkout-api")
    return {
        SETTINGS_FILE: SETTINGS_TEMPLATE.format(specs_dir=SPECS_DIR, prometheus_url=prometheus_url),
        f"{SPECS_DIR}/{service}.yaml": SPEC_TEMPLATE.format(service=service, team=team),
    }


def write_starter(folder: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` below ``folder``; refuse (InputError) if any exists already."""
    targets = {folder / name: text for name, text in files.items()}
    existing = [str(p) for p in targets if p.exists()]
    if existing:
        raise InputError(f"not overwriting {', '.join(existing)}; remove it or choose another folder")
    written = []
    try:
        for path, text in targets.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: a file that appeared since the check above is still never overwritten.
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), "w", encoding="utf-8") as out:
                out.write(text)
            written.append(path)
    except OSError as exc:
        raise InputError(f"{exc.filename}: cannot write: {exc.strerror}") from exc
    return written
