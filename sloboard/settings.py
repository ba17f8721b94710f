"""Settings: one ``sloboard.yaml`` plus ``SLOBOARD_*`` environment variables.

Built once in the entry point (``load_settings``) and passed down; nothing reads the
environment anywhere else. Precedence, highest first: environment variables, the
YAML file, the defaults below. Nested keys use ``__`` in the environment, for
example ``SLOBOARD_PROMETHEUS__BEARER_TOKEN``; the common ones also have a flat
alias (``SLOBOARD_PROMETHEUS_URL``).

Secrets are ``SecretStr``: they print as ``**********``. Any setting can also be read
from a file named by ``SLOBOARD_<NAME>_FILE`` (``secret_files.py``), as Docker and
Kubernetes mount secrets.
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
    """Where the queries go: Prometheus, or a compatible long-term store."""

    url: str = Field("http://127.0.0.1:9090", description="Prometheus, Thanos, Mimir or VictoriaMetrics query URL",
                     examples=["https://mimir.example.internal/prometheus"])
    bearer_token: SecretStr | None = Field(None, description="sent as Authorization: Bearer; never printed",
                                           examples=["eyJhbGciOi..."])
    basic_auth_user: str | None = Field(None, description="user of HTTP basic auth", examples=["sloboard"])
    basic_auth_password: SecretStr | None = Field(None, description="password of HTTP basic auth; never printed",
                                                  examples=["s3cret"])
    headers: dict[str, str] = Field(default_factory=dict, description="extra HTTP headers, e.g. X-Scope-OrgID for Mimir",
                                    examples=[{"X-Scope-OrgID": "team-a"}])
    verify_tls: bool = Field(True, description="check the server's TLS certificate", examples=[False])
    ca_file: Path | None = Field(None, description="CA bundle that signed the server's certificate",
                                 examples=["/etc/ssl/certs/internal-ca.pem"])
    timeout_s: float = Field(30.0, gt=0, description="timeout of one HTTP request", examples=[60])
    retry_max_s: float = Field(120.0, ge=0, description="total time spent retrying one query", examples=[300])


class CollectSettings(_Section):
    """How `sloboard collect` and `sloboard run` pull data, and how long the store keeps it."""

    step_s: int = Field(60, ge=1, description="collection step, seconds", examples=[30])
    lag_s: int = Field(120, ge=0, description="stay this far behind now, for late samples", examples=[300])
    lookback: str = Field(
        "5m",
        description="the longest a counter may go without a sample and still count across the gap; "
        "at least the step and the scrape interval (Prometheus' own lookback is 5m)",
        examples=["10m"],
    )
    backfill: str = Field("35d", description="how far back the first run reaches", examples=["90d"])
    concurrency: int = Field(
        8, ge=1, le=64, description="queries in flight at once during a collection pass (one per target)",
        examples=[4],
    )
    max_points_per_query: int = Field(11_000, ge=10, description="longer ranges are split into chunks of this many steps",
                                      examples=[5000])
    interval_s: int = Field(60, ge=10, description="how often `sloboard run` collects", examples=[120])
    raw_retention: str = Field(
        "35d", description="keep per-step SLI and cost samples this long; hourly rollups keep the long history",
        examples=["60d"],
    )
    golden_raw_retention: str = Field(
        "1d",
        description="keep per-step golden signals this long: charts of longer ranges use hourly rollups; "
        "golden signals are most of the store's rows",
        examples=["7d"],
    )
    golden_hourly_retention: str = Field(
        "90d",
        description="keep hourly rollups of golden signals this long (at least golden_raw_retention, at most "
        "rollup_retention; unset, 90d brought within them); older ranges chart their daily rollups, kept for "
        "rollup_retention",
        examples=["180d"],
    )
    rollup_retention: str = Field("400d", description="keep hourly and daily rollups (the long history) this long; "
                                  "golden signals keep their daily ones this long",
                                  examples=["800d"])

    @field_validator("backfill", "lookback", "raw_retention", "golden_raw_retention", "golden_hourly_retention",
                     "rollup_retention")
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

    @model_validator(mode="after")
    def _golden_hours_between_steps_and_rollups(self) -> "CollectSettings":
        # Hours summed from steps no longer kept, days from hours no longer kept: each level outlives the finer one.
        from .domain import parse_duration

        golden_raw, golden_hourly, rollup = (parse_duration(d) for d in (
            self.golden_raw_retention, self.golden_hourly_retention, self.rollup_retention))
        if "golden_hourly_retention" not in self.model_fields_set:
            # The default follows the other two (steps kept longer than rollups: the rollups' retention).
            if golden_hourly < golden_raw:
                self.golden_hourly_retention, golden_hourly = self.golden_raw_retention, golden_raw
            if golden_hourly > rollup:
                self.golden_hourly_retention = self.rollup_retention
        elif not golden_raw <= golden_hourly <= rollup:
            raise ValueError(
                f"golden_hourly_retention ({self.golden_hourly_retention}) must be at least golden_raw_retention "
                f"({self.golden_raw_retention}) and at most rollup_retention ({self.rollup_retention})")
        return self


class CostSettings(_Section):
    """Monthly cost budgets and when to warn about them."""

    budgets_usd: dict[str, float] = Field(
        default_factory=dict,
        description='monthly budget per scope: "total", "service:checkout", "team:payments"; '
        "the service:, team: or namespace: budgets may not add up to more than total",
        examples=[{"total": 5000, "team:payments": 1200}],
    )
    warn_fraction: float = Field(0.8, gt=0, description="warn when month-to-date spend reaches this share",
                                 examples=[0.9])
    overrun_fraction: float = Field(1.25, gt=1, description="flag a forecast above this share of budget",
                                    examples=[1.1])

    def budgets(self):
        """These settings as the engine's ``CostBudgets``, which the status report takes."""
        from .engine.cost import CostBudgets  # here, not at the top: settings load without numpy

        return CostBudgets(dict(self.budgets_usd), warn_at=self.warn_fraction, overrun_at=self.overrun_fraction)

    @field_validator("budgets_usd")
    @classmethod
    def _parts_within_total(cls, budgets: dict[str, float]) -> dict[str, float]:
        # Services (or teams, or namespaces) split the total: their budgets cannot add up to more.
        total = budgets.get("total")
        for kind in ("service", "team", "namespace"):
            parts = sum(usd for scope, usd in budgets.items() if scope.startswith(f"{kind}:"))
            if total is not None and parts > total + 0.005:
                raise ValueError(f"the {kind}:* budgets add up to {parts:.2f} USD, more than total ({total:.2f} USD)")
        return budgets


