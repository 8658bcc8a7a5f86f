"""Findings served from the cache are the findings a fresh run gives.

Stored findings are reused when what their check read of the project index still gets the same
answers (`ProjectIndex.start_reads`). This edits every file of real projects in ways that change
what other files see — a new function, a new blocking call, a renamed definition, a file removed
— and compares a run with the cache (primed before the edit) with a run without one."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from fastapi_fixer.engine import Engine, Mode
from fastapi_fixer.engine.cache import Cache
from fastapi_fixer.models import RunResult
from fastapi_fixer.settings import Settings

HERE = Path(__file__).parent
PROJECTS = {
    "service": HERE / "projects" / "service",
    "legacy-app": HERE.parent / "examples" / "legacy-app",
    "chain": HERE / "fixtures" / "FF101" / "chain",
    "deep": HERE / "fixtures" / "FF101" / "deep",
}


def _append_function(text: str) -> str:
    return text + "\n\ndef _added_by_the_test():\n    return 1\n"


def _append_blocking(text: str) -> str:
    return text + "\n\nimport time\n\n\nasync def _added_handler():\n    time.sleep(1)\n"


def _rename_first_definition(text: str) -> str:
    return re.sub(r"^(async def |def |class )(\w+)", r"\1\2_renamed", text, count=1, flags=re.M)


def _line_above(text: str) -> str:
    return "# a line added above everything\n" + text


EDITS = {
    "line added above": _line_above,
    "new function": _append_function,
    "new blocking call": _append_blocking,
    "renamed definition": _rename_first_definition,
    "removed file": None,
}


def run(root: Path, cache_dir: Path | None) -> list[tuple]:
    settings = Settings()
    cache = Cache.open(cache_dir, settings) if cache_dir else Cache.disabled()
    result = Engine(settings, Mode(jobs=1), cache).run([str(root)])
    return _comparable(result, root)


def _comparable(result: RunResult, root: Path) -> list[tuple]:
    def where(path: str) -> str:
        return str(Path(path).relative_to(root))

    return sorted(
        (
            where(d.path),
            d.span.line,
            d.span.col,
            d.code,
            d.message,
            repr(d.fix.safety) if d.fix else None,
            tuple(sorted((where(e.path), repr(e.span), e.kind, repr(e.args)) for e in d.fix.edits))
            if d.fix
            else (),
            tuple((hop.name, where(hop.path), hop.row, hop.column) for hop in d.chain),
        )
        for d in result.diagnostics
    ) + sorted((where(e.path), e.reason) for e in result.errors)


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("project", PROJECTS)
def test_cached_findings_match_a_fresh_run_after_any_edit(
    tmp_path: Path, project: str, edit: str
) -> None:
    root = tmp_path / project
    shutil.copytree(PROJECTS[project], root)
    cache_dir = tmp_path / "cache"
    change = EDITS[edit]
    for path in sorted(root.rglob("*.py")):
        original = path.read_text()
        run(root, cache_dir)  # the cache holds the project as it was
        if change is None:
            path.unlink()
        else:
            path.write_text(change(original))
        try:
            assert run(root, cache_dir) == run(root, None), f"{edit} in {path.relative_to(root)}"
        finally:
            path.write_text(original)


@pytest.mark.parametrize("project", PROJECTS)
def test_recorded_reads_are_plain_values(tmp_path: Path, project: str) -> None:
    """A read must mean the same in the next run: names and numbers, never an object (whose
    printed form carries its address)."""
    root = tmp_path / project
    shutil.copytree(PROJECTS[project], root)
    settings = Settings()
    cache = Cache.open(tmp_path / "cache", settings)
    Engine(settings, Mode(jobs=1), cache).run([str(root)])
    checked = [entry.checked for entry in cache.entries.values() if entry.checked]
    reads = [read for each in checked for read in each.reads]
    assert reads
    for read in reads:
        assert all(isinstance(part, (str, int, bool)) for part in read), read


def run_alone(path: str, cache_dir: Path | None) -> list[tuple]:
    """`check <path>` in ``root`` (the current folder), the rest of the project as context."""
    settings = Settings()
    cache = Cache.open(cache_dir, settings) if cache_dir else Cache.disabled()
    result = Engine(settings, Mode(jobs=1, context=True), cache).run([path])
    return _comparable(result, Path())  # paths relative to the project, the current folder


@pytest.mark.parametrize("edit", ["new blocking call", "renamed definition", "removed file"])
@pytest.mark.parametrize("primed_by", ["the file alone", "the project"])
def test_a_file_checked_alone_after_an_edit_of_a_context_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str, primed_by: str
) -> None:
    """The per-file cache serves a partial run (and is shared with runs over the project):
    an edit of a file the run only reads as context re-checks the files that can see it."""
    root = tmp_path / "chain"
    shutil.copytree(PROJECTS["chain"], root)
    monkeypatch.chdir(root)
    cache_dir = tmp_path / "cache"
    change = EDITS[edit]
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.py"))
    for checked in files:
        for edited in files:
            if edited == checked:
                continue
            target = root / edited
            original = target.read_text()
            if primed_by == "the project":
                run(root, cache_dir)
            else:
                run_alone(checked, cache_dir)
            if change is None:
                target.unlink()
            else:
                target.write_text(change(original))
            try:
                cached, fresh = run_alone(checked, cache_dir), run_alone(checked, None)
                assert cached == fresh, f"{edit} in {edited}, {checked} checked"
            finally:
                target.write_text(original)
