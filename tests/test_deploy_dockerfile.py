"""The Dockerfile, read by BuildKit's own parser (the `dockerfile` package wraps it):
two stages, a slim runtime with WeasyPrint's libraries, a non-root user, the data
volume, a health check on /healthz and `sloboard run` on the port it exposes."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from sloboard.cli import cli
from tests.missing import missing

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def stages() -> dict[str, list]:
    try:
        import dockerfile
    except ImportError:
        missing("the dockerfile package is not installed: pip install -e '.[test]'")
    out: dict[str, list] = {}
    current = None
    for command in dockerfile.parse_file(str(REPO / "Dockerfile")):
        if command.cmd == "FROM":
            assert command.value[1].upper() == "AS", f"line {command.start_line}: every stage is named"
            current = command.value[2]
            out[current] = [command]
        else:
            assert current is not None, f"line {command.start_line}: {command.cmd} before FROM"
            out[current].append(command)
    return out


def _one(stage: list, cmd: str):
    found = [c for c in stage if c.cmd == cmd]
    assert len(found) == 1, f"{cmd} appears {len(found)} times in the stage"
    return found[0]


def test_a_build_stage_and_a_slim_runtime_on_the_same_base(stages):
    assert list(stages) == ["build", "runtime"]
    base = {name: stage[0].value[0] for name, stage in stages.items()}
    assert base["build"] == base["runtime"] and base["runtime"].endswith("-slim-bookworm")
    copies = [c for c in stages["runtime"] if c.cmd == "COPY" and "--from=build" in c.flags]
    assert [c.value for c in copies] == [("/opt/sloboard", "/opt/sloboard")]
    runtime_runs = " ".join(c.value[0] for c in stages["runtime"] if c.cmd == "RUN")
    assert "pip install" not in runtime_runs and "gcc" not in runtime_runs and "build-essential" not in runtime_runs
    assert "rm -rf /var/lib/apt/lists/*" in runtime_runs and "--no-install-recommends" in runtime_runs


def test_the_runtime_has_weasyprints_libraries(stages):
    runs = " ".join(c.value[0] for c in stages["runtime"] if c.cmd == "RUN")
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-dejavu-core"):
        assert package in shlex.split(runs), package


def test_it_runs_as_a_numeric_non_root_user_created_in_the_image(stages):
    user = _one(stages["runtime"], "USER").value[0]
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0 and gid.isdigit() and int(gid) != 0
    runs = " ".join(c.value[0] for c in stages["runtime"] if c.cmd == "RUN")
    assert f"--uid {uid}" in runs and f"--gid {gid}" in runs
    last = stages["runtime"][-1]
    assert last.cmd == "CMD"
    position = {c.cmd: i for i, c in enumerate(stages["runtime"])}
    assert position["USER"] > max(i for i, c in enumerate(stages["runtime"]) if c.cmd == "RUN")


def test_data_lives_in_the_volume_the_settings_point_at(stages):
    assert _one(stages["runtime"], "VOLUME").value == ("/var/lib/sloboard",)
    env = [c.value for c in stages["runtime"] if c.cmd == "ENV"]
    pairs = {v[i]: v[i + 1] for v in env for i in range(0, len(v), 2)}
    assert pairs["SLOBOARD_DATA_DIR"] == "/var/lib/sloboard"
    assert pairs["SLOBOARD_SPECS_DIR"] == "/etc/sloboard/slo_specs"
    copied = [c.value for c in stages["runtime"] if c.cmd == "COPY" and not c.flags]
    assert ("slo_specs", "/etc/sloboard/slo_specs") in copied


def test_cmd_is_sloboard_run_on_the_exposed_port_and_the_health_check_asks_it(stages):
    runtime = stages["runtime"]
    command = _one(runtime, "CMD")
    assert command.json, "CMD in exec form, so signals reach sloboard"
    args = list(command.value)
    assert args[:2] == ["sloboard", "run"]
    run_options = {opt for p in cli.commands["run"].params for opt in p.opts}
    assert {a for a in args[2:] if a.startswith("--")} <= run_options
    port = args[args.index("--port") + 1]
    assert _one(runtime, "EXPOSE").value == (port,)
    health = _one(runtime, "HEALTHCHECK")
    assert health.value[0] == "CMD" and f"http://127.0.0.1:{port}/healthz" in " ".join(health.value)
    assert any(f.startswith("--interval=") for f in health.flags)


def test_every_copied_path_exists_and_is_not_ignored(stages):
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    for stage in stages.values():
        for command in stage:
            if command.cmd == "COPY" and not command.flags:
                for source in command.value[:-1]:
                    assert (REPO / source).exists(), source
                    assert source not in ignored, f"{source} is copied but .dockerignore leaves it out"
