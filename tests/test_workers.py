"""Worker processes: the project index they are given is the parent's, round after round."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi_fixer.analysis.blocking import BlockingCatalog
from fastapi_fixer.analysis.facts import analyze
from fastapi_fixer.analysis.index import ProjectIndex
from fastapi_fixer.engine import Engine, Mode, parse
from fastapi_fixer.engine.cache import Cache
from fastapi_fixer.engine.workers import (
    PARALLEL_THRESHOLD,
    ShardWorker,
    _dump_answers,
    _load_answers,
)
from fastapi_fixer.settings import Settings

SERVICE = Path(__file__).parent / "projects" / "service"


def _facts(module: str, text: str):
    path = f"/project/{module.replace('.', '/')}.py"
    return analyze(parse(text, path), module, path, False).facts


def _index(texts: dict[str, str]) -> ProjectIndex:
    facts = [_facts(module, text) for module, text in texts.items()]
    return ProjectIndex.build(facts, BlockingCatalog.build(), unloaded_words=["word"])


def _project_answer(index: ProjectIndex) -> tuple[ProjectIndex, object, object]:
    """A memoised value holding the index, a module's facts and a function's facts."""
    facts = index.modules["app.main"]
    return index, facts, facts.functions["app.main.read"]


TEXTS = {
    "app.main": (
        "from fastapi import FastAPI\napp = FastAPI()\n\n"
        "@app.get('/')\nasync def read():\n    return 1\n"
    ),
    "app.util": "def helper():\n    return 2\n",
}


def test_a_worker_builds_the_parents_index_from_the_facts_that_changed() -> None:
    first = _index(TEXTS)
    worker = ShardWorker([])
    order = [f.path for f in first.built_from[0]]
    everything = {f.path: f for f in first.built_from[0]}
    assert worker.set_index(first.catalog, order, everything, first.built_from[1], first.digest)
    assert worker.index is not None and worker.index.digest == first.digest
    changed = dict(TEXTS, **{"app.util": "def helper():\n    return open('x').read()\n"})
    second = _index(changed)
    assert second.digest != first.digest
    new = {f.path: f for f in second.built_from[0] if f.module == "app.util"}
    assert worker.set_index(None, order, new, None, second.digest)
    assert worker.index.digest == second.digest
    assert worker.index.modules["app.util"] is new[next(iter(new))]
    # facts it does not hold, or a digest that is not the parent's: refused, nothing changed
    held = worker.index
    assert not worker.set_index(None, [*order, "/project/other.py"], {}, None, second.digest)
    assert not worker.set_index(None, order, {}, None, first.digest)
    assert worker.index is held


def test_the_parents_answers_refer_to_the_workers_own_index_and_facts() -> None:
    parent = _index(TEXTS)
    parent.memo("test.answer", _project_answer)
    parent.fingerprint([("memo", "test.answer", __name__, "_project_answer")])
    answers = _dump_answers(parent)
    assert answers is not None
    worker = ShardWorker([])
    order = [f.path for f in parent.built_from[0]]
    everything = {f.path: f for f in parent.built_from[0]}
    assert worker.set_index(
        parent.catalog, order, everything, parent.built_from[1], parent.digest, answers
    )
    index, facts, function = worker.index._memo["test.answer"]  # type: ignore[union-attr,misc]
    assert index is worker.index
    assert facts is worker.index.modules["app.main"]
    assert function is facts.functions["app.main.read"]
    assert worker.index._values == parent._values
    # an index that answered nothing yet sends nothing
    assert _dump_answers(_index(TEXTS)) is None
    held = worker.held
    _load_answers(worker.index, held, answers)
    assert worker.index._memo["test.answer"][0] is worker.index


def test_fixing_in_worker_processes_equals_fixing_in_one(tmp_path: Path) -> None:
    """Rounds of fixes in worker processes (each round's index reaches them as the facts that
    changed) give what one process gives: the fixed texts, findings left and previews."""
    root = tmp_path / "service"
    shutil.copytree(SERVICE, root)
    items = (root / "svc" / "routers" / "items.py").read_text()
    for number in range(PARALLEL_THRESHOLD + 4):
        (root / "svc" / "routers" / f"items_{number:03}.py").write_text(items)
    settings = Settings(unsafe_fixes=True)

    def fix(jobs: int):
        engine = Engine(settings, Mode(fix=True, jobs=jobs, previews=True), Cache.disabled())
        return engine, engine.run([str(root)])

    _, one = fix(1)
    engine, two = fix(2)
    # worker processes did the work, and an index of a later round was shipped to them (as the
    # facts that changed): it holds the facts of fixed texts
    shipped = engine.pool.shipped
    assert engine.pool.count == 2 and shipped is not None
    final = {f.path: f for f in engine.index.built_from[0]}
    assert any(final[f.path] is f for f in shipped.built_from[0] if f.path in two.fixed)
    assert two.stats["fix_rounds"] >= 2  # a later round's index went to them too
    assert two.fixed == one.fixed and len(one.fixed) > PARALLEL_THRESHOLD
    assert [(d.path, d.code, d.span, d.message) for d in two.diagnostics] == [
        (d.path, d.code, d.span, d.message) for d in one.diagnostics
    ]
    assert {p: f.text for p, f in two.previews.items()} == {
        p: f.text for p, f in one.previews.items()
    }
