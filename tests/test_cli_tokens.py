"""``sloboard token create|list|revoke``: shown once, stored as its SHA-256, scoped, expiring."""

from __future__ import annotations

from sloboard.credentials import TOKEN_PREFIX
from tests.test_cli_users import _dump_store, run


def test_a_token_is_shown_once_listed_without_its_secret_and_revoked(tmp_path):
    created = run(["token", "create", "ci", "--scope", "deploy:write", "--scope", "gate:read", "--expires", "30d"],
                  tmp_path)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith(TOKEN_PREFIX) and len(secret) > 40 and "\n" not in secret
    assert "token ci (deploy:write gate:read) expires" in created.stderr and "shown this once" in created.stderr
    listed = run(["token", "list"], tmp_path)
    assert listed.stdout.startswith("ci\tdeploy:write gate:read\tactive\texpires ") and secret not in listed.stdout
    assert secret not in _dump_store(tmp_path)
    assert run(["token", "revoke", "ci"], tmp_path).returncode == 0
    assert "\trevoked\t" in run(["token", "list"], tmp_path).stdout
    again = run(["token", "create", "ci", "--scope", "gate:read"], tmp_path)
    assert again.returncode == 2 and "a token named 'ci' exists" in again.stderr


def test_bad_token_options_are_one_line_and_exit_2(tmp_path):
    no_scope = run(["token", "create", "ci"], tmp_path)
    assert no_scope.returncode == 2 and "--scope" in no_scope.stderr
    bad_expiry = run(["token", "create", "ci", "--scope", "gate:read", "--expires", "soon"], tmp_path)
    assert bad_expiry.returncode == 2 and bad_expiry.stderr.startswith("error: --expires: 'soon' is not a duration")
