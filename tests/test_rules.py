"""Every fixture of every rule: the flagged lines are exactly the `# expect:` lines; the fixed
output (safe, then unsafe) compiles, is snapshotted, and a second run changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastapi_fixer.models import FixSafety
from fastapi_fixer.registry import all_rules
from tests.harness import (
    actual_findings,
    case_id,
    copy_case,
    expected_findings,
    fixture_cases,
    render,
    render_diff,
    run,
    write_fixed,
)

CASES = fixture_cases()


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_fixture(case: Path, tmp_path: Path, snapshot_text) -> None:
    code = case.parent.name
    assert code in all_rules(), f"fixture folder {code} names no rule"
    root = copy_case(case, tmp_path)

    checked = run(root, [code], fix=False)
    assert not checked.errors, checked.errors
    assert actual_findings(root, checked.diagnostics) == expected_findings(root)

    report = [render(root, checked, unsafe=False, title="findings")]
    for unsafe in (False, True):
        if unsafe and not any(
            d.fix and d.fix.safety is FixSafety.UNSAFE for d in checked.diagnostics
        ):
            continue
        label = "unsafe" if unsafe else "safe"
        fixed = run(root, [code], fix=True, unsafe=unsafe)
        assert not fixed.errors and not fixed.dropped, (fixed.errors, fixed.dropped)
        for path in fixed.changed_paths:
            if path.endswith(".py"):  # text rules' files are validated by the rule itself
                compile(fixed.fixed[path], path, "exec")
        report.append(render_diff(root, fixed, title=f"fixed ({label})"))
        report.append(render(root, fixed, unsafe=unsafe, title=f"left after {label} fixes"))

        # a second run on the fixed files changes nothing
        scratch = tmp_path / f"second-{label}"
        __import__("shutil").copytree(root, scratch)
        write_fixed(_rebase(fixed, root, scratch))
        again = run(scratch, [code], fix=True, unsafe=unsafe)
        assert again.changed_paths == [], f"second {label} run changed {again.changed_paths}"
        assert not again.dropped

    assert "\n".join(report) == snapshot_text


def _rebase(result, root: Path, scratch: Path):
    from fastapi_fixer.models import RunResult

    rebased = RunResult()
    for path in result.changed_paths:
        new = str(scratch / Path(path).relative_to(root))
        rebased.sources[new] = result.sources[path]
        rebased.fixed[new] = result.fixed[path]
    return rebased
