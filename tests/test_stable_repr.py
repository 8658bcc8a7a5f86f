"""`index._stable_repr` writes what `repr(index._stable(value))` makes, without the tuples: the
digests of module facts and of the index's answers depend on it being the same text."""

from __future__ import annotations

import ast
from pathlib import Path

from fastapi_fixer.analysis import index
from fastapi_fixer.analysis.facts import analyze, module_name_for

FIXTURES = Path(__file__).parent / "fixtures"


def _fixture_facts(folder: Path) -> list:
    """The module facts of every fixture under ``folder`` that parses."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        module, is_package = module_name_for(str(path), str(folder))
        found.append(analyze(tree, module, str(path), is_package).facts)
    return found


def test_stable_repr_is_the_repr_of_the_stable_form_for_every_fixtures_facts() -> None:
    checked = 0
    for facts in _fixture_facts(FIXTURES):
        assert index._stable_repr(facts) == repr(index._stable(facts)), facts.path
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


def test_a_function_answers_as_its_value_digest_once_its_module_was_digested() -> None:
    """An "f" read's answer is `_value_digest` of the function's facts: kept with the facts
    when the facts pass digests their module, written again (the same) otherwise, and kept
    across pickling (the worker processes send facts to the parent)."""
    import pickle

    modules = []
    for facts in _fixture_facts(FIXTURES / "FF101") + _fixture_facts(FIXTURES / "FF303"):
        facts.semantic_digest = index.semantic_digest(facts)
        modules.append(pickle.loads(pickle.dumps(facts)))
    built = index.ProjectIndex.build(modules, None)
    functions = list(dict.items(built.functions))
    assert len(functions) > 50
    for name, function in functions:
        assert index._DIGEST in vars(function), name
        assert built._answer(("f", name)) == index._value_digest(function, built.digest)
        del vars(function)[index._DIGEST]  # not digested yet: written on demand, the same
        assert built._answer(("f", name)) == index._value_digest(function, built.digest)


def test_warm_computes_the_project_wide_values_earlier_checks_read() -> None:
    """A fix round's index computes the `memo` values the changed files' last checks read
    before it goes to the worker processes (`ProjectIndex.warm`): the same values a check
    would compute, other reads left alone, nothing recorded as read."""
    from fastapi_fixer.codemods import no_project_base_model as ff202

    modules = _fixture_facts(FIXTURES / "FF202")
    built = index.ProjectIndex.build(modules, None)
    key = "FF202.direct_subclasses"
    reads = [
        ("memo", key, ff202.__name__, ff202._direct_subclasses.__qualname__),
        ("q", "resolve", "fastapi.FastAPI"),
    ]
    built.start_reads()
    built.warm(reads)
    assert built.stop_reads() == ()
    assert list(built._memo) == [key]
    fresh = index.ProjectIndex.build(modules, None)
    assert built._memo[key] == ff202._direct_subclasses(fresh)
