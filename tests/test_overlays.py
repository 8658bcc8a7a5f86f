"""`Engine.run(overlays=...)`: texts in memory (an editor's unsaved buffers) instead of the files
on disk, for any number of files, with the rest of the project read from disk; never stored in a
cache on disk; an in-memory cache kept across runs (`Cache.lasting`) re-checks only what an edit
can change; `Mode.fix_only` fixes the findings of some files only."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from fastapi_fixer.engine import Engine, Mode
from fastapi_fixer.engine.cache import Cache
from fastapi_fixer.models import RunResult
from fastapi_fixer.settings import Settings

CHAIN = Path(__file__).parent / "fixtures" / "FF101" / "chain"
SETTINGS = Settings(select=("FF101",))
BLOCKING = 'subprocess.run(["logger", name], check=False)'


def project(tmp_path: Path) -> Path:
    root = tmp_path / "chain"
    shutil.copytree(CHAIN, root)
    return root


def findings(result: RunResult, root: Path) -> list[tuple[str, int, str]]:
    return sorted(
        (str(Path(d.path).relative_to(root)), d.span.line, d.code) for d in result.diagnostics
    )


def test_an_overlay_of_another_module_changes_the_findings_of_a_file_on_disk(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    audit = root / "app" / "services" / "audit.py"
    on_disk = audit.read_text()
    before = Engine(SETTINGS, Mode(jobs=1)).run([str(root)])
    assert ("app/routes.py", 12, "FF101") in findings(before, root)
    overlays = {str(audit): on_disk.replace(BLOCKING, "pass")}
    after = Engine(SETTINGS, Mode(jobs=1)).run([str(root)], overlays=overlays)
    assert ("app/routes.py", 12, "FF101") not in findings(after, root)
    assert after.sources[str(audit)].text == overlays[str(audit)]
    assert audit.read_text() == on_disk  # nothing written


def test_overlays_are_not_stored_in_a_cache_on_disk(tmp_path: Path) -> None:
    root = project(tmp_path)
    audit = root / "app" / "services" / "audit.py"
    overlays = {str(audit): audit.read_text().replace(BLOCKING, "pass")}
    cache = Cache.open(tmp_path / "cache", SETTINGS)
    Engine(SETTINGS, Mode(jobs=1), cache).run([str(root)], overlays=overlays)
    assert os.path.abspath(audit) not in Cache.open(tmp_path / "cache", SETTINGS).entries
    # the disk's text is checked again, and its findings are the disk's
    result = Engine(SETTINGS, Mode(jobs=1), Cache.open(tmp_path / "cache", SETTINGS)).run(
        [str(root)]
    )
    assert ("app/routes.py", 12, "FF101") in findings(result, root)


def test_a_lasting_memory_cache_rechecks_only_what_an_edit_can_change(tmp_path: Path) -> None:
    root = project(tmp_path)
    audit = root / "app" / "services" / "audit.py"
    cache = Cache.disabled()
    cache.lasting = True
    first = Engine(SETTINGS, Mode(jobs=1), cache).run([str(root)])
    checked = first.stats["checked"]
    assert checked > 2
    # a new function in one module: the project's facts change, the other files' answers not
    overlays = {str(audit): audit.read_text() + "\n\ndef unused():\n    return 1\n"}
    again = Engine(SETTINGS, Mode(jobs=1), cache).run([str(root)], overlays=overlays)
    assert again.stats["parsed"] == 1
    assert again.stats["checked"] < checked, (again.stats, checked)
    assert findings(again, root) == findings(first, root)


def test_fix_only_fixes_the_findings_of_the_given_files(tmp_path: Path) -> None:
    root = project(tmp_path)
    every = Engine(SETTINGS, Mode(fix=True, jobs=1)).run([str(root)])
    fixed_files = {str(Path(p).relative_to(root)) for p in every.changed_paths}
    assert len(fixed_files) >= 1
    chosen = sorted(every.changed_paths)[0]
    only = Engine(SETTINGS, Mode(fix=True, jobs=1, fix_only=frozenset({chosen}))).run([str(root)])
    assert only.changed_paths == [chosen]
    assert only.fixed[chosen] == every.fixed[chosen]
