"""Settings from files (``SLOBOARD_<NAME>_FILE``), as Docker and Kubernetes mount secrets."""

from __future__ import annotations

import pytest

from sloboard.errors import ConfigError
from sloboard.settings import load_settings


@pytest.fixture
def clean_env(monkeypatch):
    import os

    for key in list(os.environ):
        if key.startswith("SLOBOARD_"):
            monkeypatch.delenv(key)
    return monkeypatch


def test_secrets_nested_and_mapped_settings_come_from_files(clean_env, tmp_path):
    (tmp_path / "db").write_text("postgresql+psycopg://u:pw@db/sloboard\n")
    (tmp_path / "smtp").write_text("mail-secret")
    (tmp_path / "ci").write_text("ci-token\n")
    clean_env.setenv("SLOBOARD_DATABASE_URL_FILE", str(tmp_path / "db"))
    clean_env.setenv("SLOBOARD_REPORTS__SMTP__PASSWORD_FILE", str(tmp_path / "smtp"))
    clean_env.setenv("SLOBOARD_API_TOKENS__CI_FILE", str(tmp_path / "ci"))
    clean_env.setenv("SLOBOARD_DATA_DIR", str(tmp_path / "var"))
    settings = load_settings()
    assert settings.db_url == "postgresql+psycopg://u:pw@db/sloboard"
    assert settings.reports.smtp.password.get_secret_value() == "mail-secret"
    assert settings.api_tokens["ci"].get_secret_value() == "ci-token"
    assert "pw" not in repr(settings.database_url) and "mail-secret" not in repr(settings)


def test_a_setting_named_file_keeps_its_meaning(clean_env, tmp_path):
    clean_env.setenv("SLOBOARD_QUERIES_FILE", str(tmp_path / "queries.yaml"))
    clean_env.setenv("SLOBOARD_DATA_DIR", str(tmp_path / "var"))
    assert load_settings().queries_file == tmp_path / "queries.yaml"


def test_the_environment_wins_over_a_file_and_a_file_over_the_yaml(clean_env, tmp_path):
    (tmp_path / "zone").write_text("Europe/Berlin\n")
    config = tmp_path / "sloboard.yaml"
    config.write_text("timezone: Asia/Tokyo\n")
    clean_env.setenv("SLOBOARD_TIMEZONE_FILE", str(tmp_path / "zone"))
    clean_env.setenv("SLOBOARD_DATA_DIR", str(tmp_path / "var"))
    assert load_settings(config).timezone == "Europe/Berlin"


@pytest.mark.parametrize("env, message", [
    pytest.param({"SLOBOARD_NOPE_FILE": "x"}, "SLOBOARD_NOPE_FILE: there is no setting nope", id="unknown setting"),
    pytest.param({"SLOBOARD_TIMEZONE_FILE": "/does/not/exist"}, "cannot read /does/not/exist",
                 id="missing file"),
    pytest.param({"SLOBOARD_TIMEZONE_FILE": "/etc/hostname", "SLOBOARD_TIMEZONE": "UTC"}, "are both set",
                 id="both the value and the file"),
])
def test_bad_secret_files_are_one_clear_line(clean_env, tmp_path, env, message):
    for key, value in env.items():
        clean_env.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()
