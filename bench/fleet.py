"""Benchmark fleets: spec files and a SQLite store of 1-minute counts, built once and cached.

Sizes (services / SLOs / days of data):

========  ========  =====  ====
small          3       6     35
standard      50     100     90
large        500    1000    400
========  ========  =====  ====

Each service has an availability and a latency SLO (``bench.specs``). The data is the
synthetic fleet of ``collectors.synthetic`` written by its ``seed_store`` through the
Store API: per-step SLI counts of every SLO, the six golden signals and the OpenCost
cost of every service, and the deployments. That is what a store holds after
collecting the same fleet from Prometheus, so its size is the size users would see.

The store is what a collecting sloboard holds at the fleet's end with the default
retention (``collect.raw_retention``, ``collect.golden_raw_retention``): per-step rows
for the retained days, hourly rollups for all of the history. It is seeded through a
store opened with that retention and its clock at the fleet's end, so older steps are
kept as hourly sums only, as a collector's backfill keeps them, rather than written and
then pruned; a test (``tests/test_synthetic.py``) holds the two to the same rows.

Cache: ``.bench/fleets/<size>-<key>/`` with ``specs/``, ``sloboard.db`` and
``manifest.json``. The key hashes everything that shapes the data, including the
store's migrations, so a changed definition builds a new store. A build writes into ``<folder>.partial`` and renames it
when done, so an interrupted build is never mistaken for a finished one.

A new migration does not rebuild: a cached fleet whose migrations are a prefix of
today's (the same scripts, fewer of them; its key hashes those) is upgraded in place
(``alembic upgrade head``, which fills new rollup levels from the stored rows, as it
would a user's store), in its folder; its manifest then records the migrations it
has (``migrations``: how many, ``schema_fingerprint``: of which scripts) and the head
(``_upgraded``), so the large fleet costs minutes per migration instead of 20. Any
other change to the key, or to a script the fleet was built or upgraded with, still
builds anew.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import sloboard.store as store_package
from collectors.synthetic import BLOCK_DAYS, DAY_S, generate_fleet
from collectors.synthetic_store import seed_store
from sloboard.domain import SLO
from sloboard.settings import CollectSettings
from sloboard.specs import load_specs
from sloboard.store import Retention, Store

from .cache import exclusive
from .specs import write_specs

BENCH_DIR = Path(".bench")
# 2026-01-01T00:00:00Z: a fixed end keeps cached stores valid and runs comparable.
END_EPOCH = 1_767_225_600
SEED = 7
STEP_S = 60
SLOS_PER_SERVICE = 2
# Series per service besides its SLIs, as seed_store writes them: six golden signals
# and the OpenCost cost.
GOLDEN_PER_SERVICE = 6
SERIES_PER_SERVICE = GOLDEN_PER_SERVICE + 1
# Bump when the way a store is built changes, so old caches are not reused.
BUILD_VERSION = 2
MANIFEST = "manifest.json"
DB_NAME = "sloboard.db"
# Above the standard fleet's measured 19-25 B per row (SQLite, WITHOUT ROWID tables); only for the disk check.
EXPECTED_BYTES_PER_ROW = 26
RETENTION = Retention.from_settings(CollectSettings())  # the defaults a new install runs with


@dataclass(frozen=True)
class FleetSize:
    name: str
    services: int
    days: int

    @property
    def slos(self) -> int:
        return self.services * SLOS_PER_SERVICE

    @property
    def start(self) -> int:
        return END_EPOCH - self.days * DAY_S

    @property
    def expected_samples(self) -> int:
        """Every step of every series the fleet generates, kept or summed."""
        steps = self.days * DAY_S // STEP_S
        return self.services * steps * (SLOS_PER_SERVICE + SERIES_PER_SERVICE)

    def horizons(self) -> dict[str, int]:
        """Per-step rows are kept after these times, as the default retention keeps them at the end."""
        return {"sli_and_cost": max(self.start, RETENTION.raw_horizon(None, END_EPOCH)),
                "golden": max(self.start, RETENTION.raw_horizon("golden", END_EPOCH))}

    def expected_raw_rows(self) -> int:
        """Per-step rows the store will hold: the retained steps of every series."""
        horizons = self.horizons()
        sli_and_cost = (END_EPOCH - horizons["sli_and_cost"]) // STEP_S * (SLOS_PER_SERVICE + 1)
        golden = (END_EPOCH - horizons["golden"]) // STEP_S * GOLDEN_PER_SERVICE
        return self.services * (sli_and_cost + golden)

    def expected_hourly_rows(self) -> int:
        """One rollup row per series and hour of the history."""
        return self.services * self.days * 24 * (SLOS_PER_SERVICE + SERIES_PER_SERVICE)

    def expected_rows(self) -> int:
        return self.expected_raw_rows() + self.expected_hourly_rows()

    def key(self, scripts: list[Path] | None = None) -> str:
        """Hash of the size, the data's parameters and the store's migrations (``scripts``: those
        of an older schema, default today's), so a changed migration builds a new store
        instead of reusing an old one, and a fleet of fewer migrations is found to upgrade."""
        text = json.dumps([asdict(self), self.horizons(), END_EPOCH, SEED, STEP_S, BUILD_VERSION,
                           schema_fingerprint(scripts)], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:10]


SIZES = {
    "small": FleetSize("small", services=3, days=35),
    "standard": FleetSize("standard", services=50, days=90),
    "large": FleetSize("large", services=500, days=400),
}


def migration_scripts() -> list[Path]:
    """The store's migration scripts in revision order (their names start with the revision)."""
    return sorted((Path(store_package.__file__).parent / "migrations" / "versions").glob("*.py"))


def schema_fingerprint(scripts: list[Path] | None = None) -> str:
    """SHA-256 of migration scripts (default: all of today's): changes whenever the schema they build does."""
    digest = hashlib.sha256()
    for script in migration_scripts() if scripts is None else scripts:
        digest.update(script.name.encode() + b"\0" + script.read_bytes())
    return digest.hexdigest()


class FleetTooLarge(Exception):
    """Not enough free disk for the store; the message says how much is needed."""


@dataclass(frozen=True)
class BuiltFleet:
    """A finished fleet on disk."""

    size: FleetSize
    folder: Path
    manifest: dict

    @property
    def specs_dir(self) -> Path:
        return self.folder / "specs"

    @property
    def db_path(self) -> Path:
        return self.folder / DB_NAME

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path.resolve()}"

    @property
    def end(self) -> int:
        return END_EPOCH

    def slos(self) -> list[SLO]:
        return load_slos(self.specs_dir)

    def db_bytes(self) -> int:
        """The database file and its WAL and shared-memory files, if any."""
        return sum(p.stat().st_size for p in self.folder.glob(DB_NAME + "*"))


