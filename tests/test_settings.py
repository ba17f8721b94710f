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


def _clean_env(monkeypatch, data_dir):
    for var in ("SLOBOARD_DATABASE_URL", "SLOBOARD_COST__BUDGETS_USD", "SLOBOARD_API_TOKENS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SLOBOARD_DATA_DIR", str(data_dir))


@pytest.mark.parametrize(
    "budgets, message",
    [
        pytest.param('{"total": 100, "service:a": 60, "service:b": 50}',
                     "the service:* budgets add up to 110.00 USD, more than total (100.00 USD)", id="services over the total"),
        pytest.param('{"total": 100, "team:x": 101}', "the team:* budgets add up to 101.00 USD", id="a team over the total"),
    ],
)
def test_budgets_of_parts_cannot_add_up_to_more_than_the_total(tmp_path, monkeypatch, budgets, message):
    _clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("SLOBOARD_COST__BUDGETS_USD", budgets)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value).startswith("environment: cost.budgets_usd: Value error, " + message)


def test_budgets_of_parts_within_the_total_load(tmp_path, monkeypatch):
    _clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("SLOBOARD_COST__BUDGETS_USD", '{"total": 100, "service:a": 60, "service:b": 40, "team:x": 90}')
    assert load_settings().cost.budgets_usd["service:b"] == 40


def test_the_demo_settings_apply_under_the_file_and_only_to_the_default_store(tmp_path, monkeypatch):
    from sloboard.settings import write_demo_settings

    _clean_env(monkeypatch, tmp_path)
    path = write_demo_settings(tmp_path, {"cost": {"budgets_usd": {"total": 200, "service:a": 50}},
                                          "api_tokens": {"demo": "tok"}})
    assert path.stat().st_mode & 0o077 == 0  # it holds a token
    s = load_settings()
    assert s.cost.budgets_usd == {"total": 200, "service:a": 50}
    assert s.api_tokens["demo"].get_secret_value() == "tok"
    cfg = tmp_path / "sloboard.yaml"
    cfg.write_text("cost:\n  budgets_usd: {total: 300}\n")
    assert load_settings(cfg).cost.budgets_usd == {"total": 300, "service:a": 50}  # the file wins per key
    monkeypatch.setenv("SLOBOARD_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    assert load_settings().cost.budgets_usd == {} and load_settings().api_tokens == {}
