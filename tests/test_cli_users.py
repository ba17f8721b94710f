"""``sloboard user ...`` and the demo's login, as an operator meets them: the password
from a prompt or standard input, never an argument, and never stored or printed."""

from __future__ import annotations

import os
import re
import subprocess

import sqlalchemy as sa

from sloboard import credentials

from tests.test_cli import ROOT, SLOBOARD

PASSWORD = "a long enough secret 42"


def run(args, tmp_path, input: str | None = None):
    """``sloboard ARGS`` in a data dir of the test's own, with ``input`` on standard input."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SLOBOARD_")}
    environment.update(SLOBOARD_DATA_DIR=str(tmp_path / "var"), SLOBOARD_SPECS_DIR=str(ROOT / "slo_specs"))
    return subprocess.run(SLOBOARD + args, capture_output=True, text=True, env=environment, cwd=tmp_path,
                          timeout=120, input=input or "")


def _dump_store(tmp_path) -> str:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'var' / 'sloboard.db'}")
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return " ".join(str(v) for t in names for row in conn.exec_driver_sql(f'SELECT * FROM "{t}"') for v in row)
    finally:
        engine.dispose()


def test_users_are_added_listed_changed_and_removed_with_passwords_from_stdin(tmp_path):
    added = run(["user", "add", "ana", "--role", "editor", "--password-stdin"], tmp_path, input=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "added user ana (editor)" in added.stdout
    again = run(["user", "add", "ana", "--password-stdin"], tmp_path, input=PASSWORD + "\n")
    assert again.returncode == 2 and again.stderr.startswith("error: user 'ana' exists")
    listed = run(["user", "list"], tmp_path)
    assert listed.stdout.startswith("ana\teditor\t")
    changed = run(["user", "passwd", "ana", "--password-stdin"], tmp_path, input="another long secret 43\n")
    assert changed.returncode == 0, changed.stderr
    dump = _dump_store(tmp_path)
    assert PASSWORD not in dump and "another long secret 43" not in dump and "$argon2id$" in dump
    for result in (added, again, listed, changed):
        assert PASSWORD not in result.stdout + result.stderr
    removed = run(["user", "remove", "ana"], tmp_path)
    assert removed.returncode == 0 and run(["user", "list"], tmp_path).stdout == ""
    missing = run(["user", "remove", "ana"], tmp_path)
    assert missing.returncode == 2 and "no user 'ana'" in missing.stderr


def test_a_short_password_is_refused_in_one_line(tmp_path):
    result = run(["user", "add", "bo", "--password-stdin"], tmp_path, input="short\n")
    assert result.returncode == 2
    assert result.stderr == "error: a password needs at least 12 characters\n"


def test_the_prompt_asks_twice_and_a_mismatch_is_asked_again(tmp_path):
    result = run(["user", "add", "cy", "--role", "admin"], tmp_path,
                 input=f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n")
    assert result.returncode == 0, result.stderr
    assert "added user cy (admin)" in result.stdout and PASSWORD not in result.stdout + result.stderr


def test_a_password_is_never_a_command_line_argument(tmp_path):
    result = run(["user", "add", "dee", "--password", PASSWORD], tmp_path)
    assert result.returncode == 2 and "No such option '--password'" in result.stderr


def test_the_demo_creates_an_admin_and_prints_its_login(tmp_path):
    result = run(["demo", "--no-serve", "--days", "1"], tmp_path)
    assert result.returncode == 0, result.stderr
    login = re.search(r"dashboard login: demo / (\S+) \(admin", result.stderr)
    assert login is not None, result.stderr
    listed = run(["user", "list"], tmp_path)
    assert listed.stdout.startswith("demo\tadmin\t")
    assert login.group(1) not in _dump_store(tmp_path)


def test_a_user_name_that_no_login_could_carry_is_refused_in_one_line(tmp_path):
    assert [credentials.valid_user_name(n) for n in ("ana maria", "x" * 65, ".ana", "-ana", "ana\tb", "", "a'b")] == [
        False] * 7
    assert all(credentials.valid_user_name(n) for n in ("ana.maria@example.org", "José", "ops-bot_2", "x" * 64))
    result = run(["user", "add", "ana maria", "--password-stdin"], tmp_path, input=PASSWORD + "\n")
    assert result.returncode == 2 and result.stderr == (
        "error: a user name is 1 to 64 letters, digits or . _ @ + -, starting with a letter or digit; "
        "got 'ana maria'\n")
