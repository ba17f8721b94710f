"""``sloboard status --json`` (and the table of ``sloboard status``) on the demo fleet at a
fixed ``--at`` is pinned byte for byte.

The golden file was written before the read side moved into ``sloboard.reads``; any
change to it is a change of the public JSON contract, so it must be deliberate:
``SLOBOARD_REGENERATE_GOLDEN=1 pytest tests/test_status_json_golden.py`` rewrites it.

SQLite: the demo itself (``sloboard demo --no-serve``, its clock held at ``END``) seeds
the data dir's store and writes its budgets. PostgreSQL: the same fleet seeded the way
the demo seeds it, with the demo's budgets in a settings file; the same bytes come out.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from collectors.synthetic import DEMO_SERVICES, generate_fleet
from collectors.synthetic_store import seed_store
from sloboard.cli import cli
from sloboard.settings import DEMO_SETTINGS_FILE, Settings
from sloboard.specs import load_specs
from sloboard.store import Retention, Store

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden" / "status_demo.json"
GOLDEN_TABLE = GOLDEN.with_name("status_demo.txt")
REGENERATE_ENV = "SLOBOARD_REGENERATE_GOLDEN"
DAYS = 35  # the demo's default history
END = 1_789_948_800 + 37 * 60  # on the step grid, 37 minutes past an hour: window edges cut hours
AT = "2026-09-21T00:37:00Z"  # END


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a run: only this test's SLOBOARD_* variables."""
    env = {k: None for k in os.environ if k.startswith("SLOBOARD_")}
    env.update(SLOBOARD_DATA_DIR=str(data_dir), SLOBOARD_SPECS_DIR=str(ROOT / "slo_specs"), **extra)
    return env


def _status(env: dict[str, str], *flags: str) -> str:
    result = CliRunner().invoke(cli, ["status", *flags, "--at", AT], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _check(output: str, golden: Path) -> None:
    if os.environ.get(REGENERATE_ENV):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(output)
    assert output == golden.read_text()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    """A data dir seeded by ``sloboard demo --no-serve`` with its clock at ``END``."""
    data_dir = tmp_path_factory.mktemp("demo") / "var"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: END + 10.0)  # inside the step ending at END
        result = CliRunner().invoke(cli, ["demo", "--no-serve", "--days", str(DAYS)], env=_env(data_dir),
                                    catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return data_dir


def test_status_json_of_the_demo_fleet_equals_the_golden_file(demo_dir):
    assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(END)) == AT
    _check(_status(_env(demo_dir), "--json"), GOLDEN)


def test_status_table_of_the_demo_fleet_equals_the_golden_file(demo_dir):
    _check(_status(_env(demo_dir)), GOLDEN_TABLE)


def test_status_json_of_the_demo_fleet_on_postgresql_equals_the_golden_file(demo_dir, pg_url, tmp_path):
    settings = Settings(database_url=pg_url, specs_dir=ROOT / "slo_specs", data_dir=tmp_path)
    slos = load_specs([settings.specs_dir]).slos
    fleet = generate_fleet(DEMO_SERVICES, END - DAYS * 86_400, END, step_s=settings.collect.step_s, seed=0)
    with Store.open(pg_url, retention=Retention.from_settings(settings.collect)) as store:
        seed_store(store, fleet, slos)
    budgets = yaml.safe_load((demo_dir / DEMO_SETTINGS_FILE).read_text())["cost"]["budgets_usd"]
    config = tmp_path / "sloboard.yaml"
    config.write_text(yaml.safe_dump({"cost": {"budgets_usd": budgets}}))
    output = _status(_env(tmp_path, SLOBOARD_DATABASE_URL=pg_url, SLOBOARD_CONFIG=str(config)), "--json")
    assert output == GOLDEN.read_text()
