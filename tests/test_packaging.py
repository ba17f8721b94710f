"""The wheel holds every file the packages read at run time, not only their modules.

``pip install .`` (the Dockerfile's install) copies what the wheel holds. Templates
missing from ``[tool.setuptools.package-data]`` once left an installed sloboard unable
to build any report, while every test, run from the source tree, passed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("sloboard", "collectors", "dashboard", "reports")
NOT_SHIPPED = {"README.md"}  # notes for the code's readers


def _source_files() -> set[str]:
    return {
        path.relative_to(REPO).as_posix()
        for package in PACKAGES
        for path in (REPO / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.name not in NOT_SHIPPED
    }


def test_the_wheel_holds_every_module_template_asset_and_migration(tmp_path):
    # Built from a copy: setuptools reuses a source tree's build/ folder, which may hold
    # files of an earlier build that today's configuration would leave out.
    source = tmp_path / "source"
    for package in PACKAGES:
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("sloboard-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(_source_files() - shipped)
    assert missing == [], f"add them to [tool.setuptools.package-data] in pyproject.toml: {missing}"