class ApiSettings(_Section):
    """The HTTP API served with the dashboard."""

    max_body_bytes: int = Field(
        64 * 1024, ge=1024, description="largest request body POST /api/v1/deployments accepts (413 above)",
        examples=[131072],
    )
    unknown_services: Literal["warn", "refuse"] = Field(
        "warn", description="a deployment of a service no SLO covers: stored with a warning, or refused (422)",
        examples=["refuse"],
    )


class GateSettings(_Section):
    """The deploy gate: `GET /api/v1/gate` and `sloboard gate`."""

    fail_open: bool = Field(
        False, description="allow deploys when the store is unreachable or an SLO's data is stale "
        "(default: deny them); the answer says which happened", examples=[True])
    max_override: str = Field("7d", description="the longest expiry `sloboard gate override` accepts",
                              examples=["24h"])

    @field_validator("max_override")
    @classmethod
    def _is_duration(cls, value: str) -> str:
        from .domain import parse_duration

        parse_duration(value)
        return value


class DashboardSettings(_Section):
    """The dashboard as its users reach it."""

    base_url: str = Field(
        "http://127.0.0.1:8050",
        description="where users open the dashboard; alert rules link to <base_url>/slo/<id>",
        examples=["https://sloboard.example.com"],
    )

    @field_validator("base_url")
    @classmethod
    def _is_http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL, e.g. https://sloboard.example.com")
        return value.rstrip("/")


