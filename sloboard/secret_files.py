"""Settings read from files: ``SLOBOARD_<NAME>_FILE=/run/secrets/x`` sets ``<NAME>`` to the
file's text, as Docker and Kubernetes mount secrets, so no secret sits in the environment
(which ``/proc/<pid>/environ``, ``docker inspect`` and crash reports show).

Any setting may come from a file, nested ones with ``__`` as in the environment
(``SLOBOARD_REPORTS__SMTP__PASSWORD_FILE``, ``SLOBOARD_API_TOKENS__CI_FILE``). A variable
that names a setting of its own (``SLOBOARD_QUERIES_FILE`` is ``queries_file``) keeps that
meaning. One trailing newline is dropped: ``echo secret > file`` writes one.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any, Mapping

from pydantic import BaseModel
from pydantic_settings import EnvSettingsSource, PydanticBaseSettingsSource

from .errors import ConfigError

PREFIX, SUFFIX = "SLOBOARD_", "_FILE"


class SecretFilesSource(PydanticBaseSettingsSource):
    """A settings source of the ``*_FILE`` variables in ``environ``."""

    def __init__(self, settings_cls, environ: Mapping[str, str]):
        super().__init__(settings_cls)
        self._environ = environ

    def get_field_value(self, field, field_name):  # unused: __call__ builds the whole mapping
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return values_from_files(self.settings_cls, self._environ)


class EnvWithoutSecretFiles(EnvSettingsSource):
    """The environment source, less the ``*_FILE`` variables read above (which it would
    otherwise take for nested keys such as ``reports.smtp.password_file``)."""

    def _load_env_vars(self):
        return {key: value for key, value in super()._load_env_vars().items()
                if _file_setting(self.settings_cls, key) is None}


def _file_setting(model: type[BaseModel], key: str) -> list[str] | None:
    """The setting path a ``SLOBOARD_<NAME>_FILE`` variable reads from a file, else None."""
    key_upper = key.upper()
    if not (key_upper.startswith(PREFIX) and key_upper.endswith(SUFFIX)):
        return None
    parts = key_upper[len(PREFIX):-len(SUFFIX)].lower().split("__")
    if _names_a_setting(model, parts[:-1] + [parts[-1] + "_file"], any_key=False):
        return None  # a declared setting whose own name ends in _file
    return parts


def values_from_files(model: type[BaseModel], environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    upper = {key.upper(): key for key in environ}
    for key_upper, key in sorted(upper.items()):
        parts = _file_setting(model, key_upper)
        if parts is None:
            continue
        if not _names_a_setting(model, parts):
            raise ConfigError(f"{key}: there is no setting {'.'.join(parts)} to read from a file")
        if key_upper[:-len(SUFFIX)] in upper:
            raise ConfigError(f"{key} and {upper[key_upper[:-len(SUFFIX)]]} are both set; set one of them")
        try:
            text = Path(environ[key]).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{key}: cannot read {environ[key]}: {exc.strerror}") from exc
        text = text[:-1] if text.endswith("\n") else text
        target = values
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = text.rstrip("\r") if text.endswith("\r") else text
    return values


def _names_a_setting(model: type[BaseModel], parts: list[str], *, any_key: bool = True) -> bool:
    """True when ``parts`` is a path of fields (a mapping field takes any one key if ``any_key``)."""
    field = model.model_fields.get(parts[0])
    if field is None:
        return False
    rest = parts[1:]
    if not rest:
        return True
    annotation = field.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _names_a_setting(annotation, rest, any_key=any_key)
    return any_key and typing.get_origin(annotation) is dict and len(rest) == 1
