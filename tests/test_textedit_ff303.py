"""FF303 writes its fix as text edits (`fixing/textedit.py`) so the fix pass needs no LibCST
parse of the module: the text must be exactly what its LibCST fix writes, with the same import
requests, on every fixture and on layouts chosen to trip it; where it cannot be sure (a marker
call over several lines that loses an argument, a separator with a comment) it declines and the
LibCST fix runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import libcst as cst
import pytest

from fastapi_fixer.codemods import depends_default_not_annotated as ff303
from fastapi_fixer.fixing import statements
from fastapi_fixer.fixing.context import ImportRequests, fixing
from fastapi_fixer.fixing.textedit import Unsure
from fastapi_fixer.models import Edit
from fastapi_fixer.rule import FixContext
from fastapi_fixer.settings import Settings
from tests.harness import FIXTURES, run
from tests.test_textedit import fix_edits

HEAD = (
    "from fastapi import Depends, FastAPI, Query\n\napp = FastAPI()\n\n\n"
    "def get_db() -> int:\n    return 1\n\n\n"
)

CASES = {
    # markers with and without annotations, a default moved out, spaces kept where LibCST
    # keeps them (`x:int=Query(3)` keeps its tight `=`)
    "plain": (
        '@app.get("/a")\nasync def a(q: str = Query("", max_length=5), db=Depends(get_db),\n'
        "            x:int=Query(3), y: int = Query(default=None, ge=1), z = Query(None)):\n"
        "    return q\n"
    ),
    # the default is the last argument, or the only one with spaces around it
    "last_and_only": (
        '@app.get("/b")\nasync def b(q: str = Query(max_length=5, default="x"),\n'
        "            r: str = Query( None ), s: int = Query(None , le=3)):\n    return q\n"
    ),
    # a required marker loses its `...`; a `*` goes before the first defaulted parameter
    "required_and_star": (
        '@app.get("/c")\nasync def c(\n    page: int = Query(1),\n    code: str = Query(...),\n'
        "    db: int = Depends(get_db),\n):\n    return page\n"
    ),
    # one line, the `*` before the first parameter
    "star_first": (
        '@app.get("/d")\nasync def d(q: str = Query("x"), db: int = Depends(get_db)):\n'
        "    return q\n"
    ),
    # a dependency call over several lines moves whole; comments outside the calls stay
    "multiline_dependency": (
        '@app.get("/e")\nasync def e(\n    db: int = Depends(  # the session\n        get_db\n'
        "    ),  # trailing\n    q: str | None = Query(None),\n):\n    return db\n"
    ),
    # characters wider than a byte before and inside the parameters
    "unicode": (
        '@app.get("/é")\nasync def h(q: str = Query("é", max_length=5), ü: int = Query(1)):\n'
        "    return q\n"
    ),
    # a class dependency's `__init__`, `Annotated` already imported, two functions in a file
    "method_and_import": (
        "from typing import Annotated\n\n\nclass Pager:\n"
        "    def __init__(self, size: int = Query(10), db=Depends(get_db)):\n"
        "        self.size = size\n\n\n"
        '@app.get("/i")\nasync def i(pager: Pager = Depends(), q=Query(None)):\n    return 1\n'
    ),
    # a marker over several lines that loses its default: declined
    "multiline_default": (
        '@app.get("/f")\nasync def f(\n    q: str = Query(\n        "x",\n        max_length=3,\n'
        "    ),\n):\n    return q\n"
    ),
    # a comment between the parameters where the `*` goes: declined
    "comment_at_star": (
        '@app.get("/g")\nasync def g(\n    page: int = Query(1),  # first\n'
        "    db: int = Depends(get_db),\n):\n    return page\n"
    ),
}
DECLINED = {"multiline_default", "comment_at_star"}


def _compare(path: str, edits: list[Edit]) -> str:
    """'same' or 'declined'; fails when the text fix differs from the LibCST fix."""
    text = Path(path).read_text(encoding="utf-8")
    module = cst.parse_module(text)
    statements.remember(module, text)
    requests = ImportRequests()
    context = FixContext(path, "", None, Settings())  # type: ignore[arg-type]
    with fixing(None, requests):
        want = ff303.DependsDefaultNotAnnotated().fix(module, edits, context).code
    try:
        got, adds, _ = ff303._apply_text(text, edits)
    except Unsure:
        return "declined"
    assert got == want
    assert adds == requests.adds
    return "same"


@pytest.mark.parametrize("name", sorted(CASES))
def test_text_fix_is_the_libcst_fix(tmp_path: Path, name: str) -> None:
    (tmp_path / "main.py").write_text(HEAD + CASES[name], encoding="utf-8")
    edits = fix_edits(tmp_path, "FF303")
    assert edits, "the case has a fix"
    outcomes = {_compare(path, found) for path, found in edits.items()}
    assert outcomes == ({"declined"} if name in DECLINED else {"same"})


def test_text_fix_on_the_fixtures(tmp_path: Path) -> None:
    root = tmp_path / "FF303"
    shutil.copytree(FIXTURES / "FF303", root, ignore=shutil.ignore_patterns("__pycache__"))
    outcomes = [_compare(path, found) for path, found in sorted(fix_edits(root, "FF303").items())]
    assert outcomes and "same" in outcomes


def test_declined_text_fix_still_fixes(tmp_path: Path) -> None:
    """The pipeline runs the LibCST fix when the text fix declines."""
    (tmp_path / "main.py").write_text(HEAD + CASES["multiline_default"], encoding="utf-8")
    result = run(tmp_path, ["FF303"], fix=True, unsafe=True)
    assert not result.dropped
    fixed = next(iter(result.fixed.values()))
    assert "q: Annotated[" in fixed and '] = "x",' in fixed
    assert '"x",\n        max_length' not in fixed  # the default left the marker
