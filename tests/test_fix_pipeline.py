"""The fix pass: every rule's edits to a file at once, one compile, failures kept to their rule.

`fix_file` is driven here with small stand-in rule functions (the rules' own fixers are tested by
`test_rules.py`), and the engine with real rules on a real file."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastapi_fixer.engine import Engine, Mode, compile_reason
from fastapi_fixer.fixing.pipeline import Hunk, Provenance, fix_file, hunks_between, split_lines
from fastapi_fixer.reporting.console import unified_diff
from fastapi_fixer.settings import Settings

TEXT = "def f():\n    a = 1\n    b = 2\n    return a + b\n"


def replacing(old: str, new: str):
    """A stand-in fixer: replaces ``old`` by ``new`` in the text it is given."""

    def run(code, module, text, edits):
        return text.replace(old, new)

    return run


def by_code(**fixers):
    return lambda code, module, text, edits: fixers[code](code, module, text, edits)


def valid(before: str, after: str) -> str | None:
    return compile_reason(before, after, "m.py")


def test_rules_that_touch_different_lines_are_applied_in_one_pass() -> None:
    run = by_code(FF001=replacing("a = 1", "a = 10"), FF002=replacing("b = 2", "b = 20"))
    out = fix_file(TEXT, {"FF001": [], "FF002": []}, run, None, valid)
    assert out.applied == ["FF001", "FF002"]
    assert out.text == "def f():\n    a = 10\n    b = 20\n    return a + b\n"
    assert out.provenance.lines[1] == {"FF001"} and out.provenance.lines[2] == {"FF002"}
    assert out.provenance.lines[0] == frozenset()


def test_a_rule_that_touches_an_earlier_rules_lines_waits_for_the_next_round() -> None:
    run = by_code(FF001=replacing("a = 1", "a = 10"), FF002=replacing("a = 1", "a = 11"))
    out = fix_file(TEXT, {"FF001": [], "FF002": []}, run, None, valid)
    assert out.applied == ["FF001"] and out.deferred == ["FF002"] and not out.failures
    assert "a = 10" in out.text


def test_rules_that_change_apart_characters_of_one_line_are_joined() -> None:
    text = "async def f(a: int = 1):\n    return a\n"
    run = by_code(
        FF001=replacing("async def f", "def f"), FF002=replacing("a: int = 1", "a: int = 2")
    )
    out = fix_file(text, {"FF001": [], "FF002": []}, run, None, valid)
    assert out.applied == ["FF001", "FF002"] and not out.deferred and not out.failures
    assert out.text == "def f(a: int = 2):\n    return a\n"
    assert out.provenance.lines[0] == {"FF001", "FF002"} and out.provenance.lines[1] == set()
    # a preview's pass keeps each rule's lines apart: the later one waits
    kept = fix_file(text, {"FF001": [], "FF002": []}, run, None, valid, join=False)
    assert kept.applied == ["FF001"] and kept.deferred == ["FF002"]


def test_rules_whose_changed_characters_meet_are_not_joined() -> None:
    text = "x = f(a)\ny = 2\n"
    # FF002's insertion is where FF001's replacement ends: their order would be a guess
    run = by_code(FF001=replacing("f(a)", "f(b)"), FF002=replacing("f(a)", "f(a, c)"))
    out = fix_file(text, {"FF001": [], "FF002": []}, run, None, valid)
    assert out.applied == ["FF001"] and out.deferred == ["FF002"]
    # a hunk of more lines never joins: a rule rewriting statements plans again next round
    run = by_code(
        FF001=replacing("x = f", "x = g"),
        FF002=replacing("(a)\ny = 2", "(b)\ny = 3"),
        FF003=replacing("= 2", "= 4"),
    )
    out = fix_file(text, {"FF001": [], "FF002": [], "FF003": []}, run, None, valid)
    assert out.applied == ["FF001", "FF003"] and out.deferred == ["FF002"]
    assert out.text == "x = g(a)\ny = 4\n"


def test_a_failing_rule_is_dropped_alone() -> None:
    def crash(code, module, text, edits):
        raise RuntimeError("boom")

    run = by_code(FF001=crash, FF002=replacing("b = 2", "b = 20"), FF003=replacing("a = 1", "a ="))
    out = fix_file(TEXT, {"FF001": [], "FF002": [], "FF003": []}, run, None, valid)
    assert out.applied == ["FF002"]
    assert out.failures["FF001"] == "fix failed: RuntimeError: boom"
    assert out.failures["FF003"].startswith("fix produced invalid code")
    assert out.text == TEXT.replace("b = 2", "b = 20")


def test_rules_right_alone_but_wrong_together_are_not_dropped_the_later_one_waits() -> None:
    text = "async def f():\n    x = g()\n    return x\n"
    run = by_code(
        FF001=replacing("async def f", "def f"), FF002=replacing("x = g()", "x = await g()")
    )
    out = fix_file(text, {"FF001": [], "FF002": []}, run, None, valid)
    assert out.applied == ["FF001"] and out.deferred == ["FF002"] and not out.failures
    assert out.text == "def f():\n    x = g()\n    return x\n"


def test_the_import_requests_of_every_applied_rule_are_applied_once() -> None:
    from fastapi_fixer.fixing.cstutil import add_imports

    def wants(name):
        def run(code, module, text, edits):
            add_imports(module, [("os", name)])
            return (
                text.replace("a = 1", f"a = {name}")
                if name == "sep"
                else text.replace("b = 2", f"b = {name}")
            )

        return run

    out = fix_file(
        TEXT,
        {"FF001": [], "FF002": []},
        by_code(FF001=wants("sep"), FF002=wants("linesep")),
        None,
        valid,
    )
    assert out.applied == ["FF001", "FF002"]
    assert out.text.count("import") == 1
    assert "a = sep" in out.text and "b = linesep" in out.text
    first = split_lines(out.text)[0]
    assert first.startswith("from os import") and "linesep" in first and "sep" in first
    assert out.provenance.lines[0] == {"FF001", "FF002"}


def test_hunks_and_provenance_through_two_passes() -> None:
    before = split_lines("a\nb\nc\nd\n")
    after = split_lines("a\nB\nc\nd\ne\n")
    assert hunks_between(before, after) == [Hunk(1, 2, ("B\n",)), Hunk(4, 4, ("e\n",))]
    first = Provenance.original(4).after(
        [(Hunk(1, 2, ("B\n",)), frozenset({"FF001"})), (Hunk(4, 4, ("e\n",)), frozenset({"FF002"}))]
    )
    # a second pass deletes "c": the deletion is owed to FF003, the rest keeps its owners
    step = Provenance.original(5).after([(Hunk(2, 3, ()), frozenset({"FF003"}))])
    later = first.later(after, split_lines("a\nB\nd\ne\n"), step)
    assert later.lines == [frozenset(), {"FF001"}, frozenset(), {"FF002"}]
    assert later.removed[2] == {"FF003"}
    assert later.codes_in(2, 2) == {"FF003"}


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "app.py"
    path.write_text(
        "import time\n\nfrom fastapi import FastAPI, Query\n\napp = FastAPI()\n\n\n"
        "@app.get('/items')\nasync def list_items(q: str = Query('')):\n"
        "    time.sleep(1)\n    return {'q': q}\n\n\n"
        "@app.get('/health')\nasync def health():\n    return {}\n\n\n"
        "@app.on_event('startup')\nasync def start():\n    print('up')\n",
        encoding="utf-8",
    )
    return path


def test_three_rules_fix_one_file_in_one_round(app: Path, snapshot_text) -> None:
    settings = Settings(select=("FF101", "FF303", "FF706"))
    result = Engine(settings, Mode(fix=True)).run([str(app)])
    assert result.applied == {"FF101": 1, "FF303": 1, "FF706": 1}
    assert result.stats["fix_rounds"] == 1  # then nothing is left to fix
    assert result.stats["fix_passes"] == 1
    fixed = result.fixed[str(app)]
    assert "await asyncio.sleep(1)" in fixed
    assert "q: Annotated[str, Query()] = ''" in fixed
    assert "lifespan=lifespan" in fixed and "on_event" not in fixed
    diff = unified_diff("app.py", app.read_text(), fixed, result.provenance[str(app)])
    headers = [line for line in diff.splitlines() if line.startswith("@@")]
    assert headers and all(line.split("@@")[-1].strip() for line in headers)
    named = {code for line in headers for code in line.split("@@")[-1].replace(",", " ").split()}
    assert named == {"FF101", "FF303", "FF706"}
    assert diff == snapshot_text
    again = Engine(settings, Mode(fix=True)).run([str(app)])
    assert again.applied  # the file on disk was not written: the same fixes are found again
    app.write_text(fixed, encoding="utf-8")
    assert not Engine(settings, Mode(fix=True)).run([str(app)]).fixed


def test_a_pass_knows_its_own_hunks_without_a_diff_of_the_file() -> None:
    # the previews cut each finding's share from these (`reporting.fixes._cut`): a pass that
    # replaced line 2 and inserted after line 4, then had line 1 re-laid by a tidy step
    from fastapi_fixer.fixing.pipeline import Hunk, Provenance, hunks_between, split_lines

    old = split_lines("a\nb\nc\nd\n")
    first = Provenance.original(4).after(
        [(Hunk(1, 2, ("B1\n", "B2\n")), frozenset({"X"})), (Hunk(4, 4, ("e\n",)), frozenset())]
    )
    middle = split_lines("a\nB1\nB2\nc\nd\ne\n")
    final = split_lines("A\nB1\nB2\nc\nd\ne\n")
    tidied = first.after([(Hunk(0, 1, ("A\n",)), frozenset({"X"}))])
    assert first.original_hunks(old, middle) == hunks_between(old, middle)
    assert tidied.original_hunks(old, final) == [
        Hunk(0, 2, ("A\n", "B1\n", "B2\n")),
        Hunk(4, 4, ("e\n",)),
    ]
    # a later round's provenance no longer follows the first pass's lines
    later = first.later(middle, final, tidied)
    assert later.origin is None and later.original_hunks(old, final) is None


def test_the_import_step_of_a_head_seen_before_still_places_by_the_file_own_package(tmp_path):
    # the step keeps its answers by module head (`pipeline._HEADS`): two files opening alike
    # in different packages must not share one, `mypkg` is first party only in its own
    import ast as ast_module

    from fastapi_fixer.fixing import pipeline
    from fastapi_fixer.fixing.context import ImportRequests
    from fastapi_fixer.fixing.imports import first_party_as_ruff
    from fastapi_fixer.fixing.project_style import ProjectStyle

    text = "import os\n\nimport requests\n\n\ndef f():\n    return thing, os, requests\n"
    requests = ImportRequests(adds=[("mypkg", "thing")])
    style = ProjectStyle(root=str(tmp_path))
    tree = ast_module.parse(text)
    outputs = []
    for module in ("mypkg.views", "other.views", "mypkg.models"):
        first_party = first_party_as_ruff(str(tmp_path), module)
        outputs.append(pipeline._apply_imports(text, requests, style, first_party))
        assert outputs[-1] != text and ast_module.dump(tree) != ast_module.dump(
            ast_module.parse(outputs[-1])
        )
    own, other, again = outputs
    assert own == again != other
    assert "import requests\n\nfrom mypkg import thing\n" in own
    assert "import requests\nfrom mypkg import thing\n" in other
    # a package created since (a long-running server): the same head is laid out again
    (tmp_path / "mypkg").mkdir()
    created = pipeline._apply_imports(
        text, requests, style, first_party_as_ruff(str(tmp_path), "other.views")
    )
    assert created == own


def test_the_import_step_of_a_head_seen_before_removes_only_where_the_name_is_unread():
    # `_HEADS` keeps a head's answer by the names read that an import to remove binds: two
    # test modules opening alike share it when both read other names only, and a module that
    # still reads the removed name keeps its import
    from fastapi_fixer.fixing import pipeline
    from fastapi_fixer.fixing.context import ImportRequests

    head = "import pytest\nfrom fastapi.testclient import TestClient\n\nfrom app import app\n"
    requests = ImportRequests(
        adds=[("httpx", "AsyncClient")], removals=[("fastapi.testclient", "TestClient", None)]
    )
    bodies = [  # the first two name `TestClient` (as an attribute): the names read are asked
        "\n\n@pytest.fixture\ndef one():\n    return app.TestClient, pytest\n",
        "\n\n@pytest.fixture\ndef two(x):\n    return [x.TestClient], [pytest.mark]\n",
        "\n\n@pytest.fixture\ndef three():\n    return TestClient(app)\n",
    ]
    pipeline._HEADS.clear()
    outputs = [pipeline._apply_imports(head + body, requests, None, None) for body in bodies]
    assert len(pipeline._HEADS) == 2  # the first two modules' heads are laid out once
    unread = "import pytest\nfrom httpx import AsyncClient\n\nfrom app import app\n"
    assert outputs[0] == unread + bodies[0]
    assert outputs[1] == unread + bodies[1]
    assert outputs[2] == (
        "import pytest\nfrom fastapi.testclient import TestClient\nfrom httpx import AsyncClient"
        "\n\nfrom app import app\n" + bodies[2]
    )


def test_a_name_read_on_its_import_line_keeps_the_import():
    # `from x import y; y()`: the line is the import's and a call's; the call reads `y`
    from fastapi_fixer.fixing import pipeline
    from fastapi_fixer.fixing.context import ImportRequests

    requests = ImportRequests(removals=[("fastapi.testclient", "TestClient", None)])
    for text in (
        "from fastapi.testclient import TestClient; client = TestClient(app)\n",
        "import os\nfrom fastapi.testclient import TestClient; TestClient\n\n\ndef f():\n    x\n",
    ):
        assert pipeline._apply_imports(text, requests, None, None) == text
    alone = "import os\nfrom fastapi.testclient import TestClient\nx = 1\n"
    assert pipeline._apply_imports(alone, requests, None, None) == "import os\nx = 1\n"
