"""Which functions run on the event loop, and from which entry point (FF101-FF106).

Entry points are the `async def` routes and dependencies: FastAPI awaits them on the event loop;
and the async handlers of servers made into ASGI apps the same process serves (`loop_entries`):
socket.io events of a `socketio.AsyncServer` wrapped in `socketio.ASGIApp`, MCP tools,
resources and prompts of a `FastMCP` server when the project serves one over HTTP
(`mcp.http_app()`), of a low-level MCP `Server` handed to a `StreamableHTTPSessionManager`.
From there the loop runs every project `async def` function they call (awaited, or handed to
`asyncio.gather`/`create_task`, iterated with `async for`, or handed to an awaited call of a
library, which runs them: `await adapter.process_activity(req, bot.on_turn)`), at any depth
and across modules, and the async generators a route or dependency (even a plain `def` one)
passes to a `StreamingResponse` or `EventSourceResponse`. Calls inside threadpool wrappers
(`run_in_threadpool`, `asyncio.to_thread`, `run_in_executor`, ...) are not followed. Methods are
followed through the project's classes (`index.implementations`).

The table is one project-wide answer (`index.memo`), computed breadth first from the entry
points sorted by name, so each function is reached by a shortest path and the same one every
run. Rules ask about one function with `index.ask(loop_names, qualname)` (no positions), and for
the hops only where they report something (`index.ask(view_path, name)`): the recorded read is
that question, and its answer (the hops, positions included) is what a later run compares.
"""

from __future__ import annotations

from collections import deque

from fastapi_fixer.analysis.facts import CONSTRUCTED, RECEIVER_TYPE, SERVING_METHODS
from fastapi_fixer.analysis.index import VIEW, ProjectIndex, as_seen, self_class
from fastapi_fixer.models import Hop

SOCKETIO_SERVERS = frozenset({"socketio.AsyncServer", "socketio.async_server.AsyncServer"})
SOCKETIO_ASGI = frozenset({"socketio.ASGIApp", "socketio.asgi.ASGIApp"})
FASTMCP = frozenset(
    {
        "fastmcp.FastMCP",
        "fastmcp.server.FastMCP",
        "fastmcp.server.server.FastMCP",
        "mcp.server.fastmcp.FastMCP",
        "mcp.server.fastmcp.server.FastMCP",
    }
)
MCP_LOWLEVEL = frozenset(
    {"mcp.server.Server", "mcp.server.lowlevel.Server", "mcp.server.lowlevel.server.Server"}
)
MCP_SESSION_MANAGERS = frozenset(
    {
        "mcp.server.streamable_http_manager.StreamableHTTPSessionManager",
        "mcp.server.streamable_http.StreamableHTTPSessionManager",
    }
)
MCP_TOOL_CLASSES = frozenset(
    {
        "fastmcp.Tool",
        "fastmcp.tools.Tool",
        "fastmcp.tools.tool.Tool",
        "fastmcp.tools.base.Tool",
        "fastmcp.tools.FunctionTool",
        "fastmcp.tools.tool.FunctionTool",
        "fastmcp.tools.function_tool.FunctionTool",
        "mcp.server.fastmcp.tools.Tool",
        "mcp.server.fastmcp.tools.base.Tool",
    }
)
# the registration APIs of each kind of server, and what its handlers are called in messages
_APIS = {
    "socket.io": frozenset({"on", "event"}),
    "fastmcp": frozenset({"tool", "resource", "prompt", "add_tool"}),
    "mcp-lowlevel": frozenset({"call_tool", "read_resource", "get_prompt"}),
    "mcp-tool": frozenset({"from_function"}),
}
_LABELS = {
    "socket.io": "socket.io handler",
    "fastmcp": "MCP handler",
    "mcp-lowlevel": "MCP handler",
    "mcp-tool": "MCP handler",
}


