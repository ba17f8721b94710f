"""``sloboard audit verify|anchor`` as an auditor runs them: a hidden failed deployment, a
trimmed log and an edited target column are each caught, named, and exit 1."""

from __future__ import annotations

import json
import sqlite3

from tests.test_cli_users import run


def _record(tmp_path, version: str, status: str) -> None:
    args = ["deploy", "record", "--service", "search", "--version", version, "--status", status,
            "--started", "2027-01-14T10:00:00Z"]
    assert run(args, tmp_path).returncode == 0


def _db(tmp_path):
    return sqlite3.connect(tmp_path / "var" / "sloboard.db")


def test_a_deployment_edited_from_failed_to_succeeded_is_named(tmp_path):
    _record(tmp_path, "v1", "failed")
    ok = run(["audit", "verify"], tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "records intact: 1 deployment(s)" in ok.stdout
    with _db(tmp_path) as db:
        db.execute("UPDATE deployments SET status = 'succeeded' WHERE version = 'v1'")
    caught = run(["audit", "verify"], tmp_path)
    assert caught.returncode == 1 and caught.stdout.startswith("audit log intact\n")
    [line] = caught.stderr.splitlines()
    assert line.startswith("record: deployment search v1 started 2027-01-14T10:00:00Z (row 1) differs from audit entry ")
    assert line.endswith("status 'failed' in the log, 'succeeded' in the store")


def test_newest_entries_deleted_are_reported_against_the_anchor(tmp_path):
    for version in ("v1", "v2", "v3"):
        _record(tmp_path, version, "succeeded")
    anchored = run(["audit", "anchor", "--out", str(tmp_path / "anchor.json")], tmp_path)
    assert anchored.returncode == 0, anchored.stderr
    anchor = json.loads((tmp_path / "anchor.json").read_text())
    assert json.loads(run(["audit", "anchor"], tmp_path).stdout) == anchor
    with _db(tmp_path) as db:
        db.execute(f"DELETE FROM audit_log WHERE id > {anchor['id'] - 4}")  # each record: a row and a request entry
        db.execute("DELETE FROM deployments WHERE version != 'v1'")
    plain = run(["audit", "verify"], tmp_path)
    assert plain.returncode == 0, plain.stderr  # without the anchor, a trimmed log still chains
    caught = run(["audit", "verify", "--anchor", str(tmp_path / "anchor.json")], tmp_path)
    assert caught.returncode == 1
    assert caught.stderr.startswith(f"audit log truncated: the anchor names entry {anchor['id']} ")
    assert f"which is gone; the log ends at entry {anchor['id'] - 4}" in caught.stderr


def test_a_deleted_middle_entry_is_named_as_a_gap_and_a_window_can_skip_it(tmp_path):
    for version in ("v1", "v2"):
        _record(tmp_path, version, "succeeded")
    with _db(tmp_path) as db:
        db.execute("DELETE FROM audit_log WHERE id = 2")
    caught = run(["audit", "verify"], tmp_path)
    assert caught.returncode == 1
    assert "audit log broken at entry 3 " in caught.stderr and "a gap, entry 2 missing before it" in caught.stderr
    later = run(["audit", "verify", "--from", "2100-01-01T00:00:00Z"], tmp_path)
    assert "audit log intact" in later.stdout


def test_an_edited_target_column_is_named_though_the_chain_holds(tmp_path):
    _record(tmp_path, "v1", "succeeded")
    with _db(tmp_path) as db:
        entry_id, action, target = db.execute(
            "SELECT id, action, target FROM audit_log WHERE target LIKE 'deployment:%' ORDER BY id").fetchone()
        db.execute("UPDATE audit_log SET target = 'deployment:elsewhere' WHERE id = ?", (entry_id,))
    caught = run(["audit", "verify"], tmp_path)
    assert caught.returncode == 1 and caught.stdout.startswith("audit log intact\n")
    [line] = caught.stderr.splitlines()
    assert line.startswith(f"target column: entry {entry_id} ({action} at ")
    assert line.endswith(f"): target column 'deployment:elsewhere', its payload names {target!r}")


def test_a_bad_anchor_file_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "anchor.json").write_text("not json")
    result = run(["audit", "verify", "--anchor", str(tmp_path / "anchor.json")], tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("error: --anchor: ") and "\n" == result.stderr[-1]
    empty = run(["audit", "anchor"], tmp_path)
    assert empty.returncode == 2 and "the audit log is empty" in empty.stderr
