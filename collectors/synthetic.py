"""A deterministic synthetic fleet: the demo's data, and exact truths for the tests.

``generate_fleet`` plans deployments and incidents up front and simulates per-step
counts lazily, one 7-day block at a time, so a fleet of hundreds of services over a
year never has to sit in memory at once. Every count is an integer drawn from a numpy
``Generator`` seeded by ``SeedSequence(seed, spawn_key=(service index, purpose, block))``:
the same seed gives the same fleet, and one service's numbers do not depend on the
others. No clock is read.

The model, per service and per step of ``step_s`` seconds (a step ending at ``t``
covers ``(t - step_s, t]``):

- Traffic: requests ~ Poisson(rate * step_s) with
  ``rate = base_rps * (1 + 0.45 sin(2 pi (hour_utc - 9) / 24)) * weekly * hourly``,
  peaking at 15:00 UTC, ``weekly`` = 0.75 on Saturday and Sunday, ``hourly`` a
  lognormal(0, 0.08) factor per hour.
- Status codes: 5xx ~ Binomial(requests, p) with ``p = error_ratio * lognormal(0, 0.4)``
  plus the error ratio of any incident in progress; 35 % of 5xx are 503, the rest 500;
  4xx ~ Binomial(non-5xx, client_error_ratio); the rest are 200.
- Latency: lognormal with median ``latency_median_s * (0.85 + 0.15 load) * incident
  factor`` and shape ``latency_sigma``, ``load = rate / base_rps``. Cumulative bucket
  counts are drawn from +Inf downwards, ``c_i ~ Binomial(c_(i+1), F(le_i) / F(le_(i+1)))``,
  which is exact multinomial sampling and keeps buckets monotone. ``_sum`` adds each
  bucket's count times the lognormal's conditional mean inside that bucket.
- Saturation: ``saturation * load * lognormal(0, 0.03)`` plus an incident bump, in [0, 1].
- Deployments: Poisson(deploys_per_day) per weekday (15 % of that on weekends), between
  08:30 and 17:30 UTC. A share ``change_failure_rate`` fails: 40 % of those fail to roll
  out (a retry follows within 90 minutes); 60 % go out, start an incident within five
  minutes and are rolled back when it ends; a fix follows one to five hours later.
  No deploy starts while a rollback awaits its fix. 6 % of successful deploys cause a
  short latency regression.
- Incidents not caused by deploys: Poisson(incidents_per_month per 30 days), lasting
  lognormal minutes around 25; half are error bursts, half latency degradations.
- Cost, as OpenCost allocates it: each pod's container is allocated
  ``max(cpu_request_cores, usage)`` cores (``usage = rate * cpu_seconds_per_request / pods``,
  in millicores) and ``memory_request_gib`` GiB, priced at its node's hourly price per
  core and per GiB. The cost of a step ending at ``t`` is the hourly cost at ``t``
  times ``step_s / 3600``, as the OpenCost collector computes it.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator, Sequence

import numpy as np

from sloboard.domain import SLO, Deployment, DeployStatus, IndicatorKind
from sloboard.errors import InputError

DAY_S = 86_400
BLOCK_DAYS = 7  # the unit of lazy generation; each block has its own random stream

# Upper bounds of the latency histogram and their `le` label values, spelled as the
# Python client writes them: Prometheus 2.x does not normalise `le`, so queries must
# use exactly these strings.
LATENCY_BOUNDS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LE_LABELS = ("0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "+Inf")

CODES = ("200", "404", "500", "503")
CODE_CLASSES = ("2xx", "4xx", "5xx")

COST_SERIES_NAME = "opencost"  # the name the OpenCost collector writes cost series under

# Random streams, the second element of the spawn key: a service's plan and its blocks;
# generated profiles draw from the stream of service index 0.
_PLAN, _BLOCK, _PROFILES = 0, 1, 2

# OpenCost's default list prices (USD per core-hour and per GiB-hour) and a spot node
# at about 30 % of them.
_ON_DEMAND = (0.031611, 0.004237)
_SPOT = (0.009483, 0.001271)
_NODE_CORES, _NODE_RAM_GIB = 8, 32
_PODS_PER_NODE = 6
GIB = 1 << 30


@dataclass(frozen=True)
class ServiceProfile:
    """How one synthetic service behaves; see the module docstring for the model."""

    name: str
    team: str
    base_rps: float
    error_ratio: float  # baseline share of 5xx
    latency_median_s: float
    latency_sigma: float = 0.6
    client_error_ratio: float = 0.02  # share of 4xx among non-5xx
    saturation: float = 0.45  # at base load
    deploys_per_day: float = 3.0
    change_failure_rate: float = 0.1
    incidents_per_month: float = 2.0
    incident_error_ratio: float = 0.05
    incident_latency_factor: float = 3.0
    pods: int = 3
    cpu_request_cores: float = 0.5
    cpu_seconds_per_request: float = 0.004
    memory_request_gib: float = 1.0


# The demo fleet, tuned to the demo specs in slo_specs/ so that the dashboard shows
# every state: checkout overspends its availability budget (frequent, heavy incidents)
# and runs its latency budget low, search spends about half to all of its latency
# budget, payments stays healthy.
DEMO_SERVICES = (
    ServiceProfile(
        name="checkout", team="storefront", base_rps=40.0, error_ratio=0.0004, latency_median_s=0.06,
        latency_sigma=0.55, deploys_per_day=4.0, change_failure_rate=0.16, incidents_per_month=5.0,
        incident_error_ratio=0.12, incident_latency_factor=3.0, pods=4,
    ),
    ServiceProfile(
        name="payments", team="payments", base_rps=15.0, error_ratio=0.0002, latency_median_s=0.08,
        deploys_per_day=1.5, change_failure_rate=0.05, incidents_per_month=1.0,
        incident_error_ratio=0.02, incident_latency_factor=2.0, pods=3, cpu_request_cores=1.0,
        memory_request_gib=2.0,
    ),
    ServiceProfile(
        name="search", team="discovery", base_rps=120.0, error_ratio=0.0003, latency_median_s=0.026,
        latency_sigma=0.5, deploys_per_day=2.5, change_failure_rate=0.08, incidents_per_month=4.0,
        incident_error_ratio=0.03, incident_latency_factor=4.0, pods=6, cpu_seconds_per_request=0.006,
        memory_request_gib=4.0,
    ),
)


@dataclass(frozen=True)
class Incident:
    """A stretch ``[start, end)`` (epoch seconds) of extra errors and slower responses."""

    service: str
    start: int
    end: int
    error_ratio: float  # added to the 5xx share
    latency_factor: float  # multiplies the median latency
    cause: str | None = None  # the version of the deployment that caused it, if any


@dataclass(frozen=True)
class Node:
    name: str
    cpu_hourly_usd: float  # per core
    ram_hourly_usd: float  # per GiB
    cores: int
    ram_gib: int

    @property
    def total_hourly_usd(self) -> float:
        return self.cores * self.cpu_hourly_usd + self.ram_gib * self.ram_hourly_usd


@dataclass(frozen=True)
class Pod:
    """One pod with one container; namespace and container are the service's name."""

    service: str
    name: str
    node: Node
    memory_bytes: int


