"""`sloboard init`: a starter that validates as written, and never overwrites a file."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

from sloboard.settings import load_settings

SLOBOARD = [sys.executable, "-m", "sloboard"]


def run(args, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLOBOARD_")}
    return subprocess.run(SLOBOARD + args, capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def test_init_writes_a_commented_starter_that_validates_and_loads(tmp_path):
    made = run(["init", "shop", "--service", "shop-api", "--team", "storefront",
                "--prometheus-url", "https://mimir.example.internal/prometheus"], tmp_path)
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "shop"
    spec = folder / "slo_specs" / "shop-api.yaml"
    assert made.stdout.splitlines() == ["wrote shop/sloboard.yaml", "wrote shop/slo_specs/shop-api.yaml"]
    for path in (folder / "sloboard.yaml", spec):
        assert sum(line.lstrip().startswith("#") or " # " in line for line in path.read_text().splitlines()) >= 5
    checked = run(["--config", "sloboard.yaml", "validate"], folder)
    assert checked.returncode == 0, checked.stderr
    assert "valid: shop-api/availability" in checked.stdout
    assert "0 error(s), 0 warning(s)" in checked.stdout
    settings = load_settings(folder / "sloboard.yaml")
    assert settings.prometheus.url == "https://mimir.example.internal/prometheus"
    document = yaml.safe_load(spec.read_text())
    assert document["metadata"]["annotations"]["sloboard.dev/team"] == "storefront"
    assert 'service="shop-api"' in document["spec"]["indicator"]["spec"]["ratioMetric"]["total"]["metricSource"]["spec"]["query"]


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path):
    (tmp_path / "sloboard.yaml").write_text("timezone: Europe/Berlin\n")
    refused = run(["init"], tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == "error: not overwriting sloboard.yaml; remove it or choose another folder"
    assert (tmp_path / "sloboard.yaml").read_text() == "timezone: Europe/Berlin\n"
    assert not (tmp_path / "slo_specs").exists()
    (tmp_path / "sloboard.yaml").unlink()
    assert run(["init"], tmp_path).returncode == 0
    again = run(["init"], tmp_path)
    assert again.returncode == 2 and "sloboard.yaml, slo_specs/my-service.yaml" in again.stderr


def test_init_refuses_a_name_that_labels_and_ids_cannot_carry(tmp_path):
    refused = run(["init", "--service", "Shop API"], tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("error: --service 'Shop API': use lowercase letters, digits and dashes, "
                                      "like checkout-api")
    assert list(tmp_path.iterdir()) == []
