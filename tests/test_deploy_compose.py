"""deploy/docker-compose.yml: `docker compose config` where the plugin exists; always a
structure check against what the services really are: images, the commands sloboard
really has, ports, volumes, start order, settings variables, and Prometheus' scrape
targets (with `promtool check config`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from sloboard import settings_reference
from tests.cli_commands import parse_sloboard
from tests.integration import prom
from tests.missing import missing

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
SLOBOARD_SERVICES = {"fleet", "migrate", "sloboard"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())  # PyYAML applies the << merge keys as compose does


def _compose_config_errors() -> str | None:
    """What `docker compose config` says is wrong, or None; None too where the plugin is
    missing (no Docker engine or compose plugin can be installed here: the checks below
    stand in for it, so this is an extra where it exists, not a skip)."""
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        return None
    done = subprocess.run([docker, "compose", "-f", str(COMPOSE), "config", "--quiet"], capture_output=True, text=True)
    return done.stderr if done.returncode else None


def test_the_services_and_their_images(compose):
    assert _compose_config_errors() is None
    services = compose["services"]
    assert set(services) == {"postgres", "fleet", "prometheus", "migrate", "sloboard", "smtp"}
    for name, service in services.items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: pin a tag, not {image}"
    for name in SLOBOARD_SERVICES:
        build = services[name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()
        assert services[name]["image"] == "sloboard:local"


def test_sloboard_containers_run_real_sloboard_commands(compose):
    services = compose["services"]
    assert parse_sloboard(services["fleet"]["command"]).name == "exporter"
    assert parse_sloboard(services["migrate"]["command"]).name == "upgrade"
    assert parse_sloboard(services["sloboard"]["command"]).name == "run"


def test_every_sloboard_variable_is_a_setting(compose):
    known = {e.env for e in settings_reference.entries()}
    for name in SLOBOARD_SERVICES:
        for variable in compose["services"][name].get("environment") or {}:
            assert variable in known, f"{name}: {variable} is not a setting (see docs/configuration.md)"
    env = compose["services"]["sloboard"]["environment"]
    assert env["SLOBOARD_DATABASE_URL"].startswith("postgresql+psycopg://") and "@postgres:5432/" in env["SLOBOARD_DATABASE_URL"]
    assert env["SLOBOARD_PROMETHEUS_URL"] == "http://prometheus:9090"
    smtp = compose["services"]["smtp"]
    assert env["SLOBOARD_REPORTS__SMTP__HOST"] == "smtp"
    assert f"127.0.0.1:{env['SLOBOARD_REPORTS__SMTP__PORT']}:{env['SLOBOARD_REPORTS__SMTP__PORT']}" in smtp["ports"]


def test_the_sloboard_environment_is_valid_settings(compose, monkeypatch):
    from sloboard.settings import load_settings

    for variable in list(os.environ):
        if variable.startswith("SLOBOARD_"):
            monkeypatch.delenv(variable)
    for variable, value in compose["services"]["sloboard"]["environment"].items():
        monkeypatch.setenv(variable, str(value))
    settings = load_settings()
    assert settings.reports.smtp.tls == "none" and settings.reports.recipients["weekly"] == ["sre@example.com"]
    assert settings.collect.backfill == "1h"


def test_ports_are_published_on_loopback_once(compose):
    published = []
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            host, host_port, container_port = port.split(":")
            assert host == "127.0.0.1", f"{name}: {port} would be reachable from other machines"
            published.append(host_port)
    assert len(published) == len(set(published))
    ports = {s: [p.split(":")[2] for p in compose["services"][s].get("ports", [])] for s in compose["services"]}
    assert "8050" in ports["sloboard"] and "9090" in ports["prometheus"] and "9110" in ports["fleet"]


def test_volumes_are_declared_and_mounts_exist(compose):
    declared = set(compose["volumes"])
    used = set()
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source, target = mount.split(":")[:2]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
                used.add(source)
    assert used == declared
    mounts = compose["services"]["sloboard"]["volumes"]
    assert "../slo_specs:/etc/sloboard/slo_specs:ro" in mounts and "sloboard-data:/var/lib/sloboard" in mounts


def test_start_order(compose):
    services = compose["services"]
    for name, service in services.items():
        for needed, how in (service.get("depends_on") or {}).items():
            assert needed in services, f"{name} depends on unknown {needed}"
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[needed], f"{needed} has no healthcheck to wait for"
    sloboard = services["sloboard"]["depends_on"]
    assert sloboard["migrate"]["condition"] == "service_completed_successfully"
    assert sloboard["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"


def test_prometheus_scrapes_the_fleet_and_sloboard_on_their_ports(compose):
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    fleet = compose["services"]["fleet"]["command"]
    assert targets["fleet"] == [f"fleet:{fleet[fleet.index('--port') + 1]}"]
    sloboard = compose["services"]["sloboard"]["command"]
    assert targets["sloboard"] == [f"sloboard:{sloboard[sloboard.index('--port') + 1]}"]
    mounted = [m for m in compose["services"]["prometheus"]["volumes"] if m.startswith("./prometheus.yml:")]
    assert mounted == ["./prometheus.yml:/etc/prometheus/prometheus.yml:ro"]


def test_promtool_accepts_the_prometheus_config():
    binaries = prom.find_binaries()
    if binaries is None:
        missing("promtool must be on PATH (Debian: apt-get install prometheus)")
    done = subprocess.run([binaries.promtool, "check", "config", str(DEPLOY / "prometheus.yml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
