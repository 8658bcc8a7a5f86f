"""How the project lays out its code, read from its own configuration: line length, formatter,
quote style and isort settings (ruff's `ruff.toml`/`.ruff.toml`/`[tool.ruff]`, `[tool.black]`,
`[tool.isort]`, `.isort.cfg`, `setup.cfg`), so the code a fix writes looks like the project's."""

from __future__ import annotations

import configparser
import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_LINE_LENGTH = 88


@dataclass(frozen=True)
class ImportStyle:
    """isort's options that decide where an import goes (ruff's `lint.isort` names)."""

    known_first_party: tuple[str, ...] = ()
    known_third_party: tuple[str, ...] = ()
    known_local_folder: tuple[str, ...] = ()
    force_single_line: bool = False
    combine_as_imports: bool = False
    case_sensitive: bool = False
    force_sort_within_sections: bool = False
    order_by_type: bool = True


@dataclass(frozen=True)
class ProjectStyle:
    root: str  # the folder of the configuration that decided (or of the file, when none)
    line_length: int = DEFAULT_LINE_LENGTH
    formatter: str | None = None  # "ruff" or "black" when the project uses one
    quote_style: str = "double"  # ruff format's `quote-style`; "preserve" without a formatter
    magic_trailing_comma: bool = True
    imports: ImportStyle = field(default_factory=ImportStyle)
    sources: tuple[str, ...] = ()  # the configuration files read


def style_for(path: str) -> ProjectStyle:
    """The style of the project the file at ``path`` belongs to."""
    return _style_for_directory(os.path.dirname(os.path.abspath(path)))


@functools.lru_cache(maxsize=256)
def _style_for_directory(directory: str) -> ProjectStyle:
    ruff: dict[str, Any] | None = None
    black: dict[str, Any] | None = None
    isort: dict[str, Any] | None = None
    root: str | None = None
    sources: list[str] = []
    uses_formatter: str | None = None
    for folder in (Path(directory), *Path(directory).parents):
        for name in ("ruff.toml", ".ruff.toml"):
            if ruff is None and (folder / name).is_file():
                ruff = _toml(folder / name)
                sources.append(str(folder / name))
                root = root or str(folder)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            tool = _toml(pyproject).get("tool", {})
            if ruff is None and isinstance(tool.get("ruff"), dict):
                ruff = tool["ruff"]
                sources.append(str(pyproject))
                root = root or str(folder)
            if black is None and isinstance(tool.get("black"), dict):
                black = tool["black"]
                sources.append(str(pyproject))
                root = root or str(folder)
            if isort is None and isinstance(tool.get("isort"), dict):
                isort = tool["isort"]
            root = root or str(folder)
        if isort is None:
            isort = _isort_ini(folder)
        precommit = folder / ".pre-commit-config.yaml"
        if uses_formatter is None and precommit.is_file():
            uses_formatter = _formatter_in_precommit(precommit)
        if (folder / ".git").exists() or (root is not None and pyproject.is_file()):
            break
    return _assemble(root or directory, ruff, black, isort, uses_formatter, tuple(sources))


def _assemble(
    root: str,
    ruff: dict[str, Any] | None,
    black: dict[str, Any] | None,
    isort: dict[str, Any] | None,
    precommit_formatter: str | None,
    sources: tuple[str, ...],
) -> ProjectStyle:
    ruff = ruff or {}
    ruff_format = ruff.get("format", {}) if isinstance(ruff.get("format"), dict) else {}
    line_length = ruff.get("line-length") or (black or {}).get("line-length")
    if not isinstance(line_length, int) and isort:
        line_length = isort.get("line_length") or isort.get("line-length")
    if not isinstance(line_length, int):
        line_length = DEFAULT_LINE_LENGTH
    formatter = precommit_formatter
    if formatter is None and black is not None:
        formatter = "black"
    if formatter is None and "format" in ruff:
        formatter = "ruff"
    if formatter == "black" and black is not None:
        quote = "preserve" if black.get("skip-string-normalization") else "double"
        magic = not black.get("skip-magic-trailing-comma", False)
    elif formatter is not None:
        quote = str(ruff_format.get("quote-style", "double"))
        magic = not ruff_format.get("skip-magic-trailing-comma", False)
    else:
        quote, magic = "preserve", True
    return ProjectStyle(
        root=root,
        line_length=line_length,
        formatter=formatter,
        quote_style=quote,
        magic_trailing_comma=magic,
        imports=_import_style(ruff, isort),
        sources=sources,
    )


def _import_style(ruff: dict[str, Any], isort: dict[str, Any] | None) -> ImportStyle:
    lint = ruff.get("lint", {}) if isinstance(ruff.get("lint"), dict) else {}
    table = lint.get("isort") or ruff.get("isort")
    if isinstance(table, dict):
        return ImportStyle(
            known_first_party=_names(table.get("known-first-party")),
            known_third_party=_names(table.get("known-third-party")),
            known_local_folder=_names(table.get("known-local-folder")),
            force_single_line=bool(table.get("force-single-line", False)),
            combine_as_imports=bool(table.get("combine-as-imports", False)),
            case_sensitive=bool(table.get("case-sensitive", False)),
            force_sort_within_sections=bool(table.get("force-sort-within-sections", False)),
            order_by_type=bool(table.get("order-by-type", True)),
        )
    if isort:
        profile = str(isort.get("profile", ""))
        return ImportStyle(
            known_first_party=_names(isort.get("known_first_party")),
            known_third_party=_names(isort.get("known_third_party")),
            known_local_folder=_names(isort.get("known_local_folder")),
            force_single_line=_flag(isort.get("force_single_line"), profile == "google"),
            combine_as_imports=_flag(isort.get("combine_as_imports"), False),
            case_sensitive=_flag(isort.get("case_sensitive"), False),
            force_sort_within_sections=_flag(
                isort.get("force_sort_within_sections"), profile == "google"
            ),
            order_by_type=_flag(isort.get("order_by_type"), True),
        )
    return ImportStyle()


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.replace("\n", ",").split(",")]
    if not isinstance(value, list):
        return ()
    return tuple(str(item) for item in value if str(item))


def _flag(value: Any, default: bool) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return default if value is None else bool(value)


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}  # a project's broken tool configuration is not ours to report


def _isort_ini(folder: Path) -> dict[str, Any] | None:
    for name, section in ((".isort.cfg", "settings"), ("setup.cfg", "isort"), ("tox.ini", "isort")):
        path = folder / name
        if not path.is_file():
            continue
        parser = configparser.ConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError, OSError):
            continue
        if parser.has_section(section):
            return dict(parser.items(section))
    return None


def _formatter_in_precommit(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if "id: ruff-format" in text:
        return "ruff"
    if "id: black" in text:
        return "black"
    return None