@dataclass(frozen=True)
class ServiceSeries:
    """Per-step values of one service over ``ts`` (step ends), counts as int64."""

    service: str
    ts: np.ndarray
    codes: dict[str, np.ndarray]  # code -> requests per step
    buckets: np.ndarray  # (steps, len(LE_LABELS)) cumulative counts per step; last = all
    duration_sum: np.ndarray  # seconds spent per step, rounded to ms
    saturation: np.ndarray  # 0..1 at each step end
    cpu_allocation: np.ndarray  # cores allocated to each of the service's pods

    def requests(self, code_class: str | None = None) -> np.ndarray:
        """Requests per step: all, one code class (``2xx``, ``4xx``, ``5xx``) or one code (``503``)."""
        if code_class is None:
            return self.buckets[:, -1].copy()
        if code_class in self.codes:
            return self.codes[code_class].copy()
        if code_class not in CODE_CLASSES:
            raise InputError(f"unknown code class {code_class!r}; use one of {CODE_CLASSES} or a code in {CODES}")
        return sum((v for k, v in self.codes.items() if k[0] == code_class[0]), np.zeros(self.ts.size, np.int64))

    def availability(self) -> tuple[np.ndarray, np.ndarray]:
        """(good, total) per step; good = requests not answered with 5xx."""
        total = self.requests()
        return total - self.requests("5xx"), total

    def latency(self, threshold_s: float) -> tuple[np.ndarray, np.ndarray]:
        """(good, total) per step; good = requests in the bucket ``le = threshold_s``."""
        for i, bound in enumerate(LATENCY_BOUNDS_S):
            if math.isclose(bound, threshold_s, rel_tol=1e-9):
                return self.buckets[:, i].copy(), self.buckets[:, -1].copy()
        raise InputError(f"latency threshold {threshold_s} s is not a bucket bound; use one of {LATENCY_BOUNDS_S}")

    @classmethod
    def concat(cls, parts: Sequence["ServiceSeries"]) -> "ServiceSeries":
        return cls(
            service=parts[0].service,
            ts=np.concatenate([p.ts for p in parts]),
            codes={c: np.concatenate([p.codes[c] for p in parts]) for c in CODES},
            buckets=np.concatenate([p.buckets for p in parts]),
            duration_sum=np.concatenate([p.duration_sum for p in parts]),
            saturation=np.concatenate([p.saturation for p in parts]),
            cpu_allocation=np.concatenate([p.cpu_allocation for p in parts]),
        )


