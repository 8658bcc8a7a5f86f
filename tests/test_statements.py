"""The statement map the fix pass relies on (`fixing.statements`): each top-level statement's
lines of the text are exactly LibCST's code for it, definitions are found without positions,
and hunks made from the changed statements alone equal a diff of the whole module's code."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from fastapi_fixer.fixing import positions, statements
from fastapi_fixer.fixing.cstutil import rewrite_at
from fastapi_fixer.fixing.pipeline import hunks_between, split_lines
from fastapi_fixer.models import Span, start_only

TRICKY = [
    "import os\n",
    "# a header comment\n\n\nimport os\nx = 1; y = 2\n",
    "def f():\n    return 1\n    # indented comment after the body\n\n# next's comment\nx = 1\n",
    "@decorator  # comment\n# between\n@other(\n    1,\n)\nasync def f(a,\n  b):\n    pass\n",
    "class A:\n    def m(self):\n        pass\n\n    # trailing\n\n\nclass B: pass\n",
    "x = (1 +\n     2)\ny = '''a\nb'''\nz = 1 \\\n    + 2\n",
    "if True:\n\tx = 1\nelse:\n\tx = 2\n",
    "x = 1\r\ny = 2\r\n",  # a bare carriage return: no map
    "x = 1\r\ndef f():\r\n    return 2\r\n",
    "x = 1\ny = 2",  # no final line end
    "x = 1\n\n\n# a footer comment\n",
    "try:\n    import a\nexcept ImportError:  # c\n    a = None\nfinally:\n    pass\n",
    "match x:\n    case 1:\n        pass\n",
    "x = 1\n\f\ndef f():\n    pass\n",
]
FIXTURES = sorted((Path(__file__).parent / "fixtures").rglob("*.py"))[:400]


def _texts() -> list[tuple[str, str]]:
    found = [(f"tricky{i}", text) for i, text in enumerate(TRICKY)]
    for path in FIXTURES:
        try:
            text = path.read_text(encoding="utf-8")
            cst.parse_module(text)
        except Exception:
            continue
        found.append((str(path.relative_to(Path(__file__).parent)), text))
    return found


@pytest.mark.parametrize(("name", "text"), _texts(), ids=lambda value: str(value)[:40])
def test_each_statement_is_its_lines_of_the_text(name: str, text: str) -> None:
    module = cst.parse_module(text)
    lines = statements.StatementLines.of(module, text)
    if lines is None:
        assert text.count("\r") != text.count("\r\n")  # only bare carriage returns are refused
        return
    text_lines = split_lines(text)
    for index, statement in enumerate(module.body):
        if index == len(module.body) - 1 and not module.has_trailing_newline:
            continue
        mapped = text_lines[lines.firsts[index] - 1 : lines.end(index) - 1]
        assert mapped == split_lines(module.code_for_node(statement)), (name, index)


@pytest.mark.parametrize(("name", "text"), _texts(), ids=lambda value: str(value)[:40])
def test_positions_are_libcsts(name: str, text: str) -> None:
    from libcst.metadata import MetadataWrapper, PositionProvider

    module = cst.parse_module(text)
    ours = positions.positions(module)
    theirs = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    for node, where in theirs.items():
        if node is module:
            continue
        expected = (where.start.line, where.start.column, where.end.line, where.end.column)
        assert ours[node] == expected, (name, type(node).__name__)


NESTED = """\
import os


@app.get("/a")
async def a():  # a route
    return 1


class Service:
    x = 1; y = 2

    def method(self):
        def inner():
            return 2

        return inner()


def last(): return 3
"""


def _parsed(text: str) -> tuple[cst.Module, statements.StatementLines]:
    module = cst.parse_module(text)
    statements.remember(module, text)
    lines = statements.lines_of(module)
    assert lines is not None
    return module, lines


@pytest.mark.parametrize(
    ("kind", "line", "column", "name"),
    [
        ("FunctionDef", 5, 0, "a"),
        ("ClassDef", 9, 0, "Service"),
        ("FunctionDef", 12, 4, "method"),
        ("FunctionDef", 13, 8, "inner"),
        ("FunctionDef", 19, 0, "last"),
    ],
)
def test_definitions_are_found_without_positions(
    kind: str, line: int, column: int, name: str
) -> None:
    module, lines = _parsed(NESTED)
    path = statements.locate(module, lines, kind, line, column)
    assert path is not None
    node = statements.node_at(module, path)
    assert type(node).__name__ == kind and node.name.value == name  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kind", "line", "column"),
    [("ClassDef", 5, 0), ("FunctionDef", 10, 4), ("FunctionDef", 4, 0), ("FunctionDef", 2, 0)],
)
def test_what_is_not_a_definition_there_is_not_found(kind: str, line: int, column: int) -> None:
    module, lines = _parsed(NESTED)
    assert statements.locate(module, lines, kind, line, column) is None


def _renamed(node: cst.CSTNode, primary: bool) -> cst.CSTNode:
    return node.with_changes(name=cst.Name(node.name.value + "_x"))  # type: ignore[attr-defined]


def _called(node: cst.CSTNode, primary: bool) -> cst.CSTNode:
    return cst.parse_expression("wrapped()")


def test_rewrites_by_path_and_by_position_give_one_result() -> None:
    targets = {
        ("FunctionDef", start_only(Span(13, 8, 0, 0))): _renamed,  # found by path
        ("FunctionDef", start_only(Span(5, 0, 0, 0))): _renamed,
        ("Call", Span(16, 15, 16, 22)): _called,  # needs positions: `inner()`
    }
    module, lines = _parsed(NESTED)
    result = rewrite_at(module, targets)
    expected = cst.parse_module(NESTED).code
    expected = expected.replace("def inner", "def inner_x").replace("def a(", "def a_x(")
    expected = expected.replace("return inner()", "return wrapped()")
    assert result.code == expected
    hunks = statements.changed_hunks(module, lines, result, split_lines(NESTED))
    assert hunks == hunks_between(split_lines(NESTED), split_lines(result.code))