class ServerSettings(_Section):
    """How `sloboard serve` and `sloboard run` serve the dashboard: one process, or gunicorn workers."""

    workers: int = Field(
        1, ge=1, le=64, description="dashboard worker processes; 1: one threaded process (werkzeug), "
        "more: gunicorn with this many workers (set cache.url so that they share results)", examples=[4])
    threads: int = Field(4, ge=1, le=64, description="threads per gunicorn worker", examples=[8])
    timeout_s: int = Field(60, ge=1, description="gunicorn restarts a worker silent for this long", examples=[120])
    graceful_timeout_s: int = Field(30, ge=0, description="on restart or stop, workers finish requests this long",
                                    examples=[60])
    keepalive_s: int = Field(5, ge=0, description="seconds an idle keep-alive connection stays open", examples=[2])
    max_requests: int = Field(0, ge=0, description="restart a worker after this many requests (0: never)",
                              examples=[10000])
    max_requests_jitter: int = Field(0, ge=0, description="up to this many more, so workers restart apart",
                                     examples=[500])


class CacheSettings(_Section):
    """Where the dashboard keeps results computed per instant (status report, DORA and cost trends)."""

    url: str = Field("", description="empty: in each process; redis://host:port/db: one cache all workers share",
                     examples=["redis://127.0.0.1:6379/0"])
    key_prefix: str = Field("sloboard:", description="prefix of every key in Redis (several dashboards, one Redis)",
                            examples=["sloboard-prod:"])
    ttl_s: int = Field(900, ge=60, description="how long Redis keeps a result", examples=[3600])
    lock_s: float = Field(60.0, gt=0, description="the longest one worker holds an instant's lock while computing",
                          examples=[120])
    wait_s: float = Field(
        15.0, ge=0, description="how long a worker with no earlier instant to show waits for the one computing "
        "(with one, it shows that after half a second, with a note)", examples=[5])

    @field_validator("url")
    @classmethod
    def _is_redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{value!r} is not a Redis URL, e.g. redis://127.0.0.1:6379/0 (empty: in-process)")
        return value


class AuthSettings(_Section):
    """Who may open the dashboard: sessions of users in the store, or an SSO proxy in front."""

    secret_key: SecretStr | None = Field(
        None, description="signs session cookies; set the same one on every worker; default: a random key kept "
        "in <data_dir>/session.key (owner-only)", examples=["a-64-character-random-string"])
    secure_cookies: bool = Field(False, description="mark session cookies Secure and send HSTS: set it behind HTTPS",
                                 examples=[True])
    idle_timeout: str = Field("30m", description="a session ends after this long without a request", examples=["1h"])
    absolute_timeout: str = Field("12h", description="a session ends this long after its login, whatever its use",
                                  examples=["8h"])
    trusted_proxies: list[str] = Field(
        default_factory=list, description="addresses of an authenticating proxy whose user header is believed; "
        "from any other address the header is ignored", examples=[["10.0.0.5"]])
    proxy_user_header: str = Field("X-Forwarded-User", description="the header a trusted proxy names the user in "
                                   "(a user of the store)", examples=["X-Auth-Request-User"])
    anonymous_role: Literal["viewer"] | None = Field(
        None, description="let visitors without a login see the pages as viewers (a wall display); "
        "the API still needs tokens", examples=["viewer"])
    metrics_token: SecretStr | None = Field(None, description="if set, /metrics needs Authorization: Bearer <it>",
                                            examples=["a-long-random-string"])

    @field_validator("idle_timeout", "absolute_timeout")
    @classmethod
    def _is_duration(cls, value: str) -> str:
        from .domain import parse_duration

        parse_duration(value)
        return value


