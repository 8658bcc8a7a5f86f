"""Every rule is documented, and README.md's rule table and docs/rules/ are up to date."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_fixer.cli import main
from fastapi_fixer.registry import all_rules
from fastapi_fixer.reporting.ruledocs import SECTIONS, first_sentence, missing_sections, sections

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location(
        "update_readme", ROOT / "scripts" / "update_readme.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("update_readme", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("code", list(all_rules()))
def test_rule_docs_have_every_section(code: str) -> None:
    rule = all_rules()[code]
    assert not missing_sections(rule), f"{code} docs lack: {missing_sections(rule)}"
    assert list(sections(rule))[: len(SECTIONS)] == list(SECTIONS), "sections out of order"


@pytest.mark.parametrize("code", list(all_rules()))
def test_rule_json(code: str) -> None:
    result = CliRunner().invoke(main, ["rule", code.lower(), "--output-format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rule = all_rules()[code]
    assert data["code"] == code
    assert data["name"] == rule.NAME
    assert data["severity"] == rule.SEVERITY.value
    assert data["fix_safety"] == rule.FIX_SAFETY.value
    assert data["docs"] == rule.docs()
    assert set(SECTIONS) <= set(data["sections"])


def test_rule_rendered() -> None:
    result = CliRunner().invoke(main, ["rule", "FF101"])
    assert result.exit_code == 0
    assert "blocking-call-in-async (FF101)" in result.output
    for title in SECTIONS:
        assert title in result.output


def test_unknown_rule_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["rule", "FF999", "--output-format", "json"])
    assert result.exit_code == 2


def test_first_sentence() -> None:
    assert first_sentence("Finds `a.b` calls. Then more.\nAnd more.") == "Finds `a.b` calls."
    assert first_sentence("One line\nwrapped here.\n\nNext paragraph.") == "One line wrapped here."


def test_readme_and_rule_pages_are_up_to_date() -> None:
    stale = _script().stale(ROOT)
    assert not stale, f"stale: {stale}; run `python scripts/update_readme.py`"


def test_script_writes_table_and_pages(tmp_path: Path) -> None:
    script = _script()
    (tmp_path / "README.md").write_text(
        "# x\n\n## Rules\n<!-- rules-table:start -->\nSTALE-TABLE\n"
        "<!-- rules-table:end -->\nafter\n"
    )
    (tmp_path / "docs" / "rules").mkdir(parents=True)
    (tmp_path / "docs" / "rules" / "FF999.md").write_text("gone")
    assert "README.md" in script.stale(tmp_path)
    script.update(tmp_path)
    assert script.stale(tmp_path) == []
    readme = (tmp_path / "README.md").read_text()
    assert readme.endswith("<!-- rules-table:end -->\nafter\n")
    assert "STALE-TABLE" not in readme
    for code, rule in all_rules().items():
        assert f"| [{code}](docs/rules/{code}.md) | {rule.NAME} |" in readme
        page = (tmp_path / "docs" / "rules" / f"{code}.md").read_text()
        assert rule.docs() in page
    assert not (tmp_path / "docs" / "rules" / "FF999.md").exists()


def test_script_adds_markers_when_missing(tmp_path: Path) -> None:
    script = _script()
    (tmp_path / "README.md").write_text("# x\n")
    script.update(tmp_path)
    readme = (tmp_path / "README.md").read_text()
    assert readme.startswith("# x\n\n## Rules\n\n<!-- rules-table:start -->\n")
    assert script.stale(tmp_path) == []


def _table_rows(text: str, heading: str) -> list[list[str]]:
    """The body rows of the first table under ``heading``, as lists of cells."""
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def _flags(cell: str) -> set[str]:
    """The flags a cell names in backticks (`-o/--output-file`, `--force-exclude` / ...)."""
    import re

    return set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", " ".join(re.findall(r"`([^`]*)`", cell))))


def test_cli_comparison_with_ruff_names_every_option_and_only_real_ones() -> None:
    import click

    text = (ROOT / "docs" / "cli-vs-ruff.md").read_text(encoding="utf-8")
    named: set[str] = set()
    for row in _table_rows(text, "## `ruff check` flags"):
        named |= _flags(row[1])
    for row in _table_rows(text, "## fastapi-fix only"):
        named |= _flags(row[0])
    options: set[str] = set()
    for name in ("fix", "check"):
        command = main.commands[name]
        for param in command.params:
            if isinstance(param, click.Option):
                options |= {*param.opts, *param.secondary_opts}
    options -= {"-h", "--help"}
    assert named - options == set(), "flags in docs/cli-vs-ruff.md that do not exist"
    assert options - named == set(), "options missing from docs/cli-vs-ruff.md"
