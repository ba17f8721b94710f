"""One SLO's status read on its own equals its entry in the full report, on both databases,
with holes, an outage and an instant off the hour grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sloboard.specs import load_specs
from sloboard.reads.status import slo_entry, status_report
from tests.factories import read_options

SPECS = Path(__file__).resolve().parents[1] / "slo_specs"
AT = 1_800_000_000 // 60 * 60 + 37 * 60  # on the step grid, 37 minutes past an hour boundary


@pytest.fixture
def seeded(store):
    slos = load_specs([SPECS]).slos
    store.sync_slos(slos)
    rng = np.random.default_rng(7)
    ts = np.arange(AT - 40 * 86_400 + 60, AT + 1, 60, dtype=np.int64)
    for i, slo in enumerate(slos):
        keep = rng.random(ts.size) > 0.01  # scattered holes
        total = rng.integers(50, 500, ts.size).astype(float)
        bad = rng.binomial(total.astype(int), 0.002).astype(float)
        bad[(ts > AT - 3 * 3600) & (ts <= AT - 2 * 3600)] *= 40 + i  # a one-hour outage
        bad = np.minimum(bad, total)
        store.write_sli_samples(slo.id, ts[keep], (total - bad)[keep], total[keep])
    return store, slos


def test_single_slo_entry_equals_the_report_entry(seeded):
    store, slos = seeded
    report = status_report(store, slos, AT, **read_options())
    for entry in report.slos:
        assert slo_entry(store, slos, entry.id, AT, step_s=60) == entry
    assert all(e.sli is not None for e in report.slos)