class Fleet:
    """A generated fleet: plans (deployments, incidents, pods) and lazily simulated series.

    Step ends are ``start + step_s, ..., end``. ``series(name)`` returns the whole range
    (a few recent services are cached); ``iter_series(name)`` yields the same values one
    7-day block at a time for fleets too large to hold.
    """

    _CACHE_SIZE = 4  # a 400-day service is ~60 MB; the demo has three

    def __init__(self, profiles: tuple[ServiceProfile, ...], start: int, end: int, step_s: int, seed: int,
                 deployments: tuple[Deployment, ...], incidents: tuple[Incident, ...], pods: tuple[Pod, ...]):
        self.profiles = profiles
        self.start, self.end, self.step_s, self.seed = start, end, step_s, seed
        self.deployments = deployments
        self.incidents = incidents
        self.pods = pods
        self.nodes = tuple(dict.fromkeys(p.node for p in pods))
        self._index = {p.name: i for i, p in enumerate(profiles)}
        self._cache: OrderedDict[str, ServiceSeries] = OrderedDict()

    @property
    def service_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.profiles)

    @property
    def ts(self) -> np.ndarray:
        return np.arange(self.start + self.step_s, self.end + 1, self.step_s, dtype=np.int64)

    def profile(self, service: str) -> ServiceProfile:
        try:
            return self.profiles[self._index[service]]
        except KeyError:
            raise InputError(f"service {service!r} is not in the fleet ({', '.join(self.service_names)})") from None

    def pods_of(self, service: str) -> tuple[Pod, ...]:
        return tuple(p for p in self.pods if p.service == service)

    def incidents_of(self, service: str) -> tuple[Incident, ...]:
        return tuple(i for i in self.incidents if i.service == service)

    def iter_series(self, service: str) -> Iterator[ServiceSeries]:
        """The service's series, one block of ``BLOCK_DAYS`` days at a time."""
        profile = self.profile(service)
        steps_per_block = BLOCK_DAYS * DAY_S // self.step_s
        ts = self.ts
        incidents = self.incidents_of(service)
        for block, first in enumerate(range(0, ts.size, steps_per_block)):
            rng = _rng(self.seed, self._index[service], _BLOCK, block)
            yield _simulate(profile, ts[first:first + steps_per_block], self.step_s, incidents, rng)

    def series(self, service: str) -> ServiceSeries:
        if service in self._cache:
            self._cache.move_to_end(service)
            return self._cache[service]
        whole = ServiceSeries.concat(list(self.iter_series(service)))
        self._cache[service] = whole
        if len(self._cache) > self._CACHE_SIZE:
            self._cache.popitem(last=False)
        return whole

    # Exact truths, per step over ``ts``.
    def requests(self, service: str, code_class: str | None = None) -> np.ndarray:
        return self.series(service).requests(code_class)

    def availability(self, service: str) -> tuple[np.ndarray, np.ndarray]:
        return self.series(service).availability()

    def latency(self, service: str, threshold_s: float) -> tuple[np.ndarray, np.ndarray]:
        return self.series(service).latency(threshold_s)

    def sli(self, slo: SLO) -> tuple[np.ndarray, np.ndarray]:
        """(good, total) per step for an SLO on a fleet service: see ``sli_of``."""
        return sli_of(slo, self.series(slo.service))

    def cost_usd(self, scope: str) -> np.ndarray:
        """USD per step for ``service:NAME``, ``namespace:NAME`` (the same) or ``team:NAME``."""
        kind, _, name = scope.partition(":")
        if kind in ("service", "namespace"):
            services = [self.profile(name).name]
        elif kind == "team":
            services = [p.name for p in self.profiles if p.team == name]
            if not services:
                raise InputError(f"no service of the fleet belongs to team {name!r}")
        else:
            raise InputError(f"cost scope {scope!r}: use service:NAME, namespace:NAME or team:NAME")
        return sum((service_cost_usd(self.series(s), self.pods_of(s), self.step_s) for s in services),
                   np.zeros(self.ts.size))


