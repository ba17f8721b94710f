"""A seeded demo store (the synthetic fleet `sloboard demo` shows, over the repository's
SLO specs) and settings that read it, for the fuzz and load tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from collectors.synthetic import DEMO_SERVICES, generate_fleet
from collectors.synthetic_store import seed_store
from sloboard.settings import Settings
from sloboard.specs import load_specs
from sloboard.store import Store
from tests.integration.sloboard_cli import DEMO_SPECS, KEEP_EVERY_STEP_ENV

STEP = 60
END = 1_800_000_000 // STEP * STEP  # the dashboard's clock in these tests
DAYS = 3


@dataclass(frozen=True)
class DemoSite:
    data_dir: Path
    db_url: str
    env: dict[str, str]  # SLOBOARD_* variables of a process serving this store

    def settings(self, **overrides) -> Settings:
        return Settings(data_dir=self.data_dir, specs_dir=DEMO_SPECS, database_url=self.db_url,
                        collect={"raw_retention": "36500d", "golden_raw_retention": "36500d"}, **overrides)


def seed_demo(folder: Path, days: int = DAYS, end: int = END) -> DemoSite:
    """``days`` of the demo fleet up to ``end`` in a new SQLite store in ``folder``."""
    db_url = f"sqlite:///{folder / 'sloboard.db'}"
    slos = load_specs([DEMO_SPECS]).slos
    end = end // STEP * STEP
    fleet = generate_fleet(DEMO_SERVICES, end - days * 86_400, end, step_s=STEP, seed=11)
    with Store.open(db_url) as store:
        seed_store(store, fleet, slos)
    env = {"SLOBOARD_DATA_DIR": str(folder), "SLOBOARD_SPECS_DIR": str(DEMO_SPECS),
           "SLOBOARD_DATABASE_URL": db_url, **KEEP_EVERY_STEP_ENV}
    return DemoSite(folder, db_url, env)
