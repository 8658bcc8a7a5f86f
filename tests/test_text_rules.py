"""Text rules (`Rule.FILE_NAMES`) end to end: a folder holding only `alembic.ini` is checked and
fixed byte for byte (CRLF endings kept), and an unreadable one is a clean one-line error."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from fastapi_fixer.apply.writer import write_fixes
from fastapi_fixer.cli import main
from fastapi_fixer.engine import Engine, Mode
from fastapi_fixer.settings import Settings

CRLF_INI = (
    b"[alembic]\r\n# comment\r\nscript_location = migrations\r\n\r\n[loggers]\r\nkeys = root\r\n"
)


def test_only_an_alembic_ini_is_fixed_keeping_crlf(tmp_path: Path) -> None:
    ini = tmp_path / "alembic.ini"
    ini.write_bytes(CRLF_INI)
    result = Engine(Settings(select=("FF705",)), Mode(fix=True, jobs=1)).run([str(tmp_path)])
    assert not result.errors and not result.dropped
    assert write_fixes(result) == [str(ini)]
    assert ini.read_bytes() == CRLF_INI.replace(
        b"migrations\r\n",
        b"migrations\r\nfile_template = %%(year)d-%%(month).2d-%%(day).2d_%%(slug)s\r\n",
    )
    again = Engine(Settings(select=("FF705",)), Mode(fix=True, jobs=1)).run([str(tmp_path)])
    assert again.diagnostics == [] and again.changed_paths == []


def test_check_on_a_folder_with_only_alembic_ini(tmp_path: Path) -> None:
    (tmp_path / "alembic.ini").write_bytes(CRLF_INI)
    outcome = CliRunner().invoke(main, ["check", "--no-cache", "--select", "FF705", str(tmp_path)])
    assert outcome.exit_code == 1, outcome.output
    assert "alembic.ini:1:1: FF705" in outcome.output


def test_binary_alembic_ini_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "alembic.ini").write_bytes(b"[alembic]\x00\xff\n")
    outcome = CliRunner().invoke(main, ["check", "--no-cache", "--select", "FF705", str(tmp_path)])
    assert outcome.exit_code == 2
    errors = [line for line in outcome.output.splitlines() if "alembic.ini" in line]
    assert errors and all("binary file" in line for line in errors), outcome.output
    assert "Traceback" not in outcome.output
