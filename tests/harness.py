"""Runs the engine on fixture files and projects the way every rule test needs.

Fixture conventions (as flake8-bugbear's): a line that must be flagged carries a trailing
comment `# expect: FF101` (several codes: `# expect: FF101, FF303`); every other line must not be.
A fixture is a single file `tests/fixtures/<CODE>/<case>.py`, or a folder
`tests/fixtures/<CODE>/<case>/` holding a small multi-module project.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from fastapi_fixer.engine import Engine, Mode
from fastapi_fixer.models import Diagnostic, RunResult
from fastapi_fixer.reporting.console import concise_line, unified_diff
from fastapi_fixer.settings import Settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPECT_SUFFIXES = (".py", ".ini")
_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>FF\d{3}(?:\s*,\s*FF\d{3})*)")


def fixture_cases() -> list[Path]:
    cases = []
    for rule_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        cases.extend(sorted(p for p in rule_dir.iterdir() if p.suffix == ".py" or p.is_dir()))
    return [c for c in cases if c.name != "__pycache__"]


def case_id(case: Path) -> str:
    return f"{case.parent.name}-{case.stem}"


def copy_case(case: Path, tmp_path: Path) -> Path:
    """A private copy to run on; returns the folder to point the engine at."""
    target = tmp_path / case.parent.name / case.name
    if case.is_dir():
        shutil.copytree(case, target, ignore=shutil.ignore_patterns("__pycache__"))
        return target
    target.parent.mkdir(parents=True)
    shutil.copy(case, target)
    return target.parent


def expected_findings(root: Path) -> set[tuple[str, int, str]]:
    found = set()
    # text rules' fixtures (`alembic.ini`) carry the same `# expect:` comments
    for path in sorted(p for p in root.rglob("*") if p.suffix in EXPECT_SUFFIXES and p.is_file()):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = _EXPECT.search(line)
            if match:
                for code in re.split(r"\s*,\s*", match.group("codes")):
                    found.add((path.relative_to(root).as_posix(), number, code))
    return found


def actual_findings(root: Path, diagnostics: list[Diagnostic]) -> set[tuple[str, int, str]]:
    return {(Path(d.path).relative_to(root).as_posix(), d.span.line, d.code) for d in diagnostics}


def run(root: Path, codes: list[str], fix: bool, unsafe: bool = False) -> RunResult:
    settings = Settings(select=tuple(codes), unsafe_fixes=unsafe)
    return Engine(settings, Mode(fix=fix, jobs=1)).run([str(root)])


@dataclass
class CaseReport:
    text: str
    result: RunResult


def render(root: Path, result: RunResult, unsafe: bool, title: str) -> str:
    out = [f"## {title}"]
    for diagnostic in result.diagnostics:
        line = concise_line(diagnostic, unsafe).replace(str(root) + "/", "")
        fix = diagnostic.fix
        if fix is not None:
            line += f"\n    fix ({fix.safety.value}): {fix.title}"
        out.append(line)
    for error in [*result.errors, *result.dropped]:
        out.append(f"error: {error}")
    return "\n".join(out) + "\n"


def render_diff(root: Path, result: RunResult, title: str) -> str:
    out = [f"## {title}"]
    for path in result.changed_paths:
        relative = Path(path).relative_to(root).as_posix()
        out.append(unified_diff(relative, result.sources[path].text, result.fixed[path]))
    if len(out) == 1:
        out.append("(no changes)\n")
    return "\n".join(out)


def write_fixed(result: RunResult) -> None:
    for path in result.changed_paths:
        Path(path).write_text(result.fixed[path], encoding="utf-8")
