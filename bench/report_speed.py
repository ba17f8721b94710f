"""Report speed (issue 10): ``sloboard report KIND`` as a whole process over a store with a
known number of deployments in the month, against a baseline in the same run: the same
HTML (built once in this process) written by WeasyPrint with no data reads, so the
figures split what the reads cost from what the layout costs.

- standard: 100 SLOs, 300 deployments in December 2025; weekly (2025-W52) within 5 s,
  monthly (2025-12) and quarterly (2025-Q4) within 15 s.
- large (``--large``): 1,000 SLOs, 5,000 deployments in December; monthly within 60 s and
  500 MB peak RSS, and its PDF read back with pdftotext: every deployment once, in order,
  under a repeated header on every page (``tests.test_report_trail.check_trail``).

The bench fleets hold 90 or 400 days and their own deployments; these stores are seeded
the same way (``collectors.synthetic``) over the quarter only, with the month's
deployments replaced by exactly the count asked for. Cached under ``.bench/fleets/``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

from collectors.synthetic import generate_fleet
from collectors.synthetic_store import seed_store
from sloboard.settings import Settings
from sloboard.store import Store
from tests.test_report_trail import check_trail, deployments

from .cache import exclusive
from .fleet import END_EPOCH, RETENTION, SEED, STEP_S, FleetSize, fleet_folder, load_slos
from .report import Result, at_most
from .specs import write_specs
from .timing import SLOBOARD, fmt_bytes, fmt_s, run_process
from tests.integration.sloboard_cli import KEEP_EVERY_STEP_ENV

TZ = "UTC"
QUARTER_START = 1_759_276_800  # 2025-10-01T00:00:00Z; the data ends at END_EPOCH, 2026-01-01
MONTH_START = 1_764_547_200  # 2025-12-01T00:00:00Z
PERIODS = {"weekly": "2025-W52", "monthly": "2025-12", "quarterly": "2025-Q4"}
STANDARD = {"weekly": 5.0, "monthly": 15.0, "quarterly": 15.0}
LARGE_S, LARGE_BYTES = 60.0, 500e6
SIZES = {"standard": (FleetSize("reports-standard", 50, 92), 300),
         "large": (FleetSize("reports-large", 500, 92), 5_000)}


def _store(name: str, ctx) -> tuple[Path, int]:
    """The folder of the cached store (``specs/``, ``sloboard.db``) and its month's deployment count."""
    size, count = SIZES[name]
    folder = fleet_folder(size, ctx.root).with_name(f"{size.name}-{size.key()}-{count}")
    with exclusive(folder):
        if not (folder / "done.json").exists():
            ctx.log(f"seeding the {name} reports store ({size.slos} SLOs, {count} deployments in 2025-12) in {folder}")
            shutil.rmtree(folder, ignore_errors=True)
            fleet = generate_fleet(size.services, QUARTER_START, END_EPOCH, step_s=STEP_S, seed=SEED)
            fleet.deployments = tuple(deployments(count, MONTH_START, END_EPOCH, fleet.service_names))
            write_specs(folder / "specs", fleet.profiles)
            with Store.open(f"sqlite:///{(folder / 'sloboard.db').resolve()}", clock=lambda: END_EPOCH,
                            retention=RETENTION) as store:
                seed_store(store, fleet, load_slos(folder / "specs"))
            (folder / "done.json").write_text(json.dumps({"deployments": count}))
    return folder, count


def _baseline(folder: Path, kind: str) -> float:
    """Seconds WeasyPrint takes to write the report's HTML (or parts), built beforehand (no reads timed)."""
    from reports.publish import ARCHIVAL_KINDS, write_report
    from reports.service import build, resolve_period

    period = resolve_period(kind, PERIODS[kind], TZ, END_EPOCH)
    with Store.open(f"sqlite:///{(folder / 'sloboard.db').resolve()}") as store:
        built = build(kind, store, load_slos(folder / "specs"), period, Settings(data_dir=folder, timezone=TZ))
    began = time.perf_counter()
    write_report(built.html, as_of=period.end, archival=kind in ARCHIVAL_KINDS)
    return time.perf_counter() - began


def _measure(ctx, name: str, kind: str, limit: float, rss_limit: float | None) -> Result:
    folder, count = _store(name, ctx)
    work = ctx.scratch / f"reports-{name}-{kind}"
    out = work / "out.pdf"
    env = {"SLOBOARD_DATABASE_URL": f"sqlite:///{(folder / 'sloboard.db').resolve()}",
           "SLOBOARD_SPECS_DIR": str((folder / "specs").resolve()), "SLOBOARD_DATA_DIR": str(work.resolve()),
           "SLOBOARD_TIMEZONE": TZ, **KEEP_EVERY_STEP_ENV}
    work.mkdir(parents=True, exist_ok=True)
    run = run_process([SLOBOARD, "report", kind, "--period", PERIODS[kind], "--out", str(out)], env).check()
    base = _baseline(folder, kind)
    slos = SIZES[name][0].slos
    met = at_most(run.seconds, limit) and (rss_limit is None or run.max_rss_bytes <= rss_limit)
    target = f"<= {fmt_s(limit)}" + (f", <= {fmt_bytes(rss_limit)} RSS" if rss_limit else "")
    notes = [f"{kind} {PERIODS[kind]}, {slos} SLOs, {count} deployments in 2025-12; whole process, one run; "
             f"peak RSS {fmt_bytes(run.max_rss_bytes)}"]
    if name == "large":
        pages = subprocess.run(["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True,
                               text=True).stdout.split("\f")[:-1]
        problems = check_trail(pages, count)
        met = met and not problems
        notes.append(f"pdftotext: {len(pages)} pages; " + ("; ".join(problems) if problems else
                     f"all {count} deployments once, in order, header repeated on every trail page"))
    return Result(f"report {kind}, {name} ({slos} SLOs)", figure=fmt_s(run.seconds), target=target, met=met,
                  baseline=f"WeasyPrint only {fmt_s(base)}", ratio=f"{run.seconds / base:.2f}x time", notes=notes)


def run(ctx) -> list[Result]:
    results = [_measure(ctx, "standard", kind, limit, None) for kind, limit in STANDARD.items()]
    if ctx.large:
        results.append(_measure(ctx, "large", "monthly", LARGE_S, LARGE_BYTES))
    return results