class SmtpSettings(_Section):
    """The SMTP server that mails reports, over STARTTLS or implicit TLS, with a login."""

    host: str | None = Field(None, description="SMTP server that mails reports; unset: reports are archived only",
                             examples=["smtp.example.com"])
    port: int = Field(587, ge=1, le=65535, description="587 for STARTTLS, 465 for implicit TLS", examples=[465])
    tls: Literal["starttls", "implicit", "none"] = Field(
        "starttls", description="STARTTLS after connecting, TLS from the first byte (implicit), or none (a local relay)",
        examples=["implicit"],
    )
    user: str | None = Field(None, description="SMTP login user (with password)", examples=["sloboard@example.com"])
    password: SecretStr | None = Field(None, description="SMTP login password (never printed)", examples=["s3cret"])
    from_address: str = Field("sloboard@localhost", description="the From: of report mails",
                              examples=["sloboard@example.com"])
    ca_file: Path | None = Field(None, description="CA bundle that signed the server's certificate (a private relay)",
                                 examples=["/etc/ssl/certs/internal-ca.pem"])
    timeout_s: float = Field(30.0, gt=0, description="timeout of one SMTP connection", examples=[60])
    retry_attempts: int = Field(4, ge=1, description="attempts per delivery before it is left for a later retry",
                                examples=[6])
    retry_initial_s: float = Field(2.0, ge=0, description="first wait between attempts; it doubles each time",
                                   examples=[5])

    @model_validator(mode="after")
    def _password_is_encrypted(self) -> "SmtpSettings":
        if self.password is not None and self.tls == "none":
            raise ValueError("a password is never sent unencrypted: set tls to starttls or implicit")
        return self


class ReportsSettings(_Section):
    """Who gets each report kind, and how it is mailed; every report is archived either way."""

    recipients: dict[Literal["weekly", "monthly", "quarterly"], list[str]] = Field(
        default_factory=dict, description="who gets each report kind",
        examples=[{"weekly": ["cto@example.com"], "monthly": ["audit@example.com"]}],
    )
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)

    @field_validator("recipients")
    @classmethod
    def _are_addresses(cls, recipients: dict[str, list[str]]) -> dict[str, list[str]]:
        for kind, addresses in recipients.items():
            for address in addresses:
                if address.count("@") != 1 or any(c.isspace() or c in ",;<>" for c in address):
                    raise ValueError(f"{kind}: {address!r} is not one e-mail address like cto@example.com")
        return recipients


class SchedulerSettings(_Section):
    """When `sloboard run` builds the reports and retries their mail (collection: collect.interval_s)."""

    report_time: str = Field(
        "08:00", description="local time (in timezone) of the weekly report on Mondays, the monthly on the 1st "
        "and the quarterly on 1 January, April, July and October", examples=["07:30"],
    )
    misfire_grace: str = Field(
        "3d", description="a report missed while no scheduler ran is built once at start-up if it is at most "
        "this late", examples=["7d"],
    )
    deliver_interval_s: int = Field(600, ge=10, description="how often report mails that failed are retried",
                                    examples=[300])

    @field_validator("report_time")
    @classmethod
    def _is_time_of_day(cls, value: str) -> str:
        hour, _, minute = value.partition(":")
        if not (hour.isdigit() and minute.isdigit() and len(minute) == 2 and int(hour) < 24 and int(minute) < 60):
            raise ValueError(f"{value!r} is not a time of day like 08:00 (24-hour HH:MM)")
        return value

    @field_validator("misfire_grace")
    @classmethod
    def _is_duration(cls, value: str) -> str:
        from .domain import parse_duration

        parse_duration(value)
        return value

    @property
    def misfire_grace_s(self) -> int:
        from .domain import parse_duration

        return int(parse_duration(self.misfire_grace).total_seconds())


