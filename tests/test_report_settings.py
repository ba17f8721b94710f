"""The reports settings section: recipients per kind and SMTP, with a password that never prints."""

from __future__ import annotations

import pytest

from sloboard.errors import ConfigError
from sloboard.settings import load_settings


def _clean(monkeypatch):
    for var in list(__import__("os").environ):
        if var.startswith("SLOBOARD_"):
            monkeypatch.delenv(var)


def test_smtp_and_recipients_come_from_the_environment_and_the_password_never_prints(monkeypatch, tmp_path):
    _clean(monkeypatch)
    monkeypatch.setenv("SLOBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SLOBOARD_REPORTS__SMTP__HOST", "mail.example.com")
    monkeypatch.setenv("SLOBOARD_REPORTS__SMTP__PORT", "465")
    monkeypatch.setenv("SLOBOARD_REPORTS__SMTP__TLS", "implicit")
    monkeypatch.setenv("SLOBOARD_REPORTS__SMTP__USER", "reports")
    monkeypatch.setenv("SLOBOARD_REPORTS__SMTP__PASSWORD", "pw-hunter2")
    monkeypatch.setenv("SLOBOARD_REPORTS__RECIPIENTS", '{"weekly": ["cto@example.com"], "monthly": ["audit@example.com"]}')
    settings = load_settings()
    smtp = settings.reports.smtp
    assert (smtp.host, smtp.port, smtp.tls, smtp.user) == ("mail.example.com", 465, "implicit", "reports")
    assert smtp.password.get_secret_value() == "pw-hunter2"
    assert settings.reports.recipients == {"weekly": ["cto@example.com"], "monthly": ["audit@example.com"]}
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert "pw-hunter2" not in text


def test_defaults_archive_without_mailing(monkeypatch):
    _clean(monkeypatch)
    reports = load_settings().reports
    assert (reports.smtp.host, reports.smtp.port, reports.smtp.tls, reports.recipients) == (None, 587, "starttls", {})


@pytest.mark.parametrize(
    "yaml_text, message",
    [
        pytest.param("reports: {smtp: {tls: none, user: u, password: p}}", "a password is never sent unencrypted",
                     id="a password over plain SMTP is refused"),
        pytest.param("reports: {recipients: {weekly: ['a@x.com, b@x.com']}}", "is not one e-mail address",
                     id="two addresses in one string"),
        pytest.param("reports: {recipients: {daily: ['a@x.com']}}", "reports.recipients.daily", id="an unknown kind"),
        pytest.param("reports: {smtp: {tls: ssl}}", "reports.smtp.tls", id="an unknown TLS mode"),
    ],
)
def test_bad_reports_settings_name_the_key(monkeypatch, tmp_path, yaml_text, message):
    _clean(monkeypatch)
    path = tmp_path / "sloboard.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_a_half_login_is_refused_when_mailing(monkeypatch):
    from reports.delivery import require_smtp

    _clean(monkeypatch)
    monkeypatch.setenv("SLOBOARD_REPORTS__SMTP__HOST", "smtp.example.com")
    monkeypatch.setenv("SLOBOARD_REPORTS__SMTP__USER", "reports")
    with pytest.raises(ConfigError, match="reports.smtp: set both user and password for the SMTP login, or neither"):
        require_smtp(load_settings().reports.smtp)
