"""How the project lays out its code, read from its own configuration: line length, formatter,
quote style and isort settings (ruff's `ruff.toml`/`.ruff.toml`/`[tool.ruff]`, `[tool.black]`,
`[tool.isort]`, `.isort.cfg`, `setup.cfg`), so the code a fix writes looks like the project's."""

from __future__ import annotations

import configparser
import functools
import os
import re
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
    # The file ruff itself would use for this project (`.ruff.toml`, `ruff.toml` or a
    # `pyproject.toml` with `[tool.ruff]`), to hand to `ruff --config`; its `extend` chain is
    # merged into the values above.
    ruff_config: str | None = None
    target_version: str | None = None  # "py310": ruff's or black's setting, or requires-python


def style_for(path: str) -> ProjectStyle:
    """The style of the project the file at ``path`` belongs to."""
    return _style_for_directory(os.path.dirname(os.path.abspath(path)))


@functools.lru_cache(maxsize=256)
def _style_for_directory(directory: str) -> ProjectStyle:
    """Walk up from ``directory`` (to the repository's root, the folder holding `.git`) the way
    the tools do: ruff uses the nearest `.ruff.toml`, `ruff.toml` or `pyproject.toml` with a
    `[tool.ruff]` table; black reads the nearest `pyproject.toml` only; isort the nearest of its
    files; pre-commit's configuration sits at the repository's root."""
    ruff: dict[str, Any] | None = None
    ruff_file: str | None = None
    black: dict[str, Any] | None = None
    isort: dict[str, Any] | None = None
    nearest_pyproject: dict[str, Any] | None = None
    pyproject_root: str | None = None
    sources: list[str] = []
    uses_formatter: str | None = None
    for folder in (Path(directory), *Path(directory).parents):
        if ruff is None:
            for name in (".ruff.toml", "ruff.toml"):
                if (folder / name).is_file():
                    ruff_file = str(folder / name)
                    ruff = _ruff_table(folder / name, _toml(folder / name))
                    sources.append(ruff_file)
                    break
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            data = _toml(pyproject)
            tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
            if ruff is None and isinstance(tool.get("ruff"), dict):
                ruff_file = str(pyproject)
                ruff = _ruff_table(pyproject, data)
                sources.append(ruff_file)
            if nearest_pyproject is None:  # black reads the nearest pyproject.toml only
                nearest_pyproject, pyproject_root = data, str(folder)
                if isinstance(tool.get("black"), dict):
                    black = tool["black"]
                    sources.append(str(pyproject))
            if isort is None and isinstance(tool.get("isort"), dict):
                isort = tool["isort"]
        if isort is None:
            isort = _isort_ini(folder)
        precommit = folder / ".pre-commit-config.yaml"
        if uses_formatter is None and precommit.is_file():
            uses_formatter = _formatter_in_precommit(precommit)
        if (folder / ".git").exists():
            break
    root = os.path.dirname(ruff_file) if ruff_file else pyproject_root or directory
    return _assemble(
        root,
        ruff,
        black,
        isort,
        uses_formatter,
        tuple(dict.fromkeys(sources)),
        ruff_file,
        _requires_python(nearest_pyproject),
    )


def _ruff_table(path: Path, data: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """Ruff's settings in the file at ``path`` (its `[tool.ruff]` table for a pyproject.toml),
    merged over those of the file it `extend`s, as ruff does (the extending file wins)."""
    if path.name == "pyproject.toml":
        tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
        data = tool.get("ruff", {}) if isinstance(tool.get("ruff"), dict) else {}
    extend = data.get("extend")
    if not isinstance(extend, str) or depth >= 8:
        return data
    base_path = Path(os.path.expanduser(extend))
    if not base_path.is_absolute():
        base_path = path.parent / base_path
    if not base_path.is_file():
        return data
    base = _ruff_table(base_path, _toml(base_path), depth + 1)
    return _merged(base, data)


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _requires_python(pyproject: dict[str, Any] | None) -> str | None:
    """`py310` from `[project] requires-python = ">=3.10"` (its lowest version)."""
    project = (pyproject or {}).get("project")
    spec = project.get("requires-python") if isinstance(project, dict) else None
    if not isinstance(spec, str):
        return None
    match = re.search(r"(?:>=|~=|==|>)\s*3\.(\d+)", spec)
    return f"py3{match.group(1)}" if match else None


def _assemble(
    root: str,
    ruff: dict[str, Any] | None,
    black: dict[str, Any] | None,
    isort: dict[str, Any] | None,
    precommit_formatter: str | None,
    sources: tuple[str, ...],
    ruff_file: str | None = None,
    requires_python: str | None = None,
) -> ProjectStyle:
    ruff = ruff or {}
    ruff_format = ruff.get("format", {}) if isinstance(ruff.get("format"), dict) else {}
    formatter = precommit_formatter
    if formatter is None and black is not None:
        formatter = "black"
    if formatter is None and "format" in ruff:
        formatter = "ruff"
    if formatter == "black":  # black lays the code out at its own length, 88 unless set
        line_length = (black or {}).get("line-length", DEFAULT_LINE_LENGTH)
    else:
        line_length = ruff.get("line-length") or (black or {}).get("line-length")
    if not isinstance(line_length, int) and isort:
        line_length = _int(isort.get("line_length") or isort.get("line-length"))
    if not isinstance(line_length, int):
        line_length = DEFAULT_LINE_LENGTH
    if formatter == "black":
        black = black or {}
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
        ruff_config=ruff_file,
        target_version=_target_version(ruff, black) or requires_python,
    )


def _target_version(ruff: dict[str, Any], black: dict[str, Any] | None) -> str | None:
    value = ruff.get("target-version")
    if isinstance(value, str) and re.fullmatch(r"py3\d+", value):
        return value
    versions = (black or {}).get("target-version")
    if isinstance(versions, str):
        versions = [versions]
    if isinstance(versions, list):
        found = sorted(
            (int(v[3:]), v) for v in versions if isinstance(v, str) and re.fullmatch(r"py3\d+", v)
        )
        if found:
            return found[0][1]
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


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
    """The file's tables (read only by the callers): parsed once while the file is unchanged,
    not once for each folder below it that holds a file to fix."""
    try:
        stat = path.stat()
    except OSError:
        return {}
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    found = _PARSED.get(key)
    if found is None:
        try:
            found = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            found = {}  # a project's broken tool configuration is not ours to report
        if len(_PARSED) >= 64:
            _PARSED.clear()
        _PARSED[key] = found
    return found


_PARSED: dict[tuple[str, int, int], dict[str, Any]] = {}


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
    if re.search(r"^\s*(?:-\s*)?id:\s*['\"]?ruff-format['\"]?\s*(?:#.*)?$", text, re.M):
        return "ruff"
    if re.search(r"^\s*(?:-\s*)?id:\s*['\"]?black(?:-jupyter)?['\"]?\s*(?:#.*)?$", text, re.M):
        return "black"  # (not `blacken-docs`, which formats code in documentation)
    return None
