"""Configuration: `[tool.fastapi-fix]` in the nearest pyproject.toml, overridden by the CLI.

As in ruff, every pyproject.toml on the way up is read until one has the table: one that cannot
be parsed is an error (skipping it would silently use a parent folder's configuration), and so
is a key of the wrong type or an unknown key, each naming the file and the key."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(Exception):
    """A configuration problem the user must fix: one line naming the file and the key."""


class SelectorError(ValueError):
    """An unknown rule selector given on the command line: a usage error naming the flag."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("FF",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # `exclude` and `extend-exclude`, and the CLI's
    force_exclude: bool = False  # excludes apply to paths given on the command line too
    # (glob, codes): findings of those codes are dropped in files the glob matches
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
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
    # the folder path globs (exclude, per-file-ignores) are relative to, as in ruff: a found
    # configuration's own; None: the current one (no configuration, or one given by --config)
    base: str | None = field(default=None, compare=False)
    # (key, selectors) as the configuration gives them, to name the key of an unknown one
    config_selectors: tuple[tuple[str, tuple[str, ...]], ...] = field(default=(), compare=False)

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def cache_key(self) -> str:
        """What the cache must be keyed on: every option that changes results."""
        key = [(f.name, getattr(self, f.name)) for f in fields(self) if f.compare]
        if self.per_file_ignores or self.exclude:  # their globs are relative to this folder
            key.append(("base", self.base))
        return repr(key)

    def check_selectors(self) -> None:
        """Raise for the first unknown rule selector, naming where it is written: a
        ConfigError names the configuration file and key, a SelectorError the command-line
        flag. Imports every rule."""
        from fastapi_fixer.registry import unknown_selectors

        from_config = dict(self.config_selectors)
        for key, selectors in self.config_selectors:
            unknown = unknown_selectors(selectors)
            if unknown:
                raise ConfigError(
                    f"{self.config_path}: unknown rule selector: {', '.join(unknown)} in `{key}`"
                )
        for key in ("select", "ignore", "extend-select"):
            selectors = getattr(self, key.replace("-", "_"))
            if selectors == from_config.get(key, _DEFAULTS.get(key)):
                continue  # the configuration's (checked above) or the default
            unknown = unknown_selectors(selectors)
            if unknown:
                raise SelectorError(f"unknown rule selector: {', '.join(unknown)} in `--{key}`")


_DEFAULTS = {"select": Settings.select, "ignore": Settings.ignore, "extend-select": ()}
_SELECTOR_KEYS = {"select", "ignore", "extend-select"}
_LIST_KEYS = {
    "select",
    "ignore",
    "extend-select",
    "exclude",
    "extend-exclude",
    "extra-blocking-calls",
    "extra-sync-sdks",
    "extra-cpu-bound-calls",
    "resource-factories",
    "verify-apps",
}
_BOOL_KEYS = {"unsafe-fixes", "verify", "force-exclude"}
_PER_FILE_KEYS = ("per-file-ignores", "extend-per-file-ignores")
_STRING_KEYS = {"verify-tests"}
_CHOICE_KEYS = {"response-model-style": ("response_model", "annotation")}


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a [tool.fastapi-fix] table;
    a pyproject.toml on the way that cannot be parsed is a ConfigError (as in ruff)."""
    try:
        start = start.resolve()
    except (OSError, RuntimeError):  # a symlink loop: discovery reports the path itself
        start = Path(os.path.abspath(start))
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        path = candidate / "pyproject.toml"
        if path.is_file() and _tool_table(_read_toml(path), path) is not None:
            return path
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {' '.join(str(exc).split())}") from exc


def _tool_table(data: dict[str, Any], path: Path) -> dict[str, Any] | None:
    """``[tool.fastapi-fix]`` of a parsed file (None: it has none)."""
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: `tool` must be a table")
    table = tool.get("fastapi-fix")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: `tool.fastapi-fix` must be a table")
    return table


def load_settings(config: Path | None, start: Path) -> Settings:
    path = config if config is not None else find_pyproject(start)
    if path is None:
        return Settings()
    data = _read_toml(path)
    table = _tool_table(data, path)
    if table is None:  # a fastapi-fix.toml holds the options at its top level
        table = data if path.name != "pyproject.toml" else {}
    found = _settings_from_table(table, path)
    if config is None:
        return replace(found, base=os.path.dirname(os.path.abspath(path)))
    return found


def _settings_from_table(table: dict[str, Any], path: Path) -> Settings:
    values: dict[str, Any] = {}
    selectors: list[tuple[str, tuple[str, ...]]] = []
    extend_exclude: tuple[str, ...] = ()
    per_file: list[tuple[str, tuple[str, ...]]] = []
    for key, value in table.items():
        attr = key.replace("-", "_")
        if key in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{path}: `{key}` must be a list of strings")
            if key in _SELECTOR_KEYS:
                selectors.append((key, tuple(value)))
            if key == "extend-exclude":
                extend_exclude = tuple(value)
            else:
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
        elif key in _PER_FILE_KEYS:
            entries = _per_file_ignores(value, key, path)
            per_file.extend(entries)
            selectors.append((key, tuple(code for _, codes in entries for code in codes)))
        else:
            raise ConfigError(f"{path}: unknown option `{key}` in [tool.fastapi-fix]")
    if extend_exclude:
        values["exclude"] = (*values.get("exclude", ()), *extend_exclude)
    return Settings(
        config_path=str(path),
        per_file_ignores=tuple(per_file),
        config_selectors=tuple(selectors),
        **values,
    )


def _per_file_ignores(value: Any, key: str, path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """``{"tests/*" = ["FF8"]}`` as (glob, codes) pairs, codes upper-cased."""
    if not isinstance(value, dict):
        raise ConfigError(f'{path}: `{key}` must be a table of globs: {{ "tests/*" = ["FF8"] }}')
    entries = []
    for glob, codes in value.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f'{path}: `{key}."{glob}"` must be a list of rule codes')
        entries.append((glob, tuple(c.strip().upper() for c in codes if c.strip())))
    return entries
