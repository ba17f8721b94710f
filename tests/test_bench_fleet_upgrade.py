"""Bench fleets: a cached fleet built with fewer migrations (a prefix of today's) is
upgraded in place instead of rebuilt, and then holds what a fresh build holds; any other
change to its key still builds anew."""

from __future__ import annotations

import json

import numpy as np
import sqlalchemy as sa
from alembic import command

from bench import fleet
from sloboard.store.migrate import alembic_config, head_revision

SMALL = fleet.SIZES["small"]


def _rows(db_path, table: str) -> np.ndarray:
    engine = sa.create_engine(f"sqlite:///{db_path}")
    try:
        with engine.connect() as conn:
            return np.array(conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1, 2")).fetchall(), dtype=float)
    finally:
        engine.dispose()


def test_a_fleet_of_fewer_migrations_is_upgraded_in_place_and_equals_a_fresh_build(tmp_path, monkeypatch):
    scripts = fleet.migration_scripts()
    older = scripts[:-1]
    with monkeypatch.context() as patch:  # a fleet built before the newest migration
        patch.setattr(fleet, "migration_scripts", lambda: older)
        old = fleet.build(SMALL, tmp_path / "old", log=lambda _: None)
    engine = sa.create_engine(old.db_url)
    try:
        with engine.begin() as conn:  # and its schema as those migrations left it
            command.downgrade(alembic_config(conn), older[-1].name.split("_")[0])
    finally:
        engine.dispose()
    assert old.manifest["migrations"] == len(older)

    log: list[str] = []
    upgraded = fleet.build(SMALL, tmp_path / "old", log=log.append)

    assert upgraded.folder == old.folder and any("upgrading" in line for line in log)
    assert not any("building" in line for line in log)
    manifest = json.loads((old.folder / fleet.MANIFEST).read_text())
    assert manifest == upgraded.manifest and manifest["schema_head"] == head_revision()
    assert manifest["migrations"] == len(scripts) and manifest["schema_fingerprint"] == fleet.schema_fingerprint()
    assert manifest["upgrades"][-1]["from_migrations"] == len(older)
    # Found as it is from now on: no second upgrade.
    log.clear()
    assert fleet.build(SMALL, tmp_path / "old", log=log.append).folder == old.folder and log == []

    fresh = fleet.build(SMALL, tmp_path / "fresh", log=lambda _: None)
    for table in ("sli_daily", "series_daily", "sli_hourly"):
        got, want = _rows(upgraded.db_path, table), _rows(fresh.db_path, table)
        assert got.shape == want.shape and got.shape[0] > 0, table
        np.testing.assert_array_equal(got[:, :2], want[:, :2])  # keys and period ends
        np.testing.assert_array_equal(got[:, -1], want[:, -1])  # step counts
        np.testing.assert_allclose(got[:, 2:-1], want[:, 2:-1], rtol=1e-12)


def test_any_other_change_to_the_key_builds_anew(tmp_path, monkeypatch):
    built = fleet.build(SMALL, tmp_path, log=lambda _: None)
    assert fleet.cached(SMALL, tmp_path).folder == built.folder
    monkeypatch.setattr(fleet, "BUILD_VERSION", fleet.BUILD_VERSION + 1)
    assert fleet.cached(SMALL, tmp_path) is None
    assert fleet._upgraded(SMALL, tmp_path, log=lambda _: None) is None  # nothing to upgrade
