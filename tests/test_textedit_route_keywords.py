"""FF403, FF404 and FF407 add a keyword argument to a route decorator's call as a text edit
(`textedit.keyword_edit`) where it is certain to be what their LibCST fix
(`missing_response_model.append_keyword`) writes: the same text and the same import requests
on every layout below and on the rules' fixtures, or the text fix declines and LibCST runs."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from fastapi_fixer.codemods import missing_response_model as ff403
from fastapi_fixer.codemods import missing_status_code as ff404
from fastapi_fixer.codemods import undocumented_error_response as ff407
from fastapi_fixer.models import Edit, Span
from tests.harness import FIXTURES, run
from tests.test_textedit import compare_fixes, fix_edits

HEAD = "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
BODY = "def read():\n    return {}\n"

LAYOUTS = {
    "one_argument": '@app.get("/")\n',
    "no_argument": "@app.get()\n",
    "spaces_only": "@app.get( )\n",
    "two_arguments": '@app.post("/", tags=["a"])\n',
    "trailing_comma": '@app.post("/", tags=["a"],)\n',
    "trailing_comma_space": '@app.post("/", tags=["a"], )\n',
    "space_before_paren": '@app.post("/", tags=["a"] )\n',
    "one_per_line": '@app.post(\n    "/",\n    tags=["a"],\n)\n',
    "one_per_line_no_comma": '@app.post(\n    "/",\n    tags=["a"]\n)\n',
    "single_wrapped": '@app.post(\n    "/",\n)\n',
    "comment_after_comma": '@app.post(\n    "/",\n    tags=["a"],  # the tags\n)\n',
    "comment_after_last": '@app.post(\n    "/",\n    tags=["a"]  # the tags\n)\n',
    "comment_then_blank": '@app.post(\n    "/",  # path\n\n    tags=["a"],\n    # end\n)\n',
    "hanging": '@app.post("/",\n          tags=["a"])\n',
    "hanging_comma": '@app.post("/",\n          tags=["a"],\n)\n',
    "mixed": '@app.post(\n    "/", tags=["a"],\n)\n',
    "dict_last": '@app.post(\n    "/",\n    responses={\n        400: {},\n    },\n)\n',
    "parenthesized_last": '@app.get(("/"))\n',
    "comment_before_comma": '@app.post(\n    "/"  # path\n    , tags=["a"])\n',
    "backslash": '@app.post("/", \\\n    tags=["a"])\n',
    "starred": "@app.post(*paths)\n",
    "two_decorators": '@app.get("/a")\n@app.get(\n    "/b",\n)\n',
}

IN_CLASS = {
    "method_one_per_line": (
        "class Views:\n    @app.post(\n        '/',\n        tags=['a'],\n    )\n"
        "    def read(self):\n        return {}\n"
    ),
    "method_comment": (
        "class Views:\n    @app.post(\n        '/',  # path\n        tags=['a'],  # tags\n    )\n"
        "    def read(self):\n        return {}\n"
    ),
    "method_one_line": "class Views:\n    @app.get('/')\n    def read(self):\n        return {}\n",
    # the `)` line indented less than the decorator: declined
    "method_paren_at_column_0": (
        "class Views:\n    @app.post(\n        '/',  # path\n)\n"
        "    def read(self):\n        return {}\n"
    ),
}


def _decorator_calls(text: str) -> list[ast.Call]:
    return [
        decorator
        for node in ast.walk(ast.parse(text))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for decorator in node.decorator_list
        if isinstance(decorator, ast.Call)
    ]


def _edits(path: str, text: str, kind: str, args: tuple) -> list[Edit]:
    return [
        Edit(path, kind, Span(c.lineno, c.col_offset, c.end_lineno, c.end_col_offset), args)
        for c in _decorator_calls(text)
    ]


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "main.py"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _keywords(text: str, edits: list[Edit]):
    return ff403.route_keywords_text(text, edits, ff403.keyword_of_edit)


def _responses(text: str, edits: list[Edit]):
    return ff403.route_keywords_text(text, edits, ff407._responses_keyword)


def _libcst_responses(module, edits):
    return ff407.UndocumentedErrorResponse().fix(module, edits, None)  # type: ignore[arg-type]


DECLINED = {"parenthesized_last", "comment_before_comma", "backslash", "method_paren_at_column_0"}


@pytest.mark.parametrize("name", sorted({**LAYOUTS, **IN_CLASS}))
def test_a_route_keyword_as_text_is_the_libcst_fix(tmp_path: Path, name: str) -> None:
    text = HEAD + LAYOUTS[name] + BODY if name in LAYOUTS else HEAD + IN_CLASS[name]
    path = _write(tmp_path, text)
    keyword = _edits(path, text, "keyword", ("response_model", "Item"))
    keyword.append(Edit(path, "import", None, ("models", "Item")))
    outcome = compare_fixes(path, keyword, ff403.apply_route_edits, _keywords)
    responses = _edits(path, text, "add", ((404, "Not found"), (409, "")))
    also = compare_fixes(path, responses, _libcst_responses, _responses)
    assert outcome == also
    assert outcome == ("declined" if name in DECLINED else "same")


def test_two_edits_on_one_call_and_other_kinds_are_declined(tmp_path: Path) -> None:
    from fastapi_fixer.fixing.textedit import Unsure

    text = HEAD + LAYOUTS["one_argument"] + BODY
    path = _write(tmp_path, text)
    twice = _edits(path, text, "keyword", ("response_model", "Item")) * 2
    with pytest.raises(Unsure):
        _keywords(text, twice)
    annotate = _edits(path, text, "annotate", ("Item",))
    with pytest.raises(Unsure):
        _keywords(text, annotate)
    merge = _edits(path, text, "merge", ((404, ""),))
    with pytest.raises(Unsure):
        _responses(text, merge)


@pytest.mark.parametrize(
    ("code", "with_libcst", "with_text"),
    [
        ("FF403", ff403.apply_route_edits, _keywords),
        ("FF404", lambda module, edits: ff404.MissingStatusCode().fix(module, edits, None), None),
        ("FF407", _libcst_responses, _responses),
    ],
)
def test_route_keywords_on_the_fixtures(tmp_path: Path, code: str, with_libcst, with_text) -> None:
    root = tmp_path / code
    shutil.copytree(FIXTURES / code, root, ignore=shutil.ignore_patterns("__pycache__"))
    if with_text is None:  # FF404: its `rekey` edits have no text form (declined)

        def with_text(text: str, edits: list[Edit]):
            return ff403.route_keywords_text(text, edits, ff403.keyword_of_edit)

    outcomes = [
        compare_fixes(path, found, with_libcst, with_text)
        for path, found in sorted(fix_edits(root, code).items())
    ]
    assert "same" in outcomes


def test_the_fix_pass_writes_the_keywords_of_three_rules(tmp_path: Path) -> None:
    """Through the pipeline: FF403's `response_model=` and FF404's `status_code=` on one
    call, FF407's `responses=` on another, all written, and a second run changes nothing."""
    (tmp_path / "main.py").write_text(
        "from fastapi import FastAPI, HTTPException\nfrom pydantic import BaseModel\n\n"
        "app = FastAPI()\n\n\nclass Item(BaseModel):\n    name: str\n\n\n"
        '@app.post(\n    "/items",\n    tags=["items"],\n)\nasync def create(item: Item):\n'
        '    """Create."""\n    return Item(name=item.name)\n\n\n'
        '@app.get("/items/{name}")\nasync def read(name: str) -> Item:\n    """Read."""\n'
        '    if not name:\n        raise HTTPException(status_code=404, detail="No item")\n'
        "    return Item(name=name)\n",
        encoding="utf-8",
    )
    codes = ["FF403", "FF404", "FF407"]
    first = run(tmp_path, codes, fix=True, unsafe=True)
    assert not first.dropped
    fixed = first.fixed[str(tmp_path / "main.py")]
    assert "response_model=Item" in fixed
    assert "status_code=status.HTTP_201_CREATED" in fixed
    assert 'responses={404: {"description": "No item"}}' in fixed
    (tmp_path / "main.py").write_text(fixed, encoding="utf-8")
    again = run(tmp_path, codes, fix=True, unsafe=True)
    assert not again.fixed
