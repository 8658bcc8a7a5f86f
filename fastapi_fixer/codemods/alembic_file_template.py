"""## What it does
Checks `alembic.ini`: its `[alembic]` section should set a `file_template` that starts migration
file names with their date. Reported on the `[alembic]` line when no `file_template` is set, and
on the `file_template` line when the template has no `%%(year)d`. Not reported when every
migration file already in the versions folder (`<script_location>/versions`, or
`version_locations`) starts with a number or a date and then a slug
(`0004_2_8_0_add_clear_number_to_dag_run.py`, `2024-03-15_add_index.py`): the project names its
migrations in order itself.

## Why is this bad?
Alembic's default file names are `<revision>_<slug>.py`: random hex first, so a folder listing
is in no useful order and nobody can tell which migration came when without opening them.

## Example
```ini
[alembic]
script_location = migrations
```

## Use instead
```ini
[alembic]
script_location = migrations
file_template = %%(year)d-%%(month).2d-%%(day).2d_%%(slug)s
```
`alembic revision -m "add_user_email_index"` then writes `2025-03-15_add_user_email_index.py`.

## Fix safety
Safe, when no `file_template` is set: the line is added under `[alembic]` (after a commented-out
`# file_template = ...` line, else after `script_location`, else after the section header), with
the file's own line endings; everything else stays byte for byte. Only migrations generated
from now on get the new names. An undated template that is set is reported without a fix: it
was chosen on purpose.

A comment line `# noqa: FF705` anywhere in `alembic.ini` suppresses the finding.

## Known problems
Only `alembic.ini` files, and only their `[alembic]` section, are read (not a section chosen
with `alembic --name`, nor `[tool.alembic]` in `pyproject.toml`). Versions folders given as
package resources (`myapp:migrations`) are not listed; a relative folder is looked up next to
`alembic.ini`, then from the directory the check runs in. Every migration file has its
revision id inside, so a template without `%%(rev)s` is fine.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Iterator

from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FixContext, Rule, TextContext

SECTION = "alembic"
TEMPLATE = "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s"
_HEADER = re.compile(r"^\[(?P<name>[^\]]+)\]")
_KEY = re.compile(r"^(?P<key>[^\s=:#;\[][^=:]*?)\s*[=:]", re.ASCII)
_COMMENTED_TEMPLATE = re.compile(r"^[#;]\s*file_template\s*[=:]", re.IGNORECASE)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")


class AlembicFileTemplate(Rule):
    CODE = "FF705"
    NAME = "alembic-file-template"
    SEVERITY = Severity.WARNING
    MESSAGE = "`alembic.ini` sets no dated `file_template`"
    FIX_TITLE = "Add a dated `file_template`"
    FIX_SAFETY = FixSafety.SAFE
    FILE_NAMES = ("alembic.ini",)

    def check_text(self, ctx: TextContext) -> Iterator[Diagnostic]:
        parser = _parse(ctx.text)
        if parser is None or not parser.has_section(SECTION):
            return  # not an ini alembic can read, or not an alembic configuration
        if _named_in_order(ctx.path, parser):
            return  # the project names its migrations itself, in order
        lines = _lines(ctx.text)
        if parser.has_option(SECTION, "file_template"):
            value = parser.get(SECTION, "file_template", raw=True)
            if "%(year)" in value.replace("%%", "%"):
                return
            line = _template_line(lines) or _header_line(lines)
            yield self.text_diagnostic(
                ctx,
                line,
                f"`file_template = {value.strip()}` in `alembic.ini` does not start migration "
                f"names with their date; use `{TEMPLATE}`",
            )
            return
        header = _header_line(lines)
        fix = Fix(self.FIX_TITLE, FixSafety.SAFE, (Edit(ctx.path, "add-template"),))
        yield self.text_diagnostic(
            ctx,
            header,
            f"`alembic.ini` sets no `file_template`: migration files are named by random "
            f"revision ids; add `file_template = {TEMPLATE}` under `[alembic]`",
            fix,
        )

    def fix_text(self, text: str, edits: list[Edit], ctx: FixContext) -> str:
        parser = _parse(text)
        if parser is None or parser.has_option(SECTION, "file_template"):
            return text
        lines = _lines(text)
        after = _insertion_line(lines)  # 1-based: the new line goes after this one
        ending = _ending(lines)
        before, rest = lines[:after], lines[after:]
        added = f"file_template = {TEMPLATE}{ending}"
        if before and not before[-1].endswith(("\n", "\r")):
            before[-1] += ending  # the file had no final line ending: neither has it now
            added = added[: -len(ending)]
        return "".join([*before, added, *rest])

    def validate_text(self, text: str) -> str | None:
        parser = _parse(text)
        if parser is None:
            return "not a valid ini file"
        if parser.get(SECTION, "file_template", raw=True, fallback=None) != TEMPLATE:
            return "`file_template` not readable under `[alembic]`"
        return None


# `0004_2_8_0_add_clear_number.py`, `2024-03-15_add_index.py`, `20240315_1200_add_index.py`:
# a number or a date, then a slug (a hex revision id such as `0584bdc529eb_` has letters in it)
_ORDERED_NAME = re.compile(r"^\d[\d_.-]*[_-][A-Za-z]")


def _named_in_order(path: str, parser: configparser.RawConfigParser) -> bool:
    """Every migration file in the versions folder(s) `script_location`/`version_locations`
    point to starts with a number or a date and a slug: the project names its migrations in
    order on purpose (its own tooling, or by hand). Folders named as package resources
    (`pkg:migrations`) or not found are not read."""
    here = os.path.dirname(path)
    raw = parser.get(SECTION, "version_locations", raw=True, fallback=None)
    if raw is None:
        script = parser.get(SECTION, "script_location", raw=True, fallback=None)
        if script is None:
            return False
        locations = [os.path.join(script.strip(), "versions")]
    else:
        separator = "," if "," in raw else None
        locations = [part.strip() for part in raw.split(separator) if part.strip()]
    names: list[str] = []
    for location in locations:
        location = location.replace("%(here)s", here)
        if ":" in location and not os.path.isabs(location) and not re.match(r"^\w:[\\/]", location):
            return False  # a package resource
        folder = next(
            (
                candidate
                for candidate in (os.path.join(here, location), location)
                if os.path.isdir(candidate)
            ),
            None,
        )
        if folder is None:
            return False
        try:
            entries = os.listdir(folder)
        except OSError:
            return False
        names.extend(e for e in entries if e.endswith(".py") and e != "__init__.py")
    return bool(names) and all(_ORDERED_NAME.match(name) for name in names)


def _parse(text: str) -> configparser.RawConfigParser | None:
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return parser


def _lines(text: str) -> list[str]:
    """The lines with their endings (`\\r\\n`, `\\r` or `\\n`), so joining gives the text back."""
    return [line for line in _LINE.findall(text) if line]


def _ending(lines: list[str]) -> str:
    for line in lines:
        stripped = line.rstrip("\r\n")
        if stripped != line:
            return line[len(stripped) :]
    return "\n"


def _section_range(lines: list[str]) -> tuple[int, int]:
    """0-based index of the `[alembic]` header and the index just past its section."""
    start = end = -1
    for number, line in enumerate(lines):
        match = _HEADER.match(line)
        if match is None:
            continue
        if start >= 0:
            end = number
            break
        if match.group("name").strip() == SECTION:
            start = number
    if start >= 0 and end < 0:
        end = len(lines)
    return start, end


def _header_line(lines: list[str]) -> int:
    return _section_range(lines)[0] + 1


def _template_line(lines: list[str]) -> int | None:
    start, end = _section_range(lines)
    for number in range(start + 1, end):
        match = _KEY.match(lines[number])
        if match and match.group("key").strip().lower() == "file_template":
            return number + 1
    return None


def _insertion_line(lines: list[str]) -> int:
    """After a commented-out `# file_template` line, else after `script_location` (and its
    continuation lines), else right after the header."""
    start, end = _section_range(lines)
    for number in range(start + 1, end):
        if _COMMENTED_TEMPLATE.match(lines[number]):
            return number + 1
    for number in range(start + 1, end):
        match = _KEY.match(lines[number])
        if match and match.group("key").strip().lower() == "script_location":
            last = number
            while last + 1 < end and lines[last + 1][:1] in (" ", "\t") and lines[last + 1].strip():
                last += 1  # an indented continuation of the value
            return last + 1
    return start + 1
