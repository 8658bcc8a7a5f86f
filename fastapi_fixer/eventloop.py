"""Which functions run on the event loop, and from which entry point (FF101-FF106).

Entry points are the `async def` routes and dependencies: FastAPI awaits them on the event loop.
From there the loop runs every project `async def` function they call (awaited, or handed to
`asyncio.gather`/`create_task`, iterated with `async for`), at any depth and across modules,
and the async generators a route or dependency (even a plain `def` one) passes to a
`StreamingResponse` or `EventSourceResponse`. Calls inside threadpool wrappers
(`run_in_threadpool`, `asyncio.to_thread`, `run_in_executor`, ...) are not followed. Methods are
followed through the project's classes (`index.implementations`).

The table is one project-wide answer (`index.memo`), computed breadth first from the entry
points sorted by name, so each function is reached by a shortest path and the same one every
run. Rules ask about one function with `index.ask(loop_path, qualname)`: the recorded read is
that question, and its answer (the hops, positions included) is what a later run compares.
"""

from __future__ import annotations

from collections import deque

from fastapi_fixer.index import ProjectIndex
from fastapi_fixer.models import Hop

# function -> (entry point, caller, index of the call in the caller's sites); an entry point
# maps to (itself, "", -1)
Reach = dict[str, tuple[str, str, int]]


def reach_table(index: ProjectIndex) -> Reach:
    functions = index.functions
    table: Reach = {}
    queue: deque[str] = deque()

    def reach(entry: str, caller: str, number: int, target: str) -> None:
        for callee in index.implementations(target):
            found = dict.get(functions, callee)
            if found is not None and found.is_async and callee not in table:
                table[callee] = (entry, caller, number)
                queue.append(callee)

    def drain() -> None:
        while queue:
            caller = queue.popleft()
            for number, site in enumerate(dict.__getitem__(functions, caller).sites):
                if site.how != "thread":
                    reach(table[caller][0], caller, number, site.target)

    # plain `def` routes and dependencies: only what they stream runs on the loop, reached
    # after everything the `async def` entry points reach (their paths are the shorter ones)
    streamed: list[tuple[str, int, str]] = []
    for name in sorted(dict.keys(functions)):
        if not (index.is_route(name) or index.is_dependency(name)):
            continue
        facts = dict.__getitem__(functions, name)
        if facts.is_async:
            table[name] = (name, "", -1)
            queue.append(name)
        else:
            streamed.extend(
                (name, number, site.target)
                for number, site in enumerate(facts.sites)
                if site.how == "stream"
            )
    drain()
    for caller, number, target in streamed:
        reach(caller, caller, number, target)
    drain()
    return table


def loop_path(index: ProjectIndex, qualname: str) -> tuple[Hop, ...] | None:
    """How the event loop reaches ``qualname``: the entry point (at its `def`), then each call
    on the way; None when it does not run on the loop."""
    table = index.memo("eventloop.reach", reach_table)
    if qualname not in table:
        return None
    hops: list[Hop] = []
    current = qualname
    for _ in range(len(table) + 1):
        _, caller, number = table[current]
        if not caller:
            facts = index.functions[current]
            hops.append(Hop(current, index.path_of(current), facts.line, facts.col))
            break
        site = index.functions[caller].sites[number]
        hops.append(Hop(current, index.path_of(caller), site.line, site.col))
        if caller not in table:  # streamed by a plain `def` route: the route is the entry
            facts = index.functions[caller]
            hops.append(Hop(caller, index.path_of(caller), facts.line, facts.col))
            break
        current = caller
    return tuple(reversed(hops))