def load_slos(specs_dir: Path) -> list[SLO]:
    """The SLOs of a spec folder; raises RuntimeError if any spec is invalid (a bench bug)."""
    result = load_specs([specs_dir])
    if result.errors:
        raise RuntimeError("benchmark specs are invalid:\n" + "\n".join(map(str, result.errors)))
    return result.slos


def fleet_folder(size: FleetSize, root: Path = BENCH_DIR, scripts: list[Path] | None = None) -> Path:
    return root / "fleets" / f"{size.name}-{size.key(scripts)}"


def cached(size: FleetSize, root: Path = BENCH_DIR) -> BuiltFleet | None:
    """The fleet of ``size`` at today's migrations: built with them, or upgraded to them."""
    scripts = migration_scripts()
    for folder, manifest, count in _fleets_of(size, root, scripts):
        if count == len(scripts) and manifest_fingerprint(manifest, scripts, count) == schema_fingerprint(scripts):
            return BuiltFleet(size, folder, manifest)
    return None


def _fleets_of(size: FleetSize, root: Path, scripts: list[Path]):
    """``(folder, manifest, migrations it has)`` of each cached fleet of ``size`` built with
    a prefix of ``scripts``, most migrations first."""
    for built_with in range(len(scripts), 0, -1):
        folder = fleet_folder(size, root, scripts[:built_with])
        if (folder / MANIFEST).exists():
            manifest = json.loads((folder / MANIFEST).read_text())
            yield folder, manifest, manifest.get("migrations", built_with)


def manifest_fingerprint(manifest: dict, scripts: list[Path], count: int) -> str:
    """The fingerprint of the migrations a fleet has; a fleet built before manifests recorded
    it has those of its key."""
    return manifest.get("schema_fingerprint") or schema_fingerprint(scripts[:count])


def build(size: FleetSize, root: Path = BENCH_DIR, log: Callable[[str], None] = print) -> BuiltFleet:
    """The fleet of ``size`` from the cache, or built now (minutes for the standard size)."""
    found = cached(size, root)
    if found is not None:
        return found
    with exclusive(fleet_folder(size, root)):
        return cached(size, root) or _upgraded(size, root, log) or _build(size, root, log)