class Settings(BaseSettings):
    """Everything sloboard can be told. See README, section Configuration."""

    model_config = SettingsConfigDict(
        env_prefix="SLOBOARD_",
        env_nested_delimiter="__",
        extra="forbid",
        populate_by_name=True,
    )

    data_dir: Path = Field(Path("./var"), description="where the SQLite store and the report archive live",
                           examples=["/var/lib/sloboard"])
    database_url: SecretStr | None = Field(
        None, description="SQLAlchemy URL of the store; default sqlite:///<data_dir>/sloboard.db; never printed",
        examples=["postgresql+psycopg://sloboard:secret@db.internal:5432/sloboard"],
    )
    specs_dir: Path = Field(Path("./slo_specs"), description="the folder of SLO spec files (YAML)",
                            examples=["/etc/sloboard/slo_specs"])
    timezone: str = Field("UTC", description="IANA time zone of calendar windows and reports",
                          examples=["Europe/Berlin"])
    alert_windows_file: Path | None = Field(
        None, description="YAML table of burn-rate alert windows; default: the SRE workbook table",
        examples=["/etc/sloboard/alert-windows.yaml"],
    )
    queries_file: Path | None = Field(
        None, description="YAML of golden-signal, deployment and cost queries; default: the shipped one",
        examples=["/etc/sloboard/queries.yaml"],
    )
    api_tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='deprecated, works for this release only: bearer tokens by name, {"ci": "..."}, with every '
        "machine scope; use `sloboard token create` (stored hashed, scoped, expiring) instead",
        examples=[{"ci": "kq3...long-random-string"}],
    )
    api: ApiSettings = Field(default_factory=ApiSettings)
    gate: GateSettings = Field(default_factory=GateSettings)
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    collect: CollectSettings = Field(default_factory=CollectSettings)
    cost: CostSettings = Field(default_factory=CostSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    reports: ReportsSettings = Field(default_factory=ReportsSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    # Flat alias kept because it is the one setting everybody sets.
    prometheus_url: str | None = Field(
        None, validation_alias=AliasChoices("prometheus_url", "SLOBOARD_PROMETHEUS_URL"),
        description="the same as prometheus.url, which it overrides", examples=["http://prometheus:9090"],
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
        # The YAML file arrives as init kwargs; the environment (then *_FILE variables) wins over it.
        import os

        from .secret_files import EnvWithoutSecretFiles, SecretFilesSource

        return EnvWithoutSecretFiles(settings_cls), SecretFilesSource(settings_cls, os.environ), init_settings


# What `sloboard demo` writes next to its store (the data dir's default store): the
# demo's cost budgets and API token. Every command that reads that store reads this file
# too, below the settings file and the environment, so the dashboard, `sloboard status`
# and the API all see the same budgets and accept the same token.
DEMO_SETTINGS_FILE = "demo-settings.yaml"


def load_settings(config_file: Path | None = None, *, default_store: bool = False) -> Settings:
    """Read ``config_file`` (YAML) if given, then the environment, then (below both) the
    demo's settings when the data dir's default store is the demo's. ``default_store``
    ignores ``database_url`` (the demo writes the default store). Raises ConfigError."""
    values = _read_yaml(config_file) if config_file is not None else {}
    where = str(config_file) if config_file else "environment"
    settings = _build(values, where, default_store)
    demo_file = demo_settings_path(settings)
    if demo_file is None:
        return settings
    return _build(_merge(_read_yaml(demo_file), values), f"{where} with {demo_file}", default_store)


def demo_settings_path(settings: Settings) -> Path | None:
    """The demo's settings file, when the demo wrote the store these settings read."""
    path = settings.data_dir / DEMO_SETTINGS_FILE
    return path if settings.database_url is None and path.is_file() else None


def write_demo_settings(data_dir: Path, values: dict[str, Any]) -> Path:
    """Write the demo's settings (owner-only: it holds an API token); returns the path."""
    import os

    import yaml

    path = Path(data_dir) / DEMO_SETTINGS_FILE
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# Written by `sloboard demo`; read by every command that uses this data dir's store.\n")
        yaml.safe_dump(values, handle, sort_keys=False)
    return path


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        values = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read settings file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: settings must be a mapping of keys to values")
    return values


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``, mappings merged key by key."""
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _build(values: dict[str, Any], where: str, default_store: bool) -> Settings:
    from pydantic import ValidationError

    try:
        settings = Settings(**values)
        return settings.model_copy(update={"database_url": None}) if default_store else settings
    except ValidationError as exc:
        lines = [
            f"{where}: {'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigError("\n".join(lines)) from exc
