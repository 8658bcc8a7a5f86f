"""`--output-format` full/json/sarif/github/gitlab, `--statistics`, and fixes as text edits."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_fixer.cli import main
from fastapi_fixer.models import Diagnostic, Severity, Span
from fastapi_fixer.registry import all_rules
from fastapi_fixer.reporting import github, gitlab, json_format
from fastapi_fixer.reporting.fixes import apply_text_edits, text_edits

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
ROUTES = textwrap.dedent(
    """\
    import time

    import requests
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/slow")
    async def slow():
        time.sleep(1)
        return {"ok": True}


    @app.get("/fetch")
    async def fetch():
        await something()
        return requests.get("https://example.org").json()


    async def something():
        return None
    """
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "routes.py").write_text(ROUTES)
    monkeypatch.chdir(tmp_path)
    # these tests are about the command line, seen through the async rules only
    (tmp_path / "pyproject.toml").write_text('[tool.fastapi-fix]\nselect = ["FF1"]\n')
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# --- concise and full --------------------------------------------------------------------


def test_concise_is_the_default(project: Path) -> None:
    code, out, _ = run("check", "app")
    assert code == 1
    assert "app/routes.py:11:5: FF101 [*] Blocking call `time.sleep` in async route `slow`" in out
    assert out == run("check", "app", "--output-format", "concise")[1]


def test_full_shows_code_frame_and_fix_diff(project: Path) -> None:
    code, out, _ = run("check", "app", "--output-format", "full")
    assert code == 1
    assert "app/routes.py:11:5: FF101 [*] Blocking call `time.sleep`" in out
    assert "11 |     time.sleep(1)\n" in out
    assert re.search(r"\n\s+\|\s{5}\^{13} FF101\n", out), out
    assert "= help: Replace with `await asyncio.sleep(...)`" in out
    assert "Safe fix" in out
    assert "-    time.sleep(1)" in out
    assert "+    await asyncio.sleep(1)" in out
    assert "Found 2 errors." in out


# --- json ----------------------------------------------------------------------------------


def test_json_findings_and_fix_edits(project: Path) -> None:
    code, out, _ = run("check", "app", "--output-format", "json")
    assert code == 1
    items = json.loads(out)
    assert [item["code"] for item in items] == ["FF101", "FF101"]
    sleep = items[0]
    assert sleep["name"] == "blocking-call-in-async"
    assert sleep["severity"] == "error"
    assert sleep["path"] == "app/routes.py"
    assert sleep["location"] == {"row": 11, "column": 5}  # 1-based, as ruff
    assert sleep["end_location"] == {"row": 11, "column": 18}
    assert sleep["fix"]["safety"] == "safe"
    assert sleep["fix"]["title"] == "Replace with `await asyncio.sleep(...)`"
    edits = sleep["fix"]["edits"]
    assert {"content", "location", "end_location"} <= set(edits[0])
    # the edits are minimal: one per changed hunk, and they rebuild the fixed file
    replace = {"content": "await asyncio", "location": {"row": 11, "column": 5}}
    assert any(replace.items() <= edit.items() for edit in edits), edits  # `time` -> ...
    fixed = _apply_json_edits(ROUTES, edits)
    assert "    await asyncio.sleep(1)\n" in fixed
    assert "import asyncio\n" in fixed
    assert "import time\n" not in fixed  # the import the fix made unused goes
    compile(fixed, "routes.py", "exec")
    fetch = items[1]
    assert fetch["location"]["row"] == 18
    fixed = _apply_json_edits(ROUTES, fetch["fix"]["edits"])
    assert "await run_in_threadpool(requests.get, " in fixed


def _apply_json_edits(text: str, edits: list[dict]) -> str:
    from fastapi_fixer.reporting.fixes import Position, TextEdit

    return apply_text_edits(
        text,
        [
            TextEdit(
                "x",
                edit["content"],
                Position(**edit["location"]),
                Position(**edit["end_location"]),
            )
            for edit in edits
        ],
    )


def test_json_clean_is_an_empty_list(project: Path) -> None:
    (project / "app" / "routes.py").write_text("x = 1\n")
    code, out, _ = run("check", "app", "--output-format", "json")
    assert (code, json.loads(out)) == (0, [])


@pytest.mark.parametrize(
    ("before", "after", "count"),
    [
        ("a\nb\nc\n", "a\nB\nc\n", 1),
        ("a\nb\nc\nd\ne\n", "A\nb\nc\nd\nE\n", 2),
        ("x = f(1)\n", "x = await g(f, 1)\n", 1),
        ("a\r\nb\r\n", "a\r\nimport os\r\nb\r\n", 1),
        ("a\nb", "a\nb\nc", 1),
        ("a\nb\n", "a\n", 1),
        ("", "x\n", 1),
        ("é = 1\nb\n", "é = 2\nb\n", 1),
    ],
)
def test_text_edits_rebuild_the_text(before: str, after: str, count: int) -> None:
    edits = text_edits("p", before, after)
    assert len(edits) == count
    assert apply_text_edits(before, edits) == after


def test_text_edits_are_minimal() -> None:
    (edit,) = text_edits("p", "x = f(1)\n", "x = await g(f, 1)\n")
    assert (edit.content, edit.location.as_json(), edit.end_location.as_json()) == (
        "await g(f, ",
        {"row": 1, "column": 5},
        {"row": 1, "column": 7},
    )


# --- sarif ---------------------------------------------------------------------------------


def test_sarif_validates_against_the_official_schema(project: Path) -> None:
    code, out, _ = run("check", "app", "--output-format", "sarif")
    assert code == 1
    log = json.loads(out)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    assert log["version"] == "2.1.0"
    (run_,) = log["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "fastapi-fix"
    assert [rule["id"] for rule in driver["rules"]] == list(all_rules())
    for rule in driver["rules"]:
        assert rule["name"] == all_rules()[rule["id"]].NAME
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["helpUri"].endswith(f"docs/rules/{rule['id']}.md")
    first = run_["results"][0]
    assert first["ruleId"] == "FF101"
    assert first["level"] == "error"
    assert first["message"]["text"].startswith("Blocking call `time.sleep`")
    assert driver["rules"][first["ruleIndex"]]["id"] == "FF101"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "app/routes.py"  # relative, for code scanning
    assert location["region"] == {"startLine": 11, "startColumn": 5, "endLine": 11, "endColumn": 18}


def test_sarif_levels_and_empty_run(project: Path) -> None:
    from fastapi_fixer.reporting.sarif import LEVELS, as_sarif

    assert LEVELS == {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    log = as_sarif([], list(all_rules().values()))
    assert log["runs"][0]["results"] == []
    jsonschema.validate(log, json.loads(SCHEMA.read_text(encoding="utf-8")))


# --- github and gitlab ---------------------------------------------------------------------


def _diagnostic(severity: Severity, message: str = "Bad `x`", line: int = 3) -> Diagnostic:
    return Diagnostic(
        "FF101", "blocking-call-in-async", severity, message, "app/m.py", Span(line, 4, line, 9)
    )


def test_github_workflow_commands(project: Path) -> None:
    code, out, _ = run("check", "app", "--output-format", "github")
    assert code == 1
    assert out.splitlines()[0] == (
        "::error file=app/routes.py,line=11,col=5,endLine=11,endColumn=18,"
        "title=FF101 (blocking-call-in-async)::Blocking call `time.sleep` in async route `slow`"
    )
    assert github.line(_diagnostic(Severity.WARNING)).startswith("::warning file=app/m.py,")
    assert github.line(_diagnostic(Severity.INFO)).startswith("::notice file=app/m.py,")
    escaped = github.line(_diagnostic(Severity.ERROR, "100% bad\nreally"))
    assert escaped.endswith("::100%25 bad%0Areally")


def test_gitlab_code_quality(project: Path) -> None:
    code, out, _ = run("check", "app", "--output-format", "gitlab")
    assert code == 1
    items = json.loads(out)
    assert len(items) == 2
    first = items[0]
    assert first["description"] == "FF101 Blocking call `time.sleep` in async route `slow`"
    assert first["check_name"] == "FF101 (blocking-call-in-async)"
    assert first["severity"] == "major"
    assert first["location"]["path"] == "app/routes.py"
    assert first["location"]["lines"]["begin"] == 11
    assert len({item["fingerprint"] for item in items}) == 2
    # stable: the same on a second run, and when the finding moves down a line
    assert json.loads(run("check", "app", "--output-format", "gitlab")[1]) == items
    (project / "app" / "routes.py").write_text("\n" + ROUTES)
    moved = json.loads(run("check", "app", "--output-format", "gitlab")[1])
    assert [i["fingerprint"] for i in moved] == [i["fingerprint"] for i in items]
    severities = [
        item["severity"]
        for item in gitlab.as_gitlab([_diagnostic(s, line=n) for n, s in enumerate(Severity, 1)])
    ]
    assert severities == ["major", "minor", "info"]


# --- statistics and the fix command ----------------------------------------------------------


def test_statistics(project: Path) -> None:
    code, out, _ = run("check", "app", "--statistics")
    assert code == 1
    assert out == "2\tFF101\t[*] blocking-call-in-async\n"
    code, out, _ = run("check", "app", "--statistics", "--output-format", "json")
    assert json.loads(out) == [
        {
            "code": "FF101",
            "name": "blocking-call-in-async",
            "count": 2,
            "fixable": True,
            "fixable_count": 2,
        }
    ]


def test_fix_reports_what_is_left_in_the_format(project: Path) -> None:
    (project / "app" / "routes.py").write_text(
        ROUTES
        + textwrap.dedent(
            """

            @app.get("/kept")
            async def kept():
                time.sleep(1)  # noqa: FF101
            """
        )
    )
    code, out, err = run("fix", "app", "--output-format", "json")
    assert code == 0
    assert json.loads(out) == []
    assert "Fixed app/routes.py (FF101: 2)" in err
    assert "await asyncio.sleep(1)" in (project / "app" / "routes.py").read_text()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON_VALUES)
@settings(max_examples=300, deadline=None)
def test_indented_json_is_json_dumps_own(value: object) -> None:
    """The JSON output's writer gives what `json.dumps(indent=2, ensure_ascii=False)` gives
    (NaN and infinities, non-string keys and other types are handed to it)."""
    expected = json.dumps(value, indent=2, ensure_ascii=False)
    assert json_format.dumps_indented(value) == expected
    assert json_format.dumps_indented({1: value, "k": [value]}) == json.dumps(
        {1: value, "k": [value]}, indent=2, ensure_ascii=False
    )