def _upgraded(size: FleetSize, root: Path, log: Callable[[str], None]) -> BuiltFleet | None:
    """The cached fleet of ``size`` with the most of today's migrations (a prefix of them),
    upgraded to head in its folder; None when there is none."""
    scripts = migration_scripts()
    for built_with in range(len(scripts) - 1, 0, -1):
        folder = fleet_folder(size, root, scripts[:built_with])
        if not any(p.exists() for p in (folder, folder.with_name(folder.name + ".lock"))):
            continue
        with exclusive(folder):  # waits for a build of that fleet still running
            if not (folder / MANIFEST).exists():
                continue
            manifest = json.loads((folder / MANIFEST).read_text())
            count = manifest.get("migrations", built_with)
            if manifest_fingerprint(manifest, scripts, count) != schema_fingerprint(scripts[:count]):
                continue  # upgraded with a script changed since: not a prefix of today's
            began = time.perf_counter()
            log(f"upgrading the cached {size.name} fleet in {folder} from {count} to {len(scripts)} migrations")
            with Store.open(f"sqlite:///{(folder / DB_NAME).resolve()}", upgrade=False) as store:
                head = store.upgrade()
            seconds = round(time.perf_counter() - began, 1)
            manifest.update(migrations=len(scripts), schema_fingerprint=schema_fingerprint(scripts), schema_head=head)
            manifest.setdefault("upgrades", []).append({"from_migrations": count, "to": head, "seconds": seconds})
            (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
        log(f"upgraded the {size.name} fleet to {head} in {seconds:.0f} s")
        return BuiltFleet(size, folder, manifest)
    return None


def _build(size: FleetSize, root: Path, log: Callable[[str], None]) -> BuiltFleet:
    scripts = migration_scripts()  # as the build starts: the store is migrated with these
    folder = fleet_folder(size, root, scripts)
    need = size.expected_rows() * EXPECTED_BYTES_PER_ROW
    free = shutil.disk_usage(root if root.exists() else Path.cwd()).free
    if free < 1.2 * need:
        raise FleetTooLarge(
            f"the {size.name} fleet needs about {need / 1e9:.1f} GB of disk "
            f"({size.expected_rows():,} rows); {free / 1e9:.1f} GB free"
        )
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    log(f"building the {size.name} fleet ({size.services} services, {size.slos} SLOs, {size.days} days) "
        f"in {folder}; {size.expected_samples:,} samples, kept as about {size.expected_rows():,} rows")
    began = time.perf_counter()
    fleet = generate_fleet(size.services, size.start, END_EPOCH, step_s=STEP_S, seed=SEED)
    write_specs(staging / "specs", fleet.profiles)
    slos = load_slos(staging / "specs")
    written, head = _seed(staging / DB_NAME, size, fleet, slos, log, began)
    seconds = time.perf_counter() - began
    manifest = {
        "size": asdict(size),
        "slos": len(slos),
        "start": size.start,
        "end": END_EPOCH,
        "step_s": STEP_S,
        "seed": SEED,
        "samples": written,
        "deployments": len(fleet.deployments),
        "build_seconds": round(seconds, 1),
        "migrations": len(scripts),
        "schema_fingerprint": schema_fingerprint(scripts),
        "schema_head": head,
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
    staging.rename(folder)
    log(f"built the {size.name} fleet: {written:,} samples in {seconds:.0f} s")
    return BuiltFleet(size, folder, manifest)


def _seed(db_path: Path, size: FleetSize, fleet, slos: list[SLO], log: Callable[[str], None],
          began: float) -> tuple[int, str]:
    """Seed a new store; returns the samples written and the schema revision."""
    last_tenth = -1

    def progress(done: int, total: int) -> None:
        nonlocal last_tenth
        tenth = done * 10 // total
        if tenth != last_tenth:
            last_tenth = tenth
            log(f"  {done}/{total} blocks of {BLOCK_DAYS} days, {time.perf_counter() - began:.0f} s")

    # The clock at the fleet's end: the store keeps as steps what the retention keeps then.
    with Store.open(f"sqlite:///{db_path.resolve()}", clock=lambda: END_EPOCH, retention=RETENTION) as store:
        return seed_store(store, fleet, slos, progress=progress), store.schema_revision()
