"""Settings: YAML file plus SLOBOARD_* environment, environment wins, secrets hidden."""

import pytest

from sloboard.errors import ConfigError
from sloboard.settings import load_settings


def test_defaults_need_no_file(monkeypatch):
    for var in ("SLOBOARD_DATA_DIR", "SLOBOARD_DATABASE_URL", "SLOBOARD_PROMETHEUS_URL", "SLOBOARD_TIMEZONE"):
        monkeypatch.delenv(var, raising=False)
    s = load_settings()
    assert s.db_url == "sqlite:///var/sloboard.db"
    assert s.prometheus.url == "http://127.0.0.1:9090"
    assert s.collect.step_s == 60 and s.timezone == "UTC"


def test_environment_overrides_the_file(tmp_path, monkeypatch):
    cfg = tmp_path / "sloboard.yaml"
    cfg.write_text("timezone: Europe/Berlin\ndata_dir: /srv/a\nprometheus:\n  url: http://127.0.0.1:1\n")
    monkeypatch.setenv("SLOBOARD_DATA_DIR", str(tmp_path / "b"))
    monkeypatch.setenv("SLOBOARD_PROMETHEUS_URL", "http://127.0.0.1:2")
    monkeypatch.setenv("SLOBOARD_PROMETHEUS__HEADERS", '{"X-Scope-OrgID": "team-a"}')
    s = load_settings(cfg)
    assert s.timezone == "Europe/Berlin"
    assert s.db_url == f"sqlite:///{tmp_path / 'b' / 'sloboard.db'}"
    assert s.prometheus.url == "http://127.0.0.1:2"
    assert s.prometheus.headers == {"X-Scope-OrgID": "team-a"}


def test_secrets_never_print(monkeypatch):
    monkeypatch.setenv("SLOBOARD_DATABASE_URL", "postgresql+psycopg://u:hunter2@127.0.0.1/db")
    monkeypatch.setenv("SLOBOARD_PROMETHEUS__BEARER_TOKEN", "tok-secret")
    s = load_settings()
    assert "hunter2" not in repr(s) and "tok-secret" not in repr(s)
    assert "hunter2" in s.db_url


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("timezone: Mars/Olympus\n", "timezone: Value error, unknown time zone", id="unknown time zone"),
        pytest.param("colect: {}\n", "colect: Extra inputs are not permitted", id="misspelt key"),
        pytest.param("collect:\n  step_s: fast\n", "collect.step_s: Input should be a valid integer", id="wrong type"),
        pytest.param("collect:\n  raw_retention: 35 days\n", "collect.raw_retention: Value error, '35 days' is not a duration",
                     id="a retention that is not a duration"),
        pytest.param("- a\n- b\n", "settings must be a mapping", id="a list instead of a mapping"),
        pytest.param("a: [\n", "not valid YAML", id="malformed YAML"),
    ],
)
def test_bad_settings_name_the_file_and_key(tmp_path, text, message):
    cfg = tmp_path / "sloboard.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert str(cfg) in str(err.value) and message in str(err.value)
