"""`index._stable_repr` writes what `repr(index._stable(value))` makes, without the tuples: the
digests of module facts and of the index's answers depend on it being the same text."""

from __future__ import annotations

import ast
from pathlib import Path

from fastapi_fixer.analysis import index
from fastapi_fixer.analysis.facts import analyze, module_name_for

FIXTURES = Path(__file__).parent / "fixtures"


def test_stable_repr_is_the_repr_of_the_stable_form_for_every_fixtures_facts() -> None:
    checked = 0
    for path in sorted(FIXTURES.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        module, is_package = module_name_for(str(path), str(FIXTURES))
        facts = analyze(tree, module, str(path), is_package).facts
        assert index._stable_repr(facts) == repr(index._stable(facts)), path
        checked += 1
    assert checked > 100


def test_stable_repr_of_nested_values() -> None:
    values = [
        {"b": {1, 2}, "a": [("x",), ()], 3: {"k": frozenset({"z", "y"})}},
        ("one",),
        [],
        {(): None, (1,): 2.5, "q": b"\x00"},
    ]
    for value in values:
        assert index._stable_repr(value) == repr(index._stable(value))
