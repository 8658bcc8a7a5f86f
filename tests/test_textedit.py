"""FF801 writes its conversion as text edits (`fixing/textedit.py`) so the fix pass needs no
LibCST parse of the module: the text must be exactly what its LibCST fix writes, with the same
import requests, on every fixture and on layouts chosen to trip it; where it cannot be sure
(a parenthesized call, a comment where it looks for a token) it declines and the LibCST fix runs.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import libcst as cst
import pytest

from fastapi_fixer.codemods import sync_test_client as ff801
from fastapi_fixer.fixing import statements
from fastapi_fixer.fixing.context import ImportRequests, fixing
from fastapi_fixer.fixing.imports import ImportClash
from fastapi_fixer.fixing.textedit import Unsure
from fastapi_fixer.models import Edit
from tests.harness import FIXTURES, run

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"

CASES = {
    # a client after a def (its block owns no line before the client), a comment kept
    "after_def": (
        "from fastapi.testclient import TestClient\n\nfrom main import app\n\n\n"
        "def helper():\n    return 1\n\n\n# the client\nclient = TestClient(app)\n\n\n"
        "def test_a():\n    assert client.get('/').json() == {}\n"
        "    r = client.get('/x')\n    assert r.status_code == 404\n"
    ),
    # the backend fixture and the client fixture at the same place, leading comments
    "backend_then_client": (
        '"""Doc."""\nimport os\n\nfrom fastapi.testclient import TestClient\nfrom main import app\n'
        "\n# one\n\n# two\nclient = TestClient(app)  # trailing\n\n\n"
        "@pytest.mark.slow\ndef test_a(tmp_path):\n    client.post('/', json={})[0]\n"
    ),
    # a fixture yielding a client, `with TestClient`, inline clients, two-space indentation
    "fixtures_and_with": (
        "import pytest\nfrom fastapi.testclient import TestClient\nfrom main import app\n\n\n"
        "@pytest.fixture\ndef c():\n  yield TestClient(app)\n\n\n"
        "def test_a(c):\n  assert c.get('/').status_code == 200\n\n\n"
        "def test_b():\n  with TestClient(app) as w:\n    print(w.get('/').text)\n\n\n"
        "def test_c():\n  assert TestClient(app).get('/').status_code == 200\n"
    ),
    # a call as the sole argument of another call: its parenthesis is the call's
    "sole_argument": (
        "from fastapi.testclient import TestClient\nfrom main import app\n\n"
        "client = TestClient(app)\n\n\ndef test_a():\n    print(client.get('/'))\n"
        "    len((client.get('/x')))\n"
    ),
    # a parenthesis before a call that opens an enclosing expression (the call is followed
    # by more of it): not the call's own
    "enclosing_parenthesis": (
        "from fastapi.testclient import TestClient\nfrom main import app\n\n"
        "client = TestClient(app)\n\n\ndef test_a():\n"
        "    assert (\n        client.get('/').status_code == 200\n    )\n"
        "    assert (client.get('/x').json() == {})\n    x = [(client.get('/y'), 1)]\n"
        "    assert (\n        TestClient(app)\n        .get('/z')\n        .status_code\n"
        "        == 200\n    )\n"
    ),
}


def fix_edits(root: Path, code: str = "FF801") -> dict[str, list[Edit]]:
    """The edits of ``code``'s fixes (unsafe ones too) in ``root``, by file."""
    found: dict[str, set[Edit]] = defaultdict(set)
    for diagnostic in run(root, [code], fix=False, unsafe=True).diagnostics:
        if diagnostic.fix is not None:
            for edit in diagnostic.fix.edits:
                found[edit.path].add(edit)
    return {path: sorted(edits, key=repr) for path, edits in found.items()}


