"""Configuration: `[tool.fastapi-fix]` in the nearest pyproject.toml, overridden by the CLI."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(Exception):
    """A configuration problem the user must fix; reported as a usage error."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("FF",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    extra_blocking_calls: tuple[str, ...] = ()
    extra_sync_sdks: tuple[str, ...] = ()
    extra_cpu_bound_calls: tuple[str, ...] = ()
    resource_factories: tuple[str, ...] = ()
    response_model_style: str = "response_model"
    # `--verify` (apply/verify.py): what it loads and runs; none of it changes findings or fixes
    verify: bool = field(default=False, compare=False)
    verify_apps: tuple[str, ...] = field(default=(), compare=False)
    verify_tests: str | None = field(default=None, compare=False)
    config_path: str | None = field(default=None, compare=False)

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def cache_key(self) -> str:
        """What the cache must be keyed on: every option that changes results."""
        return repr([(f.name, getattr(self, f.name)) for f in fields(self) if f.compare])


_LIST_KEYS = {
    "select",
    "ignore",
    "extend-select",
    "exclude",
    "extra-blocking-calls",
    "extra-sync-sdks",
    "extra-cpu-bound-calls",
    "resource-factories",
    "verify-apps",
}
_BOOL_KEYS = {"unsafe-fixes", "verify"}
_STRING_KEYS = {"verify-tests"}
_CHOICE_KEYS = {"response-model-style": ("response_model", "annotation")}


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a [tool.fastapi-fix] table."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                continue
            if "fastapi-fix" in data.get("tool", {}):
                return path
    return None


def load_settings(config: Path | None, start: Path) -> Settings:
    path = config if config is not None else find_pyproject(start)
    if path is None:
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    table = data.get("tool", {}).get("fastapi-fix", data if path.name != "pyproject.toml" else {})
    return _settings_from_table(table, path)


def _settings_from_table(table: dict[str, Any], path: Path) -> Settings:
    values: dict[str, Any] = {}
    for key, value in table.items():
        attr = key.replace("-", "_")
        if key in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{path}: `{key}` must be a list of strings")
            values[attr] = tuple(value)
        elif key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: `{key}` must be true or false")
            values[attr] = value
        elif key in _STRING_KEYS:
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{path}: `{key}` must be a non-empty string")
            values[attr] = value
        elif key in _CHOICE_KEYS:
            if value not in _CHOICE_KEYS[key]:
                choices = ", ".join(_CHOICE_KEYS[key])
                raise ConfigError(f"{path}: `{key}` must be one of {choices}")
            values[attr] = value
        else:
            raise ConfigError(f"{path}: unknown option `{key}` in [tool.fastapi-fix]")
    return Settings(config_path=str(path), **values)
