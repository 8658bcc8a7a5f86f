"""The on-disk cache: unchanged files are served from it; a change to a file, or to a fact of
another module that a file's findings depend on, invalidates what it must."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi_fixer.engine import Engine, Mode
from fastapi_fixer.engine.cache import Cache
from fastapi_fixer.models import RunResult
from fastapi_fixer.settings import Settings

CHAIN = Path(__file__).parent / "fixtures" / "FF101" / "chain"


def check(root: Path, cache_dir: Path, settings: Settings | None = None) -> RunResult:
    settings = settings or Settings(select=("FF101",))
    cache = Cache.open(cache_dir, settings)
    return Engine(settings, Mode(jobs=1), cache).run([str(root)])


def findings(result: RunResult, root: Path) -> list[tuple[str, int, str]]:
    return [(str(Path(d.path).relative_to(root)), d.span.line, d.code) for d in result.diagnostics]


def test_warm_run_is_served_from_the_cache(tmp_path: Path) -> None:
    root = tmp_path / "chain"
    shutil.copytree(CHAIN, root)
    cold = check(root, tmp_path / "cache")
    assert cold.stats["parsed"] > 0 and cold.stats["checked"] > 0
    warm = check(root, tmp_path / "cache")
    assert warm.stats.get("parsed", 0) == 0
    assert warm.stats.get("checked", 0) == 0
    assert findings(warm, root) == findings(cold, root)


def test_changed_file_is_checked_again(tmp_path: Path) -> None:
    root = tmp_path / "chain"
    shutil.copytree(CHAIN, root)
    check(root, tmp_path / "cache")
    routes = root / "app" / "routes.py"
    routes.write_text(routes.read_text().replace('audit.log_event("order")', "pass"))
    result = check(root, tmp_path / "cache")
    assert result.stats["parsed"] == 1
    assert ("app/routes.py", 12, "FF101") not in findings(result, root)


def test_cross_module_fact_change_invalidates_dependent_findings(tmp_path: Path) -> None:
    root = tmp_path / "chain"
    shutil.copytree(CHAIN, root)
    before = check(root, tmp_path / "cache")
    assert ("app/routes.py", 12, "FF101") in findings(before, root)
    audit = root / "app" / "services" / "audit.py"
    audit.write_text(
        audit.read_text().replace('subprocess.run(["logger", name], check=False)', "pass")
    )
    after = check(root, tmp_path / "cache")
    # routes.py did not change, but what it calls no longer blocks
    assert after.stats["parsed"] == 1
    assert findings(after, root) == []


def test_settings_are_part_of_the_key(tmp_path: Path) -> None:
    root = tmp_path / "chain"
    shutil.copytree(CHAIN, root)
    check(root, tmp_path / "cache")
    ignored = check(root, tmp_path / "cache", Settings(select=("FF101",), ignore=("FF101",)))
    assert ignored.stats.get("parsed", 0) > 0
    assert ignored.diagnostics == []


def test_damaged_cache_is_ignored(tmp_path: Path) -> None:
    root = tmp_path / "chain"
    shutil.copytree(CHAIN, root)
    cold = check(root, tmp_path / "cache")
    for path in (tmp_path / "cache").rglob("*.pickle"):
        path.write_bytes(b"not a pickle")
    again = check(root, tmp_path / "cache")
    assert findings(again, root) == findings(cold, root)


def test_position_only_change_elsewhere_keeps_other_files_cached(tmp_path: Path) -> None:
    """main.py's lines move; no finding of another file points into it."""
    root = tmp_path / "chain"
    shutil.copytree(CHAIN, root)
    check(root, tmp_path / "cache")
    main = root / "app" / "main.py"
    main.write_text("# a comment moves every line down\n" + main.read_text())
    result = check(root, tmp_path / "cache")
    assert result.stats["parsed"] == 1
    assert result.stats.get("checked", 0) <= 1  # only main.py itself, if any rule wants it


def test_position_change_in_a_chain_rechecks_the_findings_through_it(tmp_path: Path) -> None:
    """routes.py's findings reach `subprocess.run` in audit.py: their chains name its row, so
    when audit.py's lines move they are checked again, and the rows follow."""
    root = tmp_path / "chain"
    shutil.copytree(CHAIN, root)
    check(root, tmp_path / "cache")
    audit = root / "app" / "services" / "audit.py"
    audit.write_text("# a comment moves every line down\n" + audit.read_text())
    result = check(root, tmp_path / "cache")
    assert result.stats["parsed"] == 1
    rows = {
        hop.row
        for diagnostic in result.diagnostics
        for hop in diagnostic.chain
        if hop.name == "subprocess.run"
    }
    assert rows == {10}  # `subprocess.run(...)` was on line 9 of audit.py


def test_new_fact_no_other_file_reads_keeps_other_files_cached(tmp_path: Path) -> None:
    """A new function changes the module's facts (and the project digest), but not the answers
    routes.py's check got from the index: its findings are reused."""
    root = tmp_path / "chain"
    shutil.copytree(CHAIN, root)
    before = check(root, tmp_path / "cache")
    audit = root / "app" / "services" / "audit.py"
    audit.write_text(audit.read_text() + "\n\ndef unused_helper():\n    return 1\n")
    result = check(root, tmp_path / "cache")
    assert result.stats["parsed"] == 1
    assert result.stats.get("checked", 0) <= 1  # only audit.py itself, if any rule wants it
    assert result.stats["checks_cached"] >= 1
    assert findings(result, root) == findings(before, root)


def test_lines_moving_above_an_auth_route_keep_the_other_auth_routes_cached(tmp_path: Path) -> None:
    """FF605 reports at the project's first authentication route: a file with another one
    asks which that is, not the table of every route with its line. A new helper above the
    route changes the project's facts (so stored findings are compared read by read) and the
    route's line."""
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text(
        "from fastapi import FastAPI\n\nfrom app import auth, tokens\n\napp = FastAPI()\n"
        "app.include_router(auth.router)\napp.include_router(tokens.router)\n"
    )
    for name, path in (("auth", "/login"), ("tokens", "/token")):
        (root / "app" / f"{name}.py").write_text(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
            f'@router.post("{path}")\nasync def {name}_route():\n    return {{}}\n'
        )
    settings = Settings(select=("FF605",))
    before = check(root, tmp_path / "cache", settings)
    assert findings(before, root) == [("app/auth.py", 7, "FF605")]
    auth = root / "app" / "auth.py"
    auth.write_text(auth.read_text().replace("\n\n\n@", "\n\n\ndef helper():\n    return 1\n\n\n@"))
    result = check(root, tmp_path / "cache", settings)
    assert result.stats["parsed"] == 1
    assert result.stats.get("checked", 0) == 1  # auth.py itself; tokens.py is served cached
    assert findings(result, root) == [("app/auth.py", 11, "FF605")]
