"""Settings: one ``sloboard.yaml`` plus ``SLOBOARD_*`` environment variables.

Built once in the entry point (``load_settings``) and passed down; nothing reads the
environment anywhere else. Precedence, highest first: environment variables, the
YAML file, the defaults below. Nested keys use ``__`` in the environment, for
example ``SLOBOARD_PROMETHEUS__BEARER_TOKEN``; the common ones also have a flat
alias (``SLOBOARD_PROMETHEUS_URL``).

Secrets are ``SecretStr``: they print as ``**********``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PrometheusSettings(_Section):
    url: str = "http://127.0.0.1:9090"
    bearer_token: SecretStr | None = None
    basic_auth_user: str | None = None
    basic_auth_password: SecretStr | None = None
    headers: dict[str, str] = Field(default_factory=dict, description="e.g. X-Scope-OrgID for Mimir")
    verify_tls: bool = True
    ca_file: Path | None = None
    timeout_s: float = Field(30.0, gt=0, description="timeout of one HTTP request")
    retry_max_s: float = Field(120.0, ge=0, description="total time spent retrying one query")


class CollectSettings(_Section):
    step_s: int = Field(60, ge=1, description="collection step, seconds")
    lag_s: int = Field(120, ge=0, description="stay this far behind now, for late samples")
    lookback: str = Field(
        "5m",
        description="the longest a counter may go without a sample and still count across the gap; "
        "at least the step and the scrape interval (Prometheus' own lookback is 5m)",
    )
    backfill: str = Field("35d", description="how far back the first run reaches")
    max_points_per_query: int = Field(11_000, ge=10)
    interval_s: int = Field(60, ge=10, description="how often `sloboard run` collects")
    raw_retention: str = Field(
        "35d", description="keep per-step SLI and cost samples this long; hourly rollups keep the long history"
    )
    golden_raw_retention: str = Field(
        "1d",
        description="keep per-step golden signals this long: charts of longer ranges use hourly rollups; "
        "golden signals are most of the store's rows",
    )
    rollup_retention: str = Field("400d", description="keep hourly rollups (the long history) this long")

    @field_validator("backfill", "lookback", "raw_retention", "golden_raw_retention", "rollup_retention")
    @classmethod
    def _is_duration(cls, value: str) -> str:
        from .domain import parse_duration

        parse_duration(value)  # raises ValueError with a message for users
        return value

    @property
    def lookback_s(self) -> int:
        from .domain import parse_duration

        return int(parse_duration(self.lookback).total_seconds())

    @model_validator(mode="after")
    def _lookback_covers_a_step(self) -> "CollectSettings":
        # A counter's previous step end must lie within the lookback to be counted at all.
        if self.lookback_s < self.step_s:
            raise ValueError(f"lookback ({self.lookback}) must be at least the step ({self.step_s} s)")
        return self


class CostSettings(_Section):
    budgets_usd: dict[str, float] = Field(
        default_factory=dict,
        description='monthly budget per scope: "total", "service:checkout", "team:payments"',
    )
    warn_fraction: float = Field(0.8, gt=0, description="warn when month-to-date spend reaches this share")
    overrun_fraction: float = Field(1.25, gt=1, description="flag a forecast above this share of budget")


class ApiSettings(_Section):
    max_body_bytes: int = Field(
        64 * 1024, ge=1024, description="largest request body POST /api/v1/deployments accepts (413 above)"
    )
    unknown_services: Literal["warn", "refuse"] = Field(
        "warn", description="a deployment of a service no SLO covers: stored with a warning, or refused (422)"
    )


class Settings(BaseSettings):
    """Everything sloboard can be told. See README, section Configuration."""

    model_config = SettingsConfigDict(
        env_prefix="SLOBOARD_",
        env_nested_delimiter="__",
        extra="forbid",
        populate_by_name=True,
    )

    data_dir: Path = Path("./var")
    database_url: SecretStr | None = Field(
        None, description="SQLAlchemy URL; default sqlite:///<data_dir>/sloboard.db"
    )
    specs_dir: Path = Path("./slo_specs")
    timezone: str = "UTC"
    alert_windows_file: Path | None = Field(
        None, description="YAML table of burn-rate alert windows; default: the SRE workbook table"
    )
    queries_file: Path | None = Field(
        None, description="YAML of golden-signal, deployment and cost queries; default: the shipped one"
    )
    api_tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='bearer tokens for POST /api/v1/deployments, by name: {"ci": "..."}; the name is audited',
    )
    api: ApiSettings = Field(default_factory=ApiSettings)
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    collect: CollectSettings = Field(default_factory=CollectSettings)
    cost: CostSettings = Field(default_factory=CostSettings)
    # Flat alias kept because it is the one setting everybody sets.
    prometheus_url: str | None = Field(
        None, validation_alias=AliasChoices("prometheus_url", "SLOBOARD_PROMETHEUS_URL")
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name like Europe/Berlin") from exc
        return value

    def model_post_init(self, __context: Any) -> None:
        if self.prometheus_url:
            self.prometheus.url = self.prometheus_url

    @property
    def db_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'sloboard.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The YAML file arrives as init kwargs; the environment must win over it.
        return env_settings, init_settings


def load_settings(config_file: Path | None = None) -> Settings:
    """Read ``config_file`` (YAML) if given, then the environment. Raises ConfigError."""
    import yaml
    from pydantic import ValidationError

    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            text = Path(config_file).read_text(encoding="utf-8")
            values = yaml.safe_load(text) or {}
        except OSError as exc:
            raise ConfigError(f"{config_file}: cannot read settings file: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"{config_file}: not valid YAML: {exc}") from exc
        if not isinstance(values, dict):
            raise ConfigError(f"{config_file}: settings must be a mapping of keys to values")
    try:
        return Settings(**values)
    except ValidationError as exc:
        where = str(config_file) if config_file else "environment"
        lines = [
            f"{where}: {'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigError("\n".join(lines)) from exc
