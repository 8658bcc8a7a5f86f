"""The chain of a blocking call found at depth (FF101-FF103): the `Hop`s from the entry point
through awaited helpers and plain `def` functions to the blocking API, with their places."""

from __future__ import annotations

from pathlib import Path

from fastapi_fixer.models import Diagnostic, Hop
from tests.harness import FIXTURES, copy_case, run

DEEP = FIXTURES / "FF101" / "deep"


def _findings(tmp_path: Path) -> tuple[Path, list[Diagnostic]]:
    root = copy_case(DEEP, tmp_path)
    result = run(root, ["FF101", "FF102", "FF103"], fix=False)
    return root, result.diagnostics


def _relative(root: Path, chain: tuple[Hop, ...]) -> list[tuple[str, str, int, int]]:
    return [
        (
            hop.name,
            Path(hop.path).resolve().relative_to(root.resolve()).as_posix(),
            hop.row,
            hop.column,
        )
        for hop in chain
    ]


def test_awaited_helper_then_sync_helper_across_modules(tmp_path: Path) -> None:
    root, diagnostics = _findings(tmp_path)
    [found] = [d for d in diagnostics if d.path.endswith("users.py") and d.span.line == 13]
    assert _relative(root, found.chain) == [
        ("app.routes.create", "app/routes.py", 17, 0),  # the route, at its `def`
        ("app.services.users.create_user", "app/routes.py", 18, 17),  # await create_user(name)
        ("app.services.users.run_hook", "app/services/users.py", 13, 4),  # run_hook(name)
        ("subprocess.run", "app/services/users.py", 8, 4),  # the blocking API
    ]
    assert "reached from route `create`" in found.message


def test_one_finding_per_call_whichever_routes_reach_it(tmp_path: Path) -> None:
    """`notify` is awaited by two routes; its blocking call is reported once, through the
    shortest path (the route that awaits it directly)."""
    _root, diagnostics = _findings(tmp_path)
    found = [d for d in diagnostics if d.path.endswith("users.py") and d.span.line == 20]
    assert len(found) == 1
    assert [hop.name for hop in found[0].chain] == [
        "app.routes.gathered",
        "app.services.users.notify",
        "time.sleep",
    ]


def test_streamed_async_generator_of_a_plain_def_route(tmp_path: Path) -> None:
    root, diagnostics = _findings(tmp_path)
    [found] = [d for d in diagnostics if d.path.endswith("routes.py") and d.span.line == 38]
    assert _relative(root, found.chain) == [
        ("app.routes.stream", "app/routes.py", 43, 0),
        ("app.routes.ticks", "app/routes.py", 45, 29),  # StreamingResponse(ticks())
        ("time.sleep", "app/routes.py", 38, 8),
    ]


def test_implementations_of_a_base_class_method_are_named(tmp_path: Path) -> None:
    _, diagnostics = _findings(tmp_path)
    [found] = [d for d in diagnostics if d.path.endswith("users.py") and d.span.line == 52]
    assert "1 of 2 implementations block: `app.services.storage.LocalStorage.put`" in found.message
    assert [hop.name for hop in found.chain][-2:] == [
        "app.services.storage.LocalStorage.put",
        "pathlib.Path.write_bytes",
    ]
