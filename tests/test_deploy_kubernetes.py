"""deploy/kubernetes/: rendered by kustomize (`kubectl kustomize`), every object checked
against the Kubernetes schemas offline (kubernetes-validate, strict: unknown fields fail),
the PrometheusRule against `sloboard rules` and `promtool check rules`, and the parts
sloboard itself reads (settings in the Secret, specs in the ConfigMap) with sloboard."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sloboard import settings_reference
from sloboard.settings import load_settings
from sloboard.specs import load_specs
from tests.cli_commands import parse_sloboard
from tests.integration import prom
from tests.missing import missing

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "deploy" / "kubernetes"
KUBERNETES_VERSIONS = ("1.29.0", "1.33.0")  # the oldest still widely run, and a recent one


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        missing("kubectl (with its built-in kustomize) must be on PATH to render deploy/kubernetes")
    done = subprocess.run([kubectl, "kustomize", str(BASE)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def _by_kind(objects, kind: str, name: str | None = None) -> dict:
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, f"{kind} {name}: {len(found)} found"
    return found[0]


def _pod(objects, name: str) -> dict:
    return _by_kind(objects, "Deployment", name)["spec"]["template"]["spec"]


def test_every_object_is_valid_against_the_kubernetes_schemas(objects):
    try:
        import kubernetes_validate
    except ImportError:
        missing("kubernetes-validate is not installed: pip install -e '.[test]'")
    kinds = sorted(o["kind"] for o in objects)
    assert kinds == sorted(["ServiceAccount", "ConfigMap", "Secret", "Service", "PersistentVolumeClaim",
                            "Deployment", "Deployment", "PodDisruptionBudget", "PrometheusRule"])
    for version in KUBERNETES_VERSIONS:
        for obj in objects:
            if obj["kind"] == "PrometheusRule":
                continue  # a custom resource: checked against sloboard rules and promtool below
            kubernetes_validate.validate(obj, version, strict=True)  # raises with the field's path


def test_a_wrong_field_would_be_caught(objects):
    import kubernetes_validate

    broken = yaml.safe_load(yaml.safe_dump(_by_kind(objects, "Deployment", "sloboard-dashboard")))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["pth"] = "/healthz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def test_dashboard_replicas_and_one_scheduler(objects):
    dashboard = _by_kind(objects, "Deployment", "sloboard-dashboard")["spec"]
    scheduler = _by_kind(objects, "Deployment", "sloboard-scheduler")["spec"]
    assert dashboard["replicas"] > 1
    assert scheduler["replicas"] == 1 and scheduler["strategy"]["type"] == "Recreate"
    assert parse_sloboard(dashboard["template"]["spec"]["containers"][0]["args"]).name == "serve"
    assert parse_sloboard(scheduler["template"]["spec"]["containers"][0]["args"]).name == "run"
    assert parse_sloboard(scheduler["template"]["spec"]["initContainers"][0]["args"]).name == "upgrade"
    budget = _by_kind(objects, "PodDisruptionBudget")["spec"]
    assert budget["minAvailable"] < dashboard["replicas"]


def test_probes_resources_and_security_on_every_container(objects):
    for name in ("sloboard-dashboard", "sloboard-scheduler"):
        pod = _pod(objects, name)
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's USER
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        for container in pod["containers"] + pod.get("initContainers", []):
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False and security["readOnlyRootFilesystem"] is True
            assert security["capabilities"]["drop"] == ["ALL"]
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert "memory" in container["resources"]["limits"]
            assert container["image"] == "sloboard:0.1.0"
        main = pod["containers"][0]
        assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
        port = main["args"][main["args"].index("--port") + 1]
        assert [p["containerPort"] for p in main["ports"]] == [int(port)]


def test_the_service_reaches_only_the_dashboard(objects):
    service = _by_kind(objects, "Service")["spec"]
    labels = lambda name: _by_kind(objects, "Deployment", name)["spec"]["template"]["metadata"]["labels"]  # noqa: E731
    assert service["selector"].items() <= labels("sloboard-dashboard").items()
    assert not service["selector"].items() <= labels("sloboard-scheduler").items()


def test_secrets_are_mounted_files_that_sloboard_reads_as_settings(objects, tmp_path, monkeypatch):
    secret = _by_kind(objects, "Secret", "sloboard-secrets")["stringData"]
    known = {e.env for e in settings_reference.entries()}
    for path in secret:
        (tmp_path / path).write_text(secret[path] + "\n")
    for name in ("sloboard-dashboard", "sloboard-scheduler"):
        pod = _pod(objects, name)
        volume = next(v for v in pod["volumes"] if "secret" in v)
        assert volume["secret"]["secretName"] == "sloboard-secrets"
        for container in pod["containers"] + pod.get("initContainers", []):
            mount = next(m for m in container["volumeMounts"] if m["name"] == volume["name"])
            assert mount["readOnly"] is True
            env = {e["name"]: e["value"] for e in container["env"]}  # no valueFrom: secrets stay files
            files = {k: v for k, v in env.items() if k.endswith("_FILE") and k[:-5] in known}
            assert set(env) - set(files) <= known, set(env) - set(files) - known
            assert {v.rsplit("/", 1)[0] for v in files.values()} == {mount["mountPath"]}
            assert {v.rsplit("/", 1)[1] for v in files.values()} <= set(secret)
            # What sloboard makes of this container's environment, with the Secret's files.
            for variable in list(os.environ):
                if variable.startswith("SLOBOARD_"):
                    monkeypatch.delenv(variable)
            for variable, value in env.items():
                monkeypatch.setenv(variable, value.replace(mount["mountPath"], str(tmp_path)) if variable in files
                                   else value)
            settings = load_settings()
            assert settings.db_url == secret["database-url"]
            if "SLOBOARD_REPORTS__SMTP__PASSWORD_FILE" in files:
                assert settings.reports.smtp.password.get_secret_value() == secret["smtp-password"]
                assert settings.reports.smtp.host and settings.reports.recipients["weekly"]


def test_the_specs_configmap_holds_specs_that_validate(objects, tmp_path):
    config_map = _by_kind(objects, "ConfigMap")
    assert config_map["metadata"]["name"].startswith("sloboard-specs-")  # hashed: new specs roll the pods
    for name in ("sloboard-dashboard", "sloboard-scheduler"):
        volume = next(v for v in _pod(objects, name)["volumes"] if "configMap" in v)
        assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    for key, text in config_map["data"].items():
        (tmp_path / key).write_text(text)
    result = load_specs([tmp_path])
    assert [p for p in result.problems if p.severity == "error"] == []
    assert len(result.slos) == len(config_map["data"]) >= 1


def test_the_prometheus_rule_is_what_sloboard_rules_generates_and_promtool_accepts(objects, tmp_path):
    rule = _by_kind(objects, "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    env = {e["name"]: e["value"] for e in _pod(objects, "sloboard-dashboard")["containers"][0]["env"]}
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SLOBOARD_")}
    environment.update(SLOBOARD_SPECS_DIR=str(BASE / "slo_specs"),
                       SLOBOARD_DASHBOARD__BASE_URL=env["SLOBOARD_DASHBOARD__BASE_URL"])
    generated = subprocess.run([sys.executable, "-m", "sloboard", "rules", "--format", "prometheus-operator"],
                               capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=120)
    assert generated.returncode == 0, generated.stderr
    assert (BASE / "prometheusrule.yaml").read_text() == generated.stdout, (
        "deploy/kubernetes/prometheusrule.yaml is stale: regenerate it as docs/operations.md says")
    binaries = prom.find_binaries()
    if binaries is None:
        missing("promtool must be on PATH (Debian: apt-get install prometheus)")
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    checked = subprocess.run([binaries.promtool, "check", "rules", str(rules_file)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
