"""What a test does when something it needs is not installed: in CI (``CI=true``) every
test must run, so it fails; on a developer's machine it is skipped with the reason."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(message: str) -> NoReturn:
    """Fail in CI, skip elsewhere; ``message`` says what is missing and how to install it."""
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)