def _server_kind(index: ProjectIndex, receiver: str) -> str | None:
    """Which kind of server ``receiver`` (as `ModuleFacts.loop_handlers` records it) is."""
    if receiver.startswith(RECEIVER_TYPE):
        name = receiver[len(RECEIVER_TYPE) :]
    elif receiver.startswith(CONSTRUCTED):
        name = receiver[len(CONSTRUCTED) :]
    else:
        binding = index.binding_of(receiver)
        if binding is None or not binding.target.startswith(CONSTRUCTED):
            return None
        name = binding.target[len(CONSTRUCTED) :]
    # the name as written first: `index.resolve` may match an external dotted name to a project
    # module that ends the same way (`fastmcp.tools.base.Tool` to `...capabilities.tools.base`),
    # and only when that module happens to be analysed
    for kind in dict.fromkeys((name, index.resolve(name))):
        if kind in SOCKETIO_SERVERS:
            return "socket.io"
        if kind in MCP_TOOL_CLASSES:
            return "mcp-tool"
        if kind in MCP_LOWLEVEL:
            return "mcp-lowlevel"
        # `FastMCP(...)`, or a classmethod building one: `FastMCP.from_openapi(...)`
        if kind in FASTMCP or kind.rpartition(".")[0] in FASTMCP:
            return "fastmcp"
    return None


def _imports_mcp(module) -> bool:
    return any(
        binding.kind == "import" and binding.target.split(".")[0] in ("fastmcp", "mcp")
        for binding in module.bindings.values()
    )


def loop_entries(index: ProjectIndex) -> dict[str, str]:
    """The async functions registered with a server whose handlers run on the app's event
    loop, with what they are ("socket.io handler", "MCP handler"). A socket.io server counts
    when the project wraps it in `socketio.ASGIApp` (an ASGI app, served like the FastAPI app);
    an MCP server when the project makes one into an ASGI app (`mcp.http_app()`,
    `streamable_http_app()`, `sse_app()` on a `FastMCP`, or on an object of unknown type in a
    module importing fastmcp or mcp), or hands a low-level MCP server to a
    `StreamableHTTPSessionManager`) — not one run on its own (`mcp.run()`, stdio)."""
    served_sockets: set[str] = set()
    serves_mcp = False
    handlers: list[tuple[str, str, str]] = []
    for module in dict.values(index.modules):
        handlers.extend(module.loop_handlers)
        for receiver, api in module.served:
            if api in SERVING_METHODS:
                kind = _server_kind(index, receiver) if receiver else None
                if kind == "fastmcp" or (kind is None and _imports_mcp(module)):
                    serves_mcp = True
                continue
            callee = index.resolve(api)
            if callee in MCP_SESSION_MANAGERS:
                serves_mcp = True
            elif callee in SOCKETIO_ASGI and _server_kind(index, receiver) == "socket.io":
                served_sockets.add(index.resolve(receiver))
    found: dict[str, str] = {}
    for function, receiver, api in sorted(handlers):
        kind = _server_kind(index, receiver)
        if kind is None or api not in _APIS[kind]:
            continue
        if kind == "socket.io":
            if receiver.startswith((RECEIVER_TYPE, CONSTRUCTED)):  # a parameter, a local
                if not served_sockets:
                    continue
            elif index.resolve(receiver) not in served_sockets:
                continue
        elif not serves_mcp:
            continue
        name = index.resolve(function)
        facts = dict.get(index.functions, name)
        if facts is not None and facts.is_async:
            found.setdefault(name, _LABELS[kind])
    return found


# function -> (entry point, caller, index of the call in the caller's sites); an entry point
# maps to (itself, "", -1). A function is named as it runs (`ProjectIndex.facts_of`): a method
# a subclass inherits as `Sub.m`, a base's method reached through `super()` as `B.m@K`, so
# that its `self.x()` calls are the subclass's
Reach = dict[str, tuple[str, str, int]]