def sli_of(slo: SLO, series: ServiceSeries) -> tuple[np.ndarray, np.ndarray]:
    """(good, total) per step: a latency SLO counts requests within its threshold's
    bucket; a ratio SLO whose good or bad query matches 5xx codes counts non-5xx requests."""
    ind = slo.indicator
    if ind.kind is IndicatorKind.LATENCY and ind.latency_threshold_s is not None:
        return series.latency(ind.latency_threshold_s)
    if ind.kind is IndicatorKind.RATIO and '"5.."' in (ind.good or ind.bad or ""):
        return series.availability()
    raise InputError(f"SLO {slo.id}: the synthetic fleet has no truth for this indicator; "
                     "it knows latency thresholds and 5xx availability")


def service_cost_usd(series: ServiceSeries, pods: Sequence[Pod], step_s: int) -> np.ndarray:
    """USD per step: sum over pods of (cores * node price per core-hour + GiB * node price
    per GiB-hour), times ``step_s / 3600``."""
    cpu_price = sum(p.node.cpu_hourly_usd for p in pods)
    ram_usd = sum(p.memory_bytes / GIB * p.node.ram_hourly_usd for p in pods)
    return (series.cpu_allocation * cpu_price + ram_usd) * (step_s / 3600.0)


def generate_fleet(services: Sequence[ServiceProfile] | int, start: int, end: int, *,
                   step_s: int = 60, seed: int = 0) -> Fleet:
    """Plan a fleet over step ends ``start + step_s .. end``; the same arguments give the same fleet.

    ``services`` is a list of profiles, or a count: the demo services first, then
    generated ones (``svc-0004``, ...; five per team). ``start`` and ``end`` are epoch
    seconds on the ``step_s`` grid, and a day must be a whole number of steps.
    """
    profiles = default_profiles(services, seed) if isinstance(services, int) else tuple(services)
    _check_arguments(profiles, start, end, step_s)
    deployments: list[Deployment] = []
    incidents: list[Incident] = []
    for index, profile in enumerate(profiles):
        rng = _rng(seed, index, _PLAN)
        deploys, caused = _plan_deployments(profile, start, end, rng)
        deployments += deploys
        incidents += caused + _plan_incidents(profile, start, end, rng)
    deployments.sort(key=lambda d: (d.started_at, d.service))
    incidents.sort(key=lambda i: (i.start, i.service))
    return Fleet(profiles, start, end, step_s, seed, tuple(deployments), tuple(incidents), _place_pods(profiles))


