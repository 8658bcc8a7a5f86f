"""## What it does
Finds calls that block the event loop — `time.sleep`, `requests`, sync `httpx`, `urllib`,
`subprocess`, `os.system`, `open()` and `Path.read_*`/`write_*`, directory listings
(`os.listdir`, `glob.glob`, `Path.iterdir`/`glob` iterated), `tempfile` files, leaving a `with
tempfile.TemporaryDirectory()` block or its `.cleanup()` (the tree is removed), leaving a `with
ThreadPoolExecutor()` block (it waits for its tasks), `shutil` copies and archives,
`zipfile`/`tarfile` extraction, `UploadFile.file` reads and writes, `sqlite3`, `psycopg2`, sync
SQLAlchemy `Session` methods, `smtplib`, `socket` — wherever they run on the event loop: in an
`async def` route or dependency, in the async helpers those await at any depth and across
modules (`route → await svc.create() → run_hook → subprocess.run`), gather or iterate with
`async for`, and in async generators a route streams with
`StreamingResponse`/`EventSourceResponse`. Async handlers of servers the app's process serves on
the same loop are entry points too: socket.io events (`@sio.on("message")`, `@sio.event`,
`sio.on("x", handler)`) of a `socketio.AsyncServer` wrapped in `socketio.ASGIApp`, and MCP
tools, resources and prompts (`@mcp.tool`, `Tool.from_function(f)`, `@server.call_tool()`) when
the project serves an MCP server over HTTP (`mcp.http_app()`, `streamable_http_app()`,
`sse_app()`, a `StreamableHTTPSessionManager`). Calls are followed through project functions,
methods of project classes and functions stored in attributes (`hooks.on_message = handler`),
into the `async def` functions handed to an awaited library call, which runs them (`await
adapter.process_activity(req, bot.on_turn)`), and into those handed to a project function that
calls the parameter it gets them as, or returns it (`await self._trace("chat", self._chat,
payload)`, `await traced(handler, config)(payload)`). A call in a project function that cannot
run for the literal arguments it is given is not followed: `get_secret("OPENAI_API_KEY")` does
not reach an `open()` under `if secret_name.startswith("oidc/"):`, nor `is_blocked(host,
resolve_dns=False)` a DNS lookup after `if not resolve_dns: return False` (tests of a parameter
by truth, `is None`, `==`/`!=` and `startswith`/`endswith`, in `if` tests and early exits; a
parameter assigned on the way keeps no literal). Each call is reported once, where it is made,
with the path from one entry point (the shortest) that reaches it.

## Why is this bad?
FastAPI runs `async def` routes on the event loop itself. One blocking call there freezes the
whole server: every other request waits until it returns.

## Example
```python
@router.get("/data")
async def get_data():
    time.sleep(5)
    return requests.get(URL).json()
```

## Use instead
```python
@router.get("/data")
def get_data():  # FastAPI runs plain `def` routes in its threadpool
    time.sleep(5)
    return requests.get(URL).json()
```
or, when the function must stay async, `await asyncio.sleep(5)` and
`await run_in_threadpool(requests.get, URL)`.

## Fix safety
Safe. In order: `time.sleep(x)` becomes `await asyncio.sleep(x)`; then, when a route or
dependency has no `await`, `async for` or `async with` left, no other decorator, and nothing in
the project calls, awaits or passes it around directly, `async def` becomes `def`; otherwise
each blocking call `f(a, k=v)` becomes `await run_in_threadpool(f, a, k=v)`. In an async helper
the call itself is wrapped: the helper stays `async def`, since others await it. Responses,
status codes, headers and the OpenAPI document stay the same. A lazy directory listing
(`d.glob(p)`, `d.iterdir()`, `os.scandir(d)`) reads the directory where it is consumed, so the
consumer is wrapped instead (`list(d.glob(p))` becomes `await run_in_threadpool(list,
d.glob(p))`); a listing consumed by a `for` loop or a comprehension has no call to move and is
reported without a fix (unless the function can become a plain `def`). Calls in generator
expressions, blocking `with` statements, calls passing `func=` and calls of a project generator
function (`for run in runs.iter_runs():`: the call only builds the generator, whose body runs
where the loop iterates it) are reported without a fix.
So is a call between the check of a shared container (an attribute of `self`, a module-level
object) and its write with no `await` in between (`conn = self.conns.get(k)`, `if conn is None:
conn = Conn(k); self.conns[k] = conn`; `if k not in CACHE: CACHE[k] = load(k)`): the event loop
runs that check-then-write as one step, and an `await` (or a worker thread) would let another
request run between the two (both miss, both build, one object leaks). For the same reason a
route or dependency with such a check-then-write anywhere stays `async def`: its calls are
wrapped instead. A call of a plain function that, itself or through the functions it calls,
needs the running event loop (`asyncio.create_task`, `asyncio.get_running_loop`) is reported
without a fix: in a worker thread it would raise; a route or dependency that calls one stays
`async def`.
What changes at run time: the work runs in a worker thread of AnyIO's limiter (40 by default),
so a call that held the event loop now waits for a free thread when all are busy.

## Known problems
Objects are followed only when their type is visible: constructed in the same function or module (`s
= requests.Session()`, `storage = S3Storage()`), a parameter annotated with the type (`db: Session`,
`svc: UserService`), an attribute set in a method (`self.s3 = boto3.client(...)`) or annotated with
a class or a union of classes (`session: Union[HTTPSession, WsSession]`: a method called on it may
be either's), an item of an attribute holding a sequence of a class (`for element in self.elements`,
`[e.send() for e in self.elements]` with `elements: Optional[List[ElementBased]]`, a `TypeVar`
standing for its `bound`), a module-level object annotated with a class (`context: ChainlitContext =
LazyProxy(...)`), a name unpacked from a call whose return annotation is a fixed-length tuple
(`provider, config = make(name)` with `-> tuple[BaseProvider, Config]`), a name a closure uses from
the function enclosing it (`provider` in an `async def stream()` nested in the route), a value of a
module-level dict (`BACKENDS = {"s3": S3Storage()}`, or annotated `SESSIONS: dict[str, Session] =
{}`, read with `[key]`, `.get`, `.pop`, `.setdefault`, or returned by an unannotated getter), the
result of a function or method whose return annotation names the class, awaited or not (`storage =
make_storage()`, `-> Storage`; `path = await get_config_path()`, `-> Path`;
`app.get_blocks().process_api()`; `encoder = self.detach()`) or, unannotated, whose every `return`
builds an object of a class (`DeployerFactory.create_deployer(p)`: each of them), or run in a thread
(`p = await asyncio.to_thread(make_provider)`), a module-level `Path` imported from another module,
a quoted annotation (`app: "App"`), or a name narrowed by `if isinstance(block, StreamingOutput):`
for the calls in that block. A call of an abstract method (a stub, or `@abstractmethod`;
`store.put()` with `store: Storage`) is followed into each subclass that implements it, also in
modules nothing else leads to; the message names the implementations that block, the chain goes
through the first. A method a class inherits runs with `self` as that class (`BaseDeployer.deploy`
on an `AzureDeployer` calls `AzureDeployer._upload_static_files`), an `async def` one too, and so
does a base's method reached through `super().method()` from a subclass (in `GeminiProvider._chat`
reached from `VertexProvider._chat`, `self.headers` is `VertexProvider`'s). A concrete method
called on an object of a class the project never builds by name (an abstract base, or a base whose
subclass configuration picks: `provider_class = PROVIDERS[name]; provider_class(config)`), `self`
in its own methods included, is followed into each subclass's method, overrides included; on a
class the project builds by name somewhere (`client = ApiClient(url)`), only the class's own.
Reading `self.name` in a method (`def` or `async def`) runs the getter when `name` is a property
(the subclass's, on a subclass; not a `functools.cached_property`, which runs once); such a read
in an `async def` is reported without a fix; a property read on another object is not followed.
An `async def` handed to an awaited library call (`await adapter.process_activity(req,
bot.on_turn)`) runs on the loop and is followed, and so is one handed to a project function that
calls (or returns) the parameter it gets it as, by position or keyword (a wrapper nested in it
calling the parameter counts); one handed to a project function that only keeps it or hands it on
(`await start_task(work=job)` storing `job`), to a call not awaited (`events.register(handler)`),
and a plain `def` handed over (a library may run it in a thread), are not. Each call is reported
once, with the chain to the first blocking call behind it in source order; the other blocking calls
behind the same call (a later call of the helper, another implementation of an abstract method) are
listed after it — the first three in the message, all of them in JSON (`more_sinks`), SARIF (related
locations) and `full` output — and wrapping the call moves them off the loop too. A socket.io server
not wrapped in
`socketio.ASGIApp` or an MCP server run on its own (`mcp.run()`) is not followed; a plain `def`
socket.io or MCP handler (the server calls it on the loop too) is not reported.
Work that runs once rather than per request is not reported: a module-level cache filled under
`if CACHE is None:` (with `global CACHE`) or after `if CACHE: return`, a cache filled after
`if key in cache: return ...` (a module-level cache, or one a call gave), a value a method
keeps on its object (`if self._key is None: self._key = read_key()`), a
`functools.lru_cache`/`cache` function, the default a getter computes only while a
module-level setting is unset (`if _uri is not None: return _uri`, then the fallback). Nor are
a sync generator handed to `StreamingResponse` (Starlette iterates it in the threadpool), a
`with open(...) as f:` whose every use of `f` is already offloaded, and reads of `/proc` and
`/sys`. `Path.glob`/`iterdir`/`rglob`,
`glob.iglob` and `os.scandir` only build an iterator: they are reported where the same function
consumes it (a `for`, a comprehension, `list(...)`, `sorted(...)`, `any(...)`), with a fix only
when a call consumes it (`list(d.glob(x))` becomes `await run_in_threadpool(list, d.glob(x))`);
`os.listdir` and `glob.glob` read the whole directory when called. Single metadata calls
(`os.path.exists`, `Path.mkdir`, `os.makedirs`, `tempfile.mkstemp`, ...) are FF106's. Extend
the list with
`extra-blocking-calls` in `[tool.fastapi-fix]` (qualified names, `*` wildcards).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.blocking import BLOCKING
from fastapi_fixer.analysis.facts import Binding
from fastapi_fixer.fixing.offload import (
    AsyncFunction,
    apply_offload_edits,
    calls_need_running_loop,
    find_offload_candidates,
    opens_race,
    report,
    wrap_fix,
)
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

_SLEEP = ("time.sleep",)
_ASYNCIO_IMPORT = Binding("import", "asyncio")


class BlockingCallInAsync(Rule):
    CODE = "FF101"
    NAME = "blocking-call-in-async"
    SEVERITY = Severity.ERROR
    MESSAGE = "Blocking call `{call}` in async route `{function}`"
    FIX_TITLE = "Move the blocking call off the event loop"
    FIX_SAFETY = FixSafety.SAFE
    TRIGGERS = ("async def",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        for function in find_offload_candidates(ctx, BLOCKING):
            yield from self._check_function(ctx, function)

    def _check_function(self, ctx: FileContext, function: AsyncFunction) -> Iterator[Diagnostic]:
        sleeps = {
            id(f.site)
            for f in function.findings
            if f.chain == _SLEEP
            and not f.site.in_generator
            and not f.site.in_with_item
            and function.resolver.scope.lookup("asyncio") in (None, _ASYNCIO_IMPORT)
        }
        if not function.has_await and not sleeps and self._can_unasync(ctx, function):
            fix = Fix(
                title=f"Make `{function.node.name}` a plain `def` (run in the threadpool)",
                safety=FixSafety.SAFE,
                edits=(Edit(ctx.path, "unasync", ctx.span(function.node)),),
            )
            for finding in function.findings:
                yield report(self, ctx, function, finding, "Blocking call", fix, category=BLOCKING)
            return
        for finding in function.findings:
            fix: Fix | None
            if id(finding.site) in sleeps:
                fix = Fix(
                    title="Replace with `await asyncio.sleep(...)`",
                    safety=FixSafety.SAFE,
                    edits=(Edit(ctx.path, "sleep", ctx.span(finding.site.node)),),
                )
            else:
                fix = wrap_fix(ctx, function, finding.site, finding.chain[0])
            yield report(self, ctx, function, finding, "Blocking call", fix, category=BLOCKING)

    @staticmethod
    def _can_unasync(ctx: FileContext, function: AsyncFunction) -> bool:
        if not function.is_entry:
            return False  # a helper others await must stay `async def`: wrap its calls
        if function.entry not in ("route", "dependency"):
            return False  # socket.io and MCP servers call a plain `def` handler on the loop too
        facts = ctx.index.functions.get(function.qualname)
        if facts is None or facts.is_method or facts.other_decorators:
            return False
        if any(route.method == "websocket" for route in facts.routes):
            return False
        writes = (n for n in ast.walk(function.node) if isinstance(n, (ast.Assign, ast.AugAssign)))
        if any(opens_race(function.node, write) for write in writes):
            return False  # in the threadpool, another request could run between check and write
        if calls_need_running_loop(ctx.index, facts):
            return False  # `asyncio.create_task(...)` in a worker thread raises
        return not ctx.index.is_referenced(function.qualname)

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        return apply_offload_edits(module, edits)

    def fix_source(self, text: str, edits: list[Edit], ctx: FixContext) -> str | None:
        """`fix`'s output written as text edits (`offload.apply_offload_text`); None where
        that is not certain to be what `fix` writes, and outside a fix pass."""
        from fastapi_fixer.fixing.offload import apply_offload_text
        from fastapi_fixer.fixing.textedit import recorded_fix

        return recorded_fix(apply_offload_text, text, edits)