def reach_table(index: ProjectIndex) -> Reach:
    functions = index.functions
    table: Reach = {}
    queue: deque[str] = deque()

    def reach(entry: str, caller: str, number: int, target: str) -> None:
        facts = index.facts_of(caller)
        if facts is not None:
            target = as_seen(target, facts.qualname, caller)
            callees = index.loop_callees(target, self_class(caller, facts))
        else:
            callees = index.implementations(target)
        for callee in callees:
            found = index.facts_of(callee)
            if found is not None and found.is_async and callee not in table:
                table[callee] = (entry, caller, number)
                queue.append(callee)

    def drain() -> None:
        while queue:
            caller = queue.popleft()
            for number, site in enumerate(index.facts_of(caller).sites):
                if site.how == "thread" or site.how == "read":
                    continue
                # an `async def` handed to an awaited library call (`await
                # adapter.process_activity(req, bot.on_turn)`): the library runs it, on the
                # loop. One handed to a project function runs when that function calls the
                # parameter it is given as (`await self._trace("chat", self._chat, p)`)
                if (
                    site.how == "passed"
                    and index.implementations(site.via)
                    and not index.calls_argument(site.via, site.arg)
                ):
                    continue
                reach(table[caller][0], caller, number, site.target)

    # plain `def` routes and dependencies: only what they stream runs on the loop, reached
    # after everything the `async def` entry points reach (their paths are the shorter ones)
    streamed: list[tuple[str, int, str]] = []
    others = index.memo("eventloop.entries", loop_entries)
    for name in sorted(dict.keys(functions)):
        if not (index.is_route(name) or index.is_dependency(name) or name in others):
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


def entry_kind(index: ProjectIndex, qualname: str) -> str:
    """What an entry point is, for messages: "route", "dependency", "socket.io handler"..."""
    if index.is_route(qualname):
        return "route"
    return index.memo("eventloop.entries", loop_entries).get(qualname, "dependency")


def _views_table(index: ProjectIndex) -> dict[str, tuple[str, ...]]:
    """Each function the loop runs -> the names it runs as (`Reach`), shortest path first."""
    views: dict[str, list[str]] = {}
    for name in index.memo("eventloop.reach", reach_table):
        facts = index.facts_of(name)
        if facts is not None:
            views.setdefault(facts.qualname, []).append(name)
    return {name: tuple(found) for name, found in views.items()}


def loop_names(index: ProjectIndex, qualname: str) -> tuple[str, ...]:
    """The names the function ``qualname`` runs as on the loop, shortest path first (empty:
    it does not run there). No positions: a check that finds nothing in the function asks only
    this, so a line added above a caller elsewhere does not make it run again."""
    return index.memo("eventloop.views", _views_table).get(qualname, ())


def view_path(index: ProjectIndex, name: str) -> tuple[Hop, ...] | None:
    """How the loop reaches ``name``, one of `loop_names`' answers: the entry point (at its
    `def`), then each call on the way; None when the loop does not reach it (asked again by a
    later run, after an edit)."""
    if name not in index.memo("eventloop.reach", reach_table):
        return None
    return _path(index, name)


def _shown(name: str) -> str:
    """A function's name as a hop shows it: `B.m@K` is `B.m`."""
    return name.partition(VIEW)[0]


def _path(index: ProjectIndex, name: str) -> tuple[Hop, ...]:
    table = index.memo("eventloop.reach", reach_table)
    hops: list[Hop] = []
    current = name
    for _ in range(len(table) + 1):
        _, caller, number = table[current]
        if not caller:
            facts = index.facts_of(current)
            hops.append(Hop(_shown(current), index.path_of(facts.qualname), facts.line, facts.col))
            break
        facts = index.facts_of(caller)
        site = facts.sites[number]
        hops.append(Hop(_shown(current), index.path_of(facts.qualname), site.line, site.col))
        if caller not in table:  # streamed by a plain `def` route: the route is the entry
            hops.append(Hop(_shown(caller), index.path_of(facts.qualname), facts.line, facts.col))
            break
        current = caller
    return tuple(reversed(hops))