def default_profiles(count: int, seed: int = 0) -> tuple[ServiceProfile, ...]:
    """``count`` profiles: the demo services first, then varied generated ones."""
    if count < 1:
        raise InputError(f"a fleet needs at least one service, not {count}")
    extra = []
    rng = _rng(seed, 0, _PROFILES)
    for i in range(len(DEMO_SERVICES), count):
        extra.append(ServiceProfile(
            name=f"svc-{i + 1:04d}", team=f"team-{i // 5 + 1:03d}",
            base_rps=float(np.round(rng.lognormal(math.log(30), 0.8), 2)),
            error_ratio=float(np.round(rng.uniform(0.0001, 0.0006), 6)),
            latency_median_s=float(np.round(rng.uniform(0.04, 0.2), 3)),
            deploys_per_day=float(np.round(rng.uniform(0.5, 4), 2)),
            change_failure_rate=float(np.round(rng.uniform(0.03, 0.18), 3)),
            incidents_per_month=float(np.round(rng.uniform(0.5, 5), 2)),
            incident_error_ratio=float(np.round(rng.uniform(0.01, 0.15), 3)),
            pods=int(rng.integers(2, 7)),
        ))
    return DEMO_SERVICES[:count] + tuple(extra)


def _check_arguments(profiles: tuple[ServiceProfile, ...], start: int, end: int, step_s: int) -> None:
    if not profiles:
        raise InputError("a fleet needs at least one service")
    names = [p.name for p in profiles]
    if len(set(names)) != len(names):
        raise InputError(f"service names must be unique: {names}")
    if step_s <= 0 or DAY_S % step_s:
        raise InputError(f"step_s={step_s}: a day (86400 s) must be a whole number of steps")
    if start % step_s or end % step_s:
        raise InputError(f"start={start} and end={end} must be multiples of step_s={step_s}")
    if end <= start:
        raise InputError(f"end={end} must be after start={start}")


def _rng(seed: int, service_index: int, purpose: int, block: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(service_index, purpose, block)))


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(int(epoch), timezone.utc)


