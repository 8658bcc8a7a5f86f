"""`fastapi-fix report`: the page's numbers are the engine's, user code is escaped, the page needs
no network, the exit codes, and the Markdown of the bundled example (snapshot)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_fixer.cli import main
from fastapi_fixer.reporting.report import fence, md_code, md_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/legacy-app"

HOSTILE = """\
import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/x")
async def index():
    time.sleep(1)  # </script><script>alert("pwned")</script> `a|b`
    return {"ok": "<b>bold</b>"}
"""


def invoke(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT


def statistics(path: str) -> dict[str, dict[str, int]]:
    result = invoke("check", "--no-cache", "--statistics", "--output-format", "json", path)
    return {row["code"]: row for row in json.loads(result.output)}


def test_html_numbers_are_check_statistics(in_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = invoke("report", "--no-cache", EXAMPLE, "-o", str(out))
    assert result.exit_code == 0, result.output  # findings are no failure of a report
    assert "Wrote" in result.output
    html = out.read_text()
    stats = statistics(EXAMPLE)
    total = sum(row["count"] for row in stats.values())
    assert f'id="count-findings">{total}<' in html
    for code, row in stats.items():
        found = re.search(rf'data-code="{code}" data-findings="(\d+)" data-safe="(\d+)"', html)
        assert found is not None, code
        # `check` counts safe fixes as fixable (no --unsafe-fixes)
        assert (int(found[1]), int(found[2])) == (row["count"], row["fixable_count"]), code
    assert len(re.findall(r'<tr id="rule-FF\d+"', html)) == len(stats)


def test_html_is_self_contained(in_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    invoke("report", "--no-cache", EXAMPLE, "-o", str(out))
    html = out.read_text()
    assert "<link" not in html and " src=" not in html and "@import" not in html
    assert "url(" not in html


def test_user_code_is_escaped(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(HOSTILE)
    out = tmp_path / "report.html"
    result = invoke("report", "--no-cache", str(tmp_path), "-o", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert html.count("<script>") == 1  # the page's own
    assert (
        'alert("pwned")'
        not in html.replace("&#34;", '"').replace("&quot;", '"').split("&lt;script&gt;")[0]
    )
    assert "&lt;/script&gt;&lt;script&gt;alert(" in html.replace("&#34;", '"')
    assert "<b>bold</b>" not in html
    markdown = invoke("report", "--no-cache", str(tmp_path), "--format", "markdown").output
    # the diff is fenced, so its `<script>` is shown, not run
    fenced = re.search(r"```diff\n(.*?)```", markdown, re.S)
    assert fenced is not None and "<script>alert" in fenced[1]
    assert "<script>" not in markdown.replace(fenced[0], "")


def test_plan_sizes_add_up(in_root: Path) -> None:
    markdown = invoke("report", "--no-cache", EXAMPLE, "--format", "markdown").output
    steps = re.findall(r"^\d+\. \*\*(.+?)\*\* \((safe fix|unsafe fix|manual)\)", markdown, re.M)
    kinds = [kind for _, kind in steps]
    assert kinds == sorted(kinds, key=["safe fix", "unsafe fix", "manual"].index)
    assert steps[0][0] == "Safe fixes: async and concurrency"
    lines = [int(a) + int(r) for a, r in re.findall(r"· \+(\d+) \u2212(\d+) lines", markdown)]
    assert len(lines) == kinds.count("safe fix") + kinds.count("unsafe fix")
    assert all(lines)  # every fix step changes something


def test_markdown_of_the_example(in_root: Path, snapshot_text) -> None:
    result = invoke("report", "--no-cache", EXAMPLE, "--format", "markdown")
    assert result.exit_code == 0
    assert result.output == snapshot_text


def test_usage_and_output_errors_exit_2(in_root: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", EXAMPLE, "--format", "pdf"])
    assert result.exit_code == 2
    result = CliRunner().invoke(
        main, ["report", "--no-cache", EXAMPLE, "-o", str(tmp_path / "missing" / "r.html")]
    )
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0  # one line
    assert "missing/r.html" in result.output
    assert not (tmp_path / "missing").exists()


def test_markdown_escaping_helpers() -> None:
    assert md_text("a | b <img src=x> `x|<y>` &amp; & b") == (
        "a \\| b &lt;img src=x&gt; `x\\|<y>` &amp;amp; & b"
    )
    assert md_code("a`b") == "``a`b``"
    assert md_code("`x`") == "`` `x` ``"
    assert fence("x ```` y") == "`````"
    assert fence("plain") == "```"


def test_report_with_verify_says_what_was_proven_and_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tests/projects/verify_drop: FF303's fix breaks the project's own test (see
    tests/test_verify.py); the report says so, its diffs leave that fix out, nothing is written."""
    import shutil
    import sys

    pytest.importorskip("httpx")
    root = tmp_path / "verify_drop"
    shutil.copytree(
        ROOT / "tests" / "projects" / "verify_drop",
        root,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    monkeypatch.chdir(root)
    before = {p: p.read_text() for p in root.rglob("*.py")}
    tests = f"{sys.executable} -m pytest -q -p no:cacheprovider -p no:randomly tests"
    result = CliRunner().invoke(
        main,
        [
            *("report", "--no-cache", "--python", sys.executable, "--verify-tests", tests),
            *(".", "--format", "markdown", "-o", "report.md"),
        ],
    )
    assert result.exit_code == 0, result.output
    markdown = (root / "report.md").read_text()
    verified = markdown.split("## Verification", 1)[1]
    assert (
        f"Checked with `fastapi-fix --verify` in a copy of the project, with `{sys.executable}`"
        in verified
    )
    assert "Dropped FF303 fixes in api/items.py: tests" in verified
    assert "`fastapi-fix report . --verify`" in markdown
    plan = markdown.split("## Migration plan", 1)[1].split("## Rules", 1)[0]
    assert "**FF303**: `--verify` left its fixes in api/items.py out" in plan
    items = markdown.split("<code>api/items.py</code>", 1)[1].split("</details>", 1)[0]
    assert "@@" not in items or "FF303" not in items  # the dropped fix is not shown
    assert "FF303 (safe fix)" in items  # its finding still is
    assert {p: p.read_text() for p in root.rglob("*.py")} == before


def test_no_unsafe_fixes_previews_the_safe_ones_only(in_root: Path) -> None:
    markdown = invoke(
        "report", "--no-cache", "--no-unsafe-fixes", EXAMPLE, "--format", "markdown"
    ).output
    assert "`fastapi-fix report examples/legacy-app --no-unsafe-fixes`" in markdown
    assert "(unsafe fix): FF601 · 1 finding · 2 files · not previewed (`--no-unsafe-fixes`)" in (
        markdown
    )
    assert "app/config.py" not in markdown  # FF601's fix would create it
    assert "@@ -1,15 +1,28 @@ FF101, FF301, FF706\n" in markdown  # the safe fixes only