def compare_fixes(path: str, edits: list[Edit], with_libcst, with_text) -> str:
    """'same' or 'declined'; fails when the text fix (`with_text(text, edits)`) differs from
    the LibCST fix (`with_libcst(module, edits)`), imports asked for included."""
    text = Path(path).read_text(encoding="utf-8")
    module = cst.parse_module(text)
    statements.remember(module, text)
    requests = ImportRequests()
    with fixing(None, requests):
        want = with_libcst(module, edits).code
    try:
        got, adds, removals = with_text(text, edits)
    except Unsure:
        return "declined"
    assert got == want
    assert adds == requests.adds
    assert removals == requests.removals
    return "same"


def _compare(path: str, edits: list[Edit]) -> str:
    return compare_fixes(path, edits, ff801._apply, ff801._apply_text)


def _project(tmp_path: Path, source: str) -> Path:
    (tmp_path / "main.py").write_text(APP, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_module.py").write_text(source, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("name", sorted(CASES))
def test_text_fix_is_the_libcst_fix(tmp_path: Path, name: str) -> None:
    edits = fix_edits(_project(tmp_path, CASES[name]))
    assert edits, "the case has a fix"
    outcomes = {_compare(path, found) for path, found in edits.items()}
    expected = {"declined"} if name == "sole_argument" else {"same"}
    assert outcomes == expected


def test_text_fix_on_the_fixtures(tmp_path: Path) -> None:
    root = tmp_path / "FF801"
    shutil.copytree(FIXTURES / "FF801", root, ignore=shutil.ignore_patterns("__pycache__"))
    outcomes = [_compare(path, found) for path, found in sorted(fix_edits(root).items())]
    assert outcomes and "same" in outcomes


def test_declined_text_fix_still_fixes(tmp_path: Path) -> None:
    """The pipeline runs the LibCST fix when the text fix declines."""
    root = _project(tmp_path, CASES["sole_argument"])
    result = run(root, ["FF801"], fix=True, unsafe=True)
    assert not result.dropped
    fixed = next(iter(result.fixed.values()))
    assert "    print(await client.get('/'))\n    len(await client.get('/x'))\n" in fixed
    assert "TestClient" not in fixed


HEADS = {
    "plain": "import os\nfrom fastapi.testclient import TestClient\n\n\ndef f():\n    return os\n",
    # the tail binds a name an import concerns: the whole module is parsed
    "tail_binds": "import os\n\n\ndef f():\n    pass\n\n\nAsyncClient = None\n",
    # the tail imports what is to be removed: the whole module is parsed
    "tail_imports": (
        "from fastapi.testclient import TestClient\n\n\ndef f():\n"
        "    from fastapi.testclient import TestClient\n    return 1\n"
    ),
    # comments and blank lines between the imports and the first def stay where they are
    "comments": "import sys\n\n# about f\n\n\n@dec\ndef f():\n    return sys\n",
}


@pytest.mark.parametrize("name", sorted(HEADS))
def test_imports_on_the_head_are_the_imports_on_the_module(name: str) -> None:
    """`pipeline._apply_imports` parses only the module's head when the rest cannot matter:
    the result is the one the whole module gives."""
    import ast

    from fastapi_fixer.fixing import pipeline

    text = HEADS[name]
    requests = ImportRequests(
        adds=[("pytest", None), ("httpx", "AsyncClient")],
        removals=[("fastapi.testclient", "TestClient", None)],
    )
    if name == "tail_binds":  # the name is taken: both refuse
        with pytest.raises(ImportClash):
            pipeline._imports_on(text, ast.parse(text), requests, None, None, None, None)
        with pytest.raises(ImportClash):
            pipeline._apply_imports(text, requests, None, None)
    else:
        whole = pipeline._imports_on(text, ast.parse(text), requests, None, None, None, None)
        assert pipeline._apply_imports(text, requests, None, None) == whole
    head = pipeline._import_head(text, ast.parse(text), requests)
    assert (head is None) == (name in ("tail_binds", "tail_imports"))


def test_a_text_fix_hunks_are_its_edits_lines_not_a_diff_of_the_file() -> None:
    # found on the fastapi sdist: a diff of the whole file aligns the blank lines the client
    # fixture brings with the test below it, so the fixture landed in the test's hunk (another
    # rule's edit of the test would have waited a round for it)
    from fastapi_fixer.fixing.pipeline import hunks_between, split_lines
    from fastapi_fixer.fixing.textedit import TextEdit, hunks_of_edits, splice

    text = (
        "from app import app\n\nclient = TestClient(app)\n\n\n"
        'def test_read_main():\n    response = client.get("/")\n'
    )
    lines = split_lines(text)
    fixture = (
        '@pytest.fixture\ndef anyio_backend():\n    return "asyncio"\n\n\n'
        "@pytest.fixture\nasync def client():\n    async with make() as ac:\n        yield ac\n"
    )
    body = text.index("def test_")
    call = text.index("client.get")
    edits = [
        TextEdit(text.index("client ="), text.index("\n\n\ndef") + 1, fixture),
        TextEdit(body, body, "@pytest.mark.anyio\nasync "),
        TextEdit(body + len("def test_read_main("), body + len("def test_read_main("), "client"),
        TextEdit(call, call, "await "),
    ]
    after = split_lines(splice(text, edits))
    hunks = hunks_of_edits(lines, text, edits)
    assert [(h.start, h.end) for h in hunks] == [(2, 3), (5, 7)]
    assert hunks[0].lines == tuple(split_lines(fixture))
    assert hunks[1].lines == tuple(after[-3:])
    assert hunks_between(lines, after) != hunks  # the whole-file diff pairs them otherwise
    spliced = list(lines)
    for hunk in reversed(hunks):
        spliced[hunk.start : hunk.end] = hunk.lines
    assert spliced == after


@pytest.mark.parametrize(
    ("text", "edit"),
    [
        ("a = 1\nb = 2", (11, 11, "\nc = 3")),  # at the end, no final line end
        ("a = 1\nb = 2\n", (12, 12, "c = 3\n")),  # after the last line
        ("a = 1\nb = 2\n", (0, 0, "# head\n")),  # before the first line
        ("a = 1\nb = 2\nc = 3\n", (4, 9, "10\nd = 2")),  # across a line end
    ],
)
def test_a_text_fix_hunks_at_the_file_edges_rebuild_the_text(text: str, edit: tuple) -> None:
    from fastapi_fixer.fixing.pipeline import hunks_between, split_lines
    from fastapi_fixer.fixing.textedit import TextEdit, hunks_of_edits, splice

    edits = [TextEdit(*edit)]
    lines, after = split_lines(text), split_lines(splice(text, edits))
    hunks = hunks_of_edits(lines, text, edits)
    assert hunks == hunks_between(lines, after)


def test_the_client_fixture_is_written_as_the_formatter_lays_it_out() -> None:
    # the previews (no layout step) and a project without formatter show what ruff writes
    from fastapi_fixer.fixing.project_style import ProjectStyle

    client = (
        'AsyncClient(transport=ASGITransport(app=app), base_url="http://test", '
        "follow_redirects=True)"
    )
    with fixing(ProjectStyle(root=""), ImportRequests()):
        wrapped = ff801._client_with("    ", "    ", client, "ac")
        long_app = ff801._client_with(
            "    ", "    ", client.replace("app=app", "app=" + "a" * 60), "ac"
        )
    with fixing(ProjectStyle(root="", line_length=120), ImportRequests()):
        wide = ff801._client_with("    ", "    ", client, "ac")
    assert wrapped == (
        "    async with AsyncClient(\n"
        '        transport=ASGITransport(app=app), base_url="http://test", follow_redirects=True\n'
        "    ) as ac:\n"
    )
    assert wide == f"    async with {client} as ac:\n"
    assert long_app.count("\n") == 1  # the arguments alone are too long: the layout step's
    assert ff801._client_with("    ", "    ", client, "ac") == wide  # outside a fix pass


QUICK = {
    # taken: the rest only calls the names added and names nothing removed
    "fixture_and_tests": (
        "import os\nfrom fastapi.testclient import TestClient\n\nfrom main import app\n\n\n"
        "@pytest.fixture\nasync def client():\n    async with AsyncClient(app=app) as ac:\n"
        "        yield ac\n\n\n@pytest.mark.anyio\nasync def test_a(client):\n    assert os\n",
        True,
    ),
    # comments and blank lines between the head and the first decorator stay in the rest
    "comments_before_def": (
        '"""Doc."""\nimport sys\nfrom fastapi.testclient import TestClient\n\n# about f\n\n\n'
        "@pytest.mark.slow\ndef f():\n    return sys\n",
        True,
    ),
    # the rest defines, imports or assigns a name the requests concern: the whole module
    "rest_defines": ("import os\n\n\ndef AsyncClient():\n    return os\n", False),
    "rest_imports": ("import os\n\n\ndef f():\n    import pytest.mark\n    return os\n", False),
    "rest_imports_after_comma": (
        "import os\n\n\ndef f():\n    pass\n\n\nimport sys, pytest.x\n",
        False,
    ),
    "rest_assigns": ("import os\n\n\ndef f():\n    pass\n\n\nx, pytest = 1, 2\n", False),
    "rest_typing_import": (
        "import os\n\n\nclass A:\n    pass\n\n\nif os:\n    from httpx import AsyncClient\n",
        False,
    ),
    # the rest still reads the name removed: the whole module
    "rest_reads_removed": (
        "from fastapi.testclient import TestClient\n\n\ndef f():\n    return TestClient\n",
        False,
    ),
    "rest_backslash": ("import os\n\n\ndef f():\n    return 1 + \\\n        2\n", False),
    # a `def` line inside the head's string: the text before it does not parse, the whole module
    "def_in_string": (
        'import os\nX = """\ndef inside():\n"""\n\n\ndef f():\n    return os\n',
        False,
    ),
    "no_import_in_head": ("X = 1\n\n\ndef f():\n    return X\n", False),
}


@pytest.mark.parametrize("name", sorted(QUICK))
def test_the_head_parsed_alone_gives_what_the_whole_module_gives(name: str, monkeypatch) -> None:
    """`pipeline._quick_head` cuts the head at the first line that starts a top-level
    definition and parses it alone when the rest cannot matter: the imports laid out are the
    ones the whole module's tree gives (`_quick_head` off), or both refuse alike."""
    from fastapi_fixer.fixing import pipeline

    text, quick = QUICK[name]
    requests = ImportRequests(
        adds=[("pytest", None), ("httpx", "AsyncClient")],
        removals=[("fastapi.testclient", "TestClient", None)],
    )
    assert (pipeline._quick_head(text, requests) is not None) == quick
    pipeline._HEADS.clear()
    try:
        got: object = pipeline._apply_imports(text, requests, None, None)
    except ImportClash as exc:
        got = type(exc)
    monkeypatch.setattr(pipeline, "_quick_head", lambda text, requests: None)
    pipeline._HEADS.clear()
    try:
        want: object = pipeline._apply_imports(text, requests, None, None)
    except ImportClash as exc:
        want = type(exc)
    assert got == want


@pytest.mark.parametrize(
    "text",
    [
        "def f():\n    return 1\n",
        "if a: pass\nelif b:\n  x = 1\nelse:\n    y = 2\n",
        "if a: x = 1; y = 2\nfor i in b:\n   pass\n",
        "class A:\n\n    # a comment first\n\n    @dec\n    def f(self): ...\n",
        "try:\n        x\nexcept E:\n    y\n",
        "try: x\nexcept E:\n      y\nfinally:\n  z\n",
        "match v:\n  case 1:\n        pass\n",
        "x = [\n        1,\n]\nwhile x:\n  break\n",
        'def f(): """doc"""\nasync def g():\n\n   await h()\n',
        "import os\n",  # no block: the tokens tell
    ],
)
def test_the_indentation_unit_is_the_first_indent_token(text):
    # read from the tree where a statement starts a line inside a block (FF801's fixture body)
    from fastapi_fixer.fixing.textedit import Source

    source = Source(text)
    assert source.default_indent() == source._tokenized_indent()