def _plan_deployments(profile: ServiceProfile, start: int, end: int,
                      rng: np.random.Generator) -> tuple[list[Deployment], list[Incident]]:
    """Deployments (and the incidents the bad ones cause) in time order; see the module docstring."""
    days = np.arange(start // DAY_S, (end - 1) // DAY_S + 1)
    weekend = (days + 3) % 7 >= 5  # 1970-01-01 was a Thursday
    counts = rng.poisson(profile.deploys_per_day * np.where(weekend, 0.15, 1.0))
    planned = np.sort(np.repeat(days * DAY_S, counts) + rng.integers(30_600, 63_000, counts.sum()))
    deploys: list[Deployment] = []
    incidents: list[Incident] = []
    minor, patch = 0, 0
    free_at = start  # no deploy starts before the previous one (and any fix) is done
    went_wrong_at = start  # when the last failed deploy failed or the last bad one was rolled back
    queue = [(int(t), "feature") for t in planned]
    while queue:
        began, kind = queue.pop(0)
        if began < free_at and kind == "feature":
            continue
        finished = began + int(rng.integers(120, 600))
        if finished + 3600 > end:
            continue
        if kind == "feature":
            minor, patch = minor + 1, 0
            lead = int(np.clip(rng.lognormal(math.log(4 * 3600), 1.0), 300, 14 * DAY_S))
        else:  # a retry or a fix, committed after the previous deploy went wrong
            patch += 1
            lead = max(60, (began - went_wrong_at) // 2)
        version = f"1.{minor}.{patch}"
        outcome = rng.random()
        bad = outcome < profile.change_failure_rate and kind == "feature"
        if bad and outcome < 0.4 * profile.change_failure_rate:
            status = DeployStatus.FAILED
            went_wrong_at = finished
            free_at = finished + int(rng.integers(1200, 5400))
            queue.insert(0, (free_at, "retry"))
        elif bad:
            status = DeployStatus.ROLLED_BACK
            onset = finished + int(rng.integers(30, 300))
            rolled_back = went_wrong_at = onset + int(rng.integers(15, 75)) * 60
            incidents.append(Incident(
                profile.name, onset, rolled_back,
                error_ratio=float(profile.incident_error_ratio * rng.lognormal(0, 0.5)),
                latency_factor=1 + (profile.incident_latency_factor - 1) / 2, cause=version))
            free_at = rolled_back + int(rng.integers(3600, 5 * 3600))
            queue.insert(0, (free_at, "fix"))
        else:
            status = DeployStatus.SUCCEEDED
            free_at = finished
            if rng.random() < 0.06:
                onset = finished + int(rng.integers(30, 300))
                incidents.append(Incident(
                    profile.name, onset, onset + int(rng.integers(10, 45)) * 60,
                    error_ratio=profile.incident_error_ratio * 0.1,
                    latency_factor=float(profile.incident_latency_factor * rng.uniform(0.7, 1.3)), cause=version))
        deploys.append(Deployment(
            service=profile.name, version=version, status=status, started_at=_utc(began),
            finished_at=_utc(finished), source="synthetic", commit=rng.bytes(20).hex(),
            committed_at=_utc(began - lead)))
    return deploys, incidents


def _plan_incidents(profile: ServiceProfile, start: int, end: int, rng: np.random.Generator) -> list[Incident]:
    """Incidents not caused by a deploy: half error bursts, half latency degradations."""
    count = rng.poisson(profile.incidents_per_month * (end - start) / (30 * DAY_S))
    out = []
    for _ in range(count):
        onset = int(rng.integers(start, end))
        length = int(np.clip(rng.lognormal(math.log(25 * 60), 0.7), 300, 4 * 3600))
        if rng.random() < 0.5:
            ratio, factor = profile.incident_error_ratio * rng.lognormal(0, 0.5), 1.5
        else:
            ratio, factor = profile.incident_error_ratio * 0.1, profile.incident_latency_factor * rng.lognormal(0, 0.3)
        out.append(Incident(profile.name, onset, min(onset + length, end), float(ratio), float(max(factor, 1.0))))
    return out


def _place_pods(profiles: tuple[ServiceProfile, ...]) -> tuple[Pod, ...]:
    """Pods round-robin over a node pool that alternates on-demand and spot nodes."""
    total = sum(p.pods for p in profiles)
    nodes = []
    for i in range(max(2, -(-total // _PODS_PER_NODE))):
        cpu, ram = _ON_DEMAND if i % 2 == 0 else _SPOT
        nodes.append(Node(f"node-{i + 1:02d}", cpu, ram, _NODE_CORES, _NODE_RAM_GIB))
    pods, k = [], 0
    for profile in profiles:
        for j in range(profile.pods):
            memory = int(round(profile.memory_request_gib * GIB))
            pods.append(Pod(profile.name, f"{profile.name}-{j}", nodes[k % len(nodes)], memory))
            k += 1
    return tuple(pods)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """Phi(x) through erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7)."""
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def _incident_effects(incidents: Sequence[Incident], ts: np.ndarray,
                      step_s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Added 5xx share, latency factor and saturation bump per step, each weighted by
    the share of the step that the incident covers."""
    errors, factor, bump = np.zeros(ts.size), np.ones(ts.size), np.zeros(ts.size)
    first, last = ts[0] - step_s, ts[-1]
    for inc in incidents:
        if inc.end <= first or inc.start >= last:
            continue
        cover = np.clip(np.minimum(ts, inc.end) - np.maximum(ts - step_s, inc.start), 0, step_s) / step_s
        errors += inc.error_ratio * cover
        factor *= 1 + (inc.latency_factor - 1) * cover
        bump += min(0.4, 0.1 * (inc.latency_factor - 1) + inc.error_ratio) * cover
    return errors, factor, bump


def _simulate(profile: ServiceProfile, ts: np.ndarray, step_s: int, incidents: Sequence[Incident],
              rng: np.random.Generator) -> ServiceSeries:
    """One block of per-step values; see the module docstring for the formulas."""
    n = ts.size
    mid = ts - step_s / 2
    hour = (mid % DAY_S) / 3600
    weekend = ((mid // DAY_S) + 3) % 7 >= 5
    hourly = rng.lognormal(0, 0.08, int((ts[-1] - ts[0]) // 3600) + 2)[((mid - mid[0]) // 3600).astype(np.int64)]
    load = (1 + 0.45 * np.sin(2 * np.pi * (hour - 9) / 24)) * np.where(weekend, 0.75, 1.0) * hourly
    rate = profile.base_rps * load
    total = rng.poisson(rate * step_s).astype(np.int64)

    errors, slow, bump = _incident_effects(incidents, ts, step_s)
    p5xx = np.clip(profile.error_ratio * rng.lognormal(0, 0.4, n) + errors, 0.0, 0.95)
    n5xx = rng.binomial(total, p5xx)
    n503 = rng.binomial(n5xx, 0.35)
    n4xx = rng.binomial(total - n5xx, profile.client_error_ratio)
    codes = {"200": total - n5xx - n4xx, "404": n4xx, "500": n5xx - n503, "503": n503}

    # Cumulative bucket counts, drawn from +Inf downwards (exact multinomial sampling).
    mu = np.log(profile.latency_median_s * (0.85 + 0.15 * load) * slow)[:, None]
    sigma = profile.latency_sigma
    log_bounds = np.log(np.array(LATENCY_BOUNDS_S))[None, :]
    cdf = np.concatenate([_normal_cdf((log_bounds - mu) / sigma), np.ones((n, 1))], axis=1)
    buckets = np.empty((n, len(LE_LABELS)), dtype=np.int64)
    buckets[:, -1] = total
    for i in range(len(LATENCY_BOUNDS_S) - 1, -1, -1):
        share = np.divide(cdf[:, i], cdf[:, i + 1], out=np.zeros(n), where=cdf[:, i + 1] > 0)
        buckets[:, i] = rng.binomial(buckets[:, i + 1], np.clip(share, 0.0, 1.0))

    # Conditional mean in each bucket: E[X; a < X <= b] / P(a < X <= b), where the partial
    # expectation of a lognormal is exp(mu + s^2/2) (Phi((ln b - mu - s^2)/s) - Phi((ln a - mu - s^2)/s)).
    partial = np.concatenate([_normal_cdf((log_bounds - mu - sigma**2) / sigma), np.ones((n, 1))], axis=1)
    in_bucket = np.diff(cdf, axis=1, prepend=0.0)
    pe = np.exp(mu + sigma**2 / 2) * np.diff(partial, axis=1, prepend=0.0)
    lower = np.array((0.0,) + LATENCY_BOUNDS_S)
    upper = np.array(LATENCY_BOUNDS_S + (np.inf,))
    mean = np.clip(np.divide(pe, in_bucket, out=np.broadcast_to(lower, pe.shape).copy(), where=in_bucket > 1e-12),
                   lower, upper)
    per_bucket = np.diff(buckets, axis=1, prepend=0)
    duration_sum = np.round((per_bucket * mean).sum(axis=1), 3)

    saturation = np.round(np.clip(profile.saturation * load * rng.lognormal(0, 0.03, n) + bump, 0.0, 1.0), 4)
    usage = np.round(rate * profile.cpu_seconds_per_request / profile.pods, 3)
    cpu_allocation = np.maximum(profile.cpu_request_cores, usage)
    return ServiceSeries(profile.name, ts, codes, buckets, duration_sum, saturation, cpu_allocation)


def stretch_fleet(profiles: Sequence[ServiceProfile], start: int, end: int, *, step_s: int = 60,
                  seed: int = 0) -> Fleet:
    """The steps ``(start, end]`` of a fleet that goes on running, as a fleet of their own,
    seeded by ``seed`` and ``start`` together: each stretch draws fresh numbers, and the
    same stretch always the same ones (the demo's new minutes, the live exporter)."""
    stretch_seed = seed * 1_000_000_007 + start // step_s  # one stream per (seed, first step)
    return generate_fleet(profiles, start, end, step_s=step_s, seed=stretch_seed)
