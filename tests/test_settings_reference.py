"""docs/configuration.md is generated from the settings model and must match it; every
setting it lists is read from the variable it names, and its YAML example loads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from sloboard import settings_reference as ref
from sloboard.settings import load_settings


def _plain(value):
    if hasattr(value, "get_secret_value"):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


def _at(settings, key: str):
    value = settings
    for part in key.split("."):
        value = getattr(value, part)
    return _plain(value)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("SLOBOARD_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_the_committed_reference_is_up_to_date():
    assert ref.DOC_PATH.read_text(encoding="utf-8") == ref.render(), (
        "docs/configuration.md is out of date: run python -m sloboard.settings_reference --write")


def test_every_setting_has_a_meaning_and_an_example():
    assert ref.missing_docs(ref.entries()) == []


def test_the_reference_lists_every_setting_once_and_sections_whole():
    keys = [e.key for e in ref.entries()]
    assert len(keys) == len(set(keys))
    assert {"data_dir", "database_url", "prometheus.url", "prometheus_url", "collect.step_s",
            "cost.budgets_usd", "api.unknown_services", "dashboard.base_url"} <= set(keys)


@pytest.mark.parametrize("entry", ref.entries(), ids=lambda e: e.env)
def test_each_variable_sets_its_setting_to_the_example(clean_env, entry):
    clean_env.setenv(entry.env, entry.example)
    settings = load_settings()
    want = yaml.safe_load(entry.example)
    got = _at(settings, entry.key)
    assert got == want or str(got) == entry.example


def test_the_yaml_example_is_a_valid_settings_file_with_every_example(clean_env, tmp_path):
    text = ref.render()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "sloboard.yaml"
    path.write_text(block)
    settings = load_settings(path)
    for entry in ref.entries():
        if entry.key != "prometheus_url":
            want = yaml.safe_load(entry.example)
            got = _at(settings, entry.key)
            assert got == want or str(got) == entry.example, entry.key


def test_check_fails_on_a_stale_file(tmp_path, monkeypatch):
    stale = tmp_path / "configuration.md"
    stale.write_text(ref.render().replace("SLOBOARD_COLLECT__STEP_S", "SLOBOARD_STEP"))
    monkeypatch.setattr(ref, "DOC_PATH", stale)
    assert ref.main(["--check"]) == 1
    monkeypatch.setattr(ref, "DOC_PATH", tmp_path / "fresh.md")
    assert ref.main(["--write"]) == 0 and ref.main(["--check"]) == 0
