"""The gunicorn side of ``sloboard serve --workers N``: the settings reach gunicorn under its
own names, and a master that cannot start is an error of the command, not a silent exit."""

from __future__ import annotations

import socket

import pytest

from dashboard.gunicorn_app import DashboardApplication
from sloboard.settings import Settings

from .sloboard_cli import cli_env, run_sloboard

pytestmark = pytest.mark.integration


def test_the_server_settings_are_gunicorn_settings():
    settings = Settings(server={"threads": 8, "timeout_s": 120, "graceful_timeout_s": 45, "keepalive_s": 2,
                                "max_requests": 10_000, "max_requests_jitter": 500})
    cfg = DashboardApplication(settings, "127.0.0.1", 8123, 4).cfg
    assert (cfg.workers, cfg.threads, cfg.timeout, cfg.graceful_timeout, cfg.keepalive) == (4, 8, 120, 45, 2)
    assert (cfg.max_requests, cfg.max_requests_jitter, cfg.bind) == (10_000, 500, ["127.0.0.1:8123"])
    assert cfg.worker_class_str == "gthread" and cfg.control_socket_disable


def test_a_taken_port_fails_the_command_with_the_address(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = cli_env(tmp_path / "data", "http://127.0.0.1:9")
        done = run_sloboard(["serve", "--workers", "2", "--port", str(port)], env, tmp_path, timeout_s=120)
    assert done.returncode == 1
    assert f"error: the dashboard's gunicorn master on 127.0.0.1:{port} exited with 1" in done.stderr
    assert "Address already in use" in done.stderr
