"""## What it does
Finds startup and shutdown handlers registered with the deprecated `@app.on_event("startup")` /
`@app.on_event("shutdown")` decorators, `app.add_event_handler("startup", fn)` (FastAPI versions
that still have it) or their `app.router.on_event`/`app.router.add_event_handler` forms, in any
module (the app may be imported: `from app.main import app`), and migrates all the handlers of
one app into a single `lifespan` context manager passed as `FastAPI(lifespan=...)`.

## Why is this bad?
`on_event` is deprecated: Starlette removed it and FastAPI only keeps a copy for compatibility.
Worse, it does not mix with `lifespan`: once an app has `lifespan=`, every `on_event` handler is
silently ignored. A `lifespan` keeps setup and teardown of a resource side by side.

## Example
```python
app = FastAPI()

@app.on_event("startup")
async def connect_db():
    await db.connect()

@app.on_event("shutdown")
def close_cache():
    cache.close()
```

## Use instead
```python
@asynccontextmanager
async def lifespan(app: FastAPI):
    await connect_db()
    try:
        yield
    finally:
        close_cache()

app = FastAPI(lifespan=lifespan)

async def connect_db():
    await db.connect()

def close_cache():
    cache.close()
```

## Fix safety
Safe: the app starts and stops exactly as before. The handler functions stay where they are, only
their `on_event` decorators (or `add_event_handler` calls) go; the new `lifespan`, placed right
before `app = FastAPI(...)`, calls them in registration order — sync ones called, async ones
awaited, like FastAPI's default lifespan. Registration order across modules is the order the
decorators run when the app's module is imported (its imports are replayed, parents first).

Shutdown semantics follow FastAPI's `_DefaultLifespan` (the copy of Starlette's that FastAPI
keeps): the startup handlers run one after another and a failing one stops startup, with no
shutdown handler run; after a successful startup the shutdown handlers run when the app stops,
also when the server's lifespan task ends with an exception. Hence the startup calls come before
`try:` and the shutdown calls sit in `finally:`.

Handlers registered in another module than the one constructing the app are imported *inside* the
`lifespan` function (`from app.events import connect_db`): that module imports `app` from the
app's module, so a top-level import there would be an import cycle. At lifespan time both modules
are already loaded, so the import is a lookup in `sys.modules`. When the app's module does not
import a registering module at load time (so its handlers only run if something else imports it),
no fix is offered.

An app that already has `lifespan=` never ran its `on_event` handlers (FastAPI ignores them then);
the fix wraps the existing lifespan — the new one runs the startup handlers, enters the old one
around its `yield` and runs the shutdown handlers — and is unsafe, since handlers that never ran
now run.

Report only: handlers of an `APIRouter` (FastAPI runs them twice when the router is included in an
app without a lifespan, once with one); `app.router.on_startup.append(...)`,
`app.router.lifespan_context = ...` and `FastAPI(on_startup=[...])` (a lifespan disables or
replaces them), and they block the fix of that app's other handlers; handlers that are not plain
module-level functions (other decorators, lambdas, `partial`, methods, library functions, a name
bound twice), registrations inside functions or `if` blocks, and apps built in a factory function.

## Known problems
The order replay assumes the app's module is the first project module imported (as with
`uvicorn app.main:app`); a different entry point that imports a handler module first registers
in a different order. An import made only for its `@app.on_event` side effect
(`from app.main import app` in the handler module) is kept, and may become unused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.on_event_handlers import (
    KEY,
    AppConstruction,
    EventFacts,
    Registration,
)
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex

_ACM = "contextlib.asynccontextmanager"
_EVENTS = ("startup", "shutdown")
_LIFESPAN_NAMES = ("lifespan", "app_lifespan", "fastapi_lifespan")


@dataclass
class _Plan:
    fix: Fix | None = None
    reason: str = ""  # why there is no fix (empty when there is one)
    note: str = ""  # said in the message when the fix is unsafe


def _events(index: ProjectIndex, module: str) -> EventFacts | None:
    facts = index.modules.get(module)
    found = facts.extra.get(KEY) if facts is not None else None
    return found if isinstance(found, EventFacts) else None


def _event_modules(index: ProjectIndex) -> list[str]:
    """Modules with event facts, sorted (once per run)."""
    return sorted(name for name in index.modules if _events(index, name) is not None)


def _position(line: int, col: int, end_line: int, end_col: int) -> SimpleNamespace:
    return SimpleNamespace(lineno=line, col_offset=col, end_lineno=end_line, end_col_offset=end_col)


class OnEventHandlers(Rule):
    CODE = "FF706"
    NAME = "on-event-handlers"
    SEVERITY = Severity.WARNING
    MESSAGE = 'Deprecated `on_event("{event}")` handler `{handler}`'
    FIX_TITLE = "Move the startup/shutdown handlers into a `lifespan` context manager"
    FIX_SAFETY = FixSafety.SAFE
    TRIGGERS = ("on_event", "add_event_handler", "on_startup", "on_shutdown", "lifespan_context")

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        facts = ctx.facts.extra.get(KEY)
        if not isinstance(facts, EventFacts):
            return
        plans: dict[str, _Plan] = {}
        for registration in facts.registrations:
            if registration.receiver is None:
                continue
            kind, app = _receiver_kind(ctx.index, registration.receiver)
            where = _position(
                registration.line,
                registration.col,
                registration.end_line,
                registration.end_col,
            )
            what = _describe(registration)
            if kind == "router":
                yield self.diagnostic(
                    ctx,
                    where,  # type: ignore[arg-type]
                    f"{what} on an `APIRouter`; FastAPI runs it twice when the router is "
                    "included in an app without `lifespan`: move it into the app's `lifespan` "
                    "by hand",
                )
                continue
            if kind != "app":
                continue
            if app not in plans:
                plans[app] = _plan(ctx.index, app)
            plan = plans[app]
            own = _registration_problem(ctx.index, registration)
            if own or plan.fix is None:
                message = (
                    f"{what}; move it into a `lifespan` context manager by hand "
                    f"(no automatic fix: {own or plan.reason})"
                )
            elif plan.note:
                message = f"{what}; use a `lifespan` context manager ({plan.note})"
            else:
                message = f"{what}; use a `lifespan` context manager"
            yield self.diagnostic(ctx, where, message, plan.fix)  # type: ignore[arg-type]
        for hook in facts.router_hooks:
            if hook.owner is None or ctx.index.app_kind(hook.owner) != "app":
                continue
            where = _position(hook.line, hook.col, hook.end_line, hook.end_col)
            yield self.diagnostic(
                ctx,
                where,  # type: ignore[arg-type]
                f"Startup/shutdown hook `{hook.what}` bypasses `lifespan`; move it into a "
                "`lifespan` context manager by hand",
            )

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        return _apply(module, edits)


def _receiver_kind(index: ProjectIndex, receiver: str) -> tuple[str | None, str]:
    """(`app`/`router`/None, the app's qualified name). `app.router.on_event` registers on the
    app exactly like `app.on_event` (FastAPI's `app.on_event` delegates to it)."""
    if receiver.endswith(".router") and index.app_kind(receiver[: -len(".router")]) == "app":
        receiver = receiver[: -len(".router")]
    kind = index.app_kind(receiver)
    return kind, index.resolve(receiver) if kind == "app" else ""


def _describe(registration: Registration) -> str:
    event = f'"{registration.event}"' if registration.event else "..."
    handler = f" `{registration.local_name}`" if registration.local_name else ""
    if registration.kind == "decorator":
        return f"Deprecated `on_event({event})` handler{handler}"
    return f"Deprecated `add_event_handler({event}, ...)` handler{handler}"


# --- planning one app's migration ------------------------------------------------------------


@dataclass
class _Load:
    """Replays the project's module-level imports from the app's module."""

    index: ProjectIndex
    loaded: set[str] = field(default_factory=set)
    order: list[tuple[str, Registration]] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)

    def load(self, name: str) -> None:
        parts = name.split(".")
        for end in range(1, len(parts) + 1):
            self._single(".".join(parts[:end]))

    def _single(self, name: str) -> None:
        if name in self.loaded or name not in self.index.modules:
            return
        self.loaded.add(name)
        events = _events(self.index, name)
        if events is None:
            return
        for kind, value in events.steps:
            if kind == "import":
                for imported in value:  # type: ignore[union-attr]
                    self._single(imported)
            elif kind == "maybe-import":
                for imported in value:  # type: ignore[union-attr]
                    if imported not in self.loaded and self._registers(imported):
                        self.uncertain.append(imported)
            elif kind == "register":
                self.order.append((name, events.registrations[value]))  # type: ignore[index]

    def _registers(self, name: str) -> bool:
        trial = _Load(self.index, set(self.loaded))
        trial.load(name)
        return bool(trial.order)


def _plan(index: ProjectIndex, app: str) -> _Plan:
    module, _, app_name = app.rpartition(".")
    events = _events(index, module)
    construction = next((a for a in events.apps if a.name == app_name), None) if events else None
    if construction is None:
        return _Plan(reason=f"`{app}` is not built by `FastAPI(...)` at module level")
    if construction.star_kwargs:
        return _Plan(reason="`FastAPI(**...)` may already pass `lifespan`")
    if construction.on_startup:
        return _Plan(reason="`FastAPI(on_startup=/on_shutdown=...)` handlers need moving by hand")

    registrations: list[tuple[str, Registration]] = []
    for name in index.memo("FF706.event_modules", _event_modules):
        found = _events(index, name)
        if found is None:
            continue
        for registration in found.registrations:
            receiver = registration.receiver
            if receiver is None:
                continue
            kind, owner = _receiver_kind(index, receiver)
            if kind == "router":
                return _Plan(reason=f"an `APIRouter` in `{name}` registers `on_event` handlers")
            if kind == "app" and owner == app:
                registrations.append((name, registration))
        for hook in found.router_hooks:
            if hook.owner is not None and index.resolve(hook.owner) == app:
                return _Plan(reason=f"`{hook.what}` in `{name}` needs moving by hand")

    for name, registration in registrations:
        problem = _registration_problem(index, registration)
        if problem:
            return _Plan(reason=f"{problem} (`{name}`, line {registration.line})")

    replay = _Load(index)
    replay.load(module)
    if replay.uncertain:
        return _Plan(
            reason=f"`{replay.uncertain[0]}` is imported conditionally and registers handlers"
        )
    ordered = [
        item for item in replay.order if _receiver_kind(index, item[1].receiver or "")[1] == app
    ]
    missing = [name for name, r in registrations if (name, r) not in ordered]
    if missing:
        return _Plan(
            reason=f"`{module}` does not import `{missing[0]}` at load time, so its handlers "
            "run only if something else imports it"
        )

    bindings = index.modules[module].bindings
    acm = bindings.get("asynccontextmanager")
    if acm is not None and not (acm.kind == "import" and acm.target == _ACM):
        return _Plan(reason=f"`asynccontextmanager` means something else in `{module}`")
    taken = set(bindings)
    lifespan = next((n for n in _LIFESPAN_NAMES if n not in taken), None)
    if lifespan is None:
        return _Plan(reason="every name tried for the lifespan is taken")

    old = ""
    safety = FixSafety.SAFE
    note = ""
    if construction.lifespan is not None:
        old_problem = _old_lifespan_problem(index, module, construction)
        if old_problem:
            return _Plan(reason=old_problem)
        old = construction.lifespan_name or ""
        safety = FixSafety.UNSAFE
        note = (
            "the app already has `lifespan=`, so FastAPI never ran these handlers; "
            "the fix makes them run"
        )

    # names the lifespan calls: the app module's own, or imported inside the lifespan
    used: dict[str, str] = {"app": "", lifespan: ""}  # local name -> qualified
    imports: list[tuple[str, str, str]] = []
    startup: list[tuple[str, bool]] = []
    shutdown: list[tuple[str, bool]] = []
    for _, registration in ordered:
        handler = index.resolve(registration.handler or "")
        function = index.functions[handler]
        defining, _, function_name = handler.rpartition(".")
        names = [registration.local_name or "", function_name]
        known = next((n for n in names if n and index.resolve(f"{module}.{n}") == handler), None)
        if defining == module and known is None:
            return _Plan(reason=f"`{function_name}` is rebound in `{module}`")
        if known is not None and bindings.get(known) is not None:
            local = known  # the app's module already has the handler under this name
        else:
            if defining not in replay.loaded:
                return _Plan(reason=f"`{defining}` is not loaded when the app starts")
            local = function_name
            if used.get(local, handler) != handler:
                local = f"{defining.rpartition('.')[2]}_{function_name}"
                if used.get(local, handler) != handler:
                    return _Plan(reason=f"no free name to import `{handler}` as")
            entry = (defining, function_name, "" if local == function_name else local)
            if entry not in imports:
                imports.append(entry)
        if used.get(local, handler) != handler:
            return _Plan(reason=f"two handlers are both named `{local}`")
        used[local] = handler
        (startup if registration.event == "startup" else shutdown).append(
            (local, function.is_async)
        )

    edits: list[Edit] = [
        Edit(
            index.modules[module].path,
            "lifespan",
            None,
            (
                app_name,
                lifespan,
                construction.constructor,
                acm is None,
                tuple(imports),
                tuple(startup),
                tuple(shutdown),
                old,
            ),
        )
    ]
    for name, registration in registrations:
        # located by names, not positions: the edits of other files must survive a line added
        # above them (findings are cached by what other files mean, not where)
        path = index.modules[name].path
        if registration.kind == "decorator":
            args = (registration.local_name, registration.receiver_text)
            edits.append(Edit(path, "drop-decorator", None, args))
        else:
            args = (registration.receiver_text, registration.event, registration.local_name)
            edits.append(Edit(path, "drop-call", None, args))
    title = f"Move the startup/shutdown handlers of `{app_name}` into `{lifespan}`"
    return _Plan(fix=Fix(title, safety, tuple(edits)), note=note)


def _registration_problem(index: ProjectIndex, registration: Registration) -> str:
    if registration.event not in _EVENTS:
        return 'the event is not a literal `"startup"`/`"shutdown"`'
    if not registration.top_level:
        return "a handler is registered inside a function or a block"
    if registration.handler is None or registration.receiver_text is None:
        return "a handler is not a plain function name"
    if registration.other_decorators:
        return "a handler has other decorators"
    if registration.name_bindings != 1:
        return f"`{registration.local_name}` is bound more than once"
    function = index.functions.get(index.resolve(registration.handler))
    if function is None:
        return f"`{registration.handler}` is not a function of the project"
    if function.is_method or function.is_nested:
        return f"`{function.name}` is not a module-level function"
    if registration.kind == "call" and function.other_decorators:
        return f"`{function.name}` has decorators"
    return ""


def _old_lifespan_problem(index: ProjectIndex, module: str, app: AppConstruction) -> str:
    if not app.lifespan or not app.lifespan_name:
        return "`lifespan=` is not a plain name"
    function = index.functions.get(index.resolve(app.lifespan))
    if (
        function is None
        or not function.is_async
        or function.is_method
        or function.is_nested
        or _ACM not in function.other_decorators
    ):
        return "the existing `lifespan=` is not an `@asynccontextmanager` function of the project"
    return ""


# --- applying the edits (LibCST) ------------------------------------------------------------


def _apply(module: cst.Module, edits: list[Edit]) -> cst.Module:
    from fastapi_fixer.fixing.cstutil import NodeNotFound, add_imports

    decorators = {e.args for e in edits if e.kind == "drop-decorator"}
    calls = {e.args for e in edits if e.kind == "drop-call"}
    if decorators or calls:
        body, found = _remove_registrations(module, decorators, calls)  # type: ignore[arg-type]
        missing = (decorators | calls) - found
        if missing:
            raise NodeNotFound(f"no handler registration {sorted(map(repr, missing))[0]}")
        module = module.with_changes(body=body)
    for edit in edits:
        if edit.kind == "lifespan":
            module = _insert_lifespan(module, edit.args)
            if edit.args[3]:
                module = add_imports(module, [("contextlib", "asynccontextmanager")])
    return module


def _dotted_cst(node: cst.BaseExpression) -> str | None:
    import libcst as cst

    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted_cst(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if len(positional) > position:
        return positional[position].value
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    return None


def _string(node: cst.BaseExpression | None) -> str | None:
    import libcst as cst

    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _remove_registrations(
    module: cst.Module,
    decorators: set[tuple[str, str]],
    calls: set[tuple[str, str, str]],
) -> tuple[list[cst.CSTNode], set[tuple]]:
    """Module-level statements without the given `on_event` decorators (function name, receiver)
    and `add_event_handler` calls (receiver, event, handler name)."""
    import libcst as cst

    found: set[tuple] = set()
    body: list[cst.CSTNode] = []
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef):
            kept = []
            for decorator in statement.decorators:
                expression = decorator.decorator
                if (
                    isinstance(expression, cst.Call)
                    and isinstance(expression.func, cst.Attribute)
                    and expression.func.attr.value == "on_event"
                ):
                    key = (statement.name.value, _dotted_cst(expression.func.value))
                    if key in decorators:
                        found.add(key)
                        continue
                kept.append(decorator)
            if len(kept) != len(statement.decorators):
                statement = statement.with_changes(decorators=kept)
        elif isinstance(statement, cst.SimpleStatementLine):
            small = []
            for item in statement.body:
                key = _call_key(item)
                if key is not None and key in calls:
                    found.add(key)
                    continue
                small.append(item)
            if not small:
                continue
            if len(small) != len(statement.body):
                small[-1] = small[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
                statement = statement.with_changes(body=small)
        body.append(statement)
    return body, found


def _call_key(item: cst.BaseSmallStatement) -> tuple[str | None, ...] | None:
    import libcst as cst

    if not (isinstance(item, cst.Expr) and isinstance(item.value, cst.Call)):
        return None
    call = item.value
    if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_event_handler"):
        return None
    handler = _argument(call, 1, "func")
    return (
        _dotted_cst(call.func.value),
        _string(_argument(call, 0, "event_type")),
        handler.value if isinstance(handler, cst.Name) else None,
    )


def _lifespan_source(args: tuple[object, ...], indent: str) -> str:
    _, name, annotation, _, imports, startup, shutdown, old = args
    lines = ["@asynccontextmanager", f"async def {name}(app: {annotation}):"]
    body: list[str] = []
    by_module: dict[str, list[str]] = {}
    for source, function, alias in imports:  # type: ignore[union-attr]
        by_module.setdefault(source, []).append(f"{function} as {alias}" if alias else function)
    for source, names in by_module.items():
        body.append(f"from {source} import {', '.join(names)}")
    if by_module:
        body.append("")
    for call, is_async in startup:  # type: ignore[union-attr]
        body.append(f"{'await ' if is_async else ''}{call}()")
    inner = [f"async with {old}(app) as state:", f"{indent}yield state"] if old else ["yield"]
    if shutdown:
        body.append("try:")
        body.extend(indent + line for line in inner)
        body.append("finally:")
        for call, is_async in shutdown:  # type: ignore[union-attr]
            body.append(f"{indent}{'await ' if is_async else ''}{call}()")
    else:
        body.extend(inner)
    lines.extend(indent + line if line else "" for line in body)
    return "\n".join(lines) + "\n"


def _insert_lifespan(module: cst.Module, args: tuple[object, ...]) -> cst.Module:
    import libcst as cst

    from fastapi_fixer.fixing.cstutil import NodeNotFound

    app_name, lifespan = str(args[0]), str(args[1])
    old = str(args[7])
    function = cst.parse_statement(
        _lifespan_source(args, module.default_indent), config=module.config_for_parsing
    )
    body = list(module.body)
    for position, statement in enumerate(body):
        call = _app_call(statement, app_name)
        if call is None:
            continue
        new_call = _with_lifespan(call, lifespan, replace=bool(old))
        new_statement = statement.deep_replace(call, new_call)
        assert isinstance(new_statement, cst.SimpleStatementLine)
        comments = [line for line in new_statement.leading_lines if line.comment is not None]
        new_statement = new_statement.with_changes(
            leading_lines=[cst.EmptyLine(), cst.EmptyLine(), *comments]
        )
        blank = [cst.EmptyLine(), cst.EmptyLine()] if position else []
        assert isinstance(function, cst.FunctionDef)
        function = function.with_changes(leading_lines=blank)
        body[position : position + 1] = [function, new_statement]
        return module.with_changes(body=body)
    raise NodeNotFound(f"no module-level `{app_name} = FastAPI(...)`")


def _app_call(statement: cst.CSTNode, app_name: str) -> cst.Call | None:
    import libcst as cst

    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    assign = statement.body[0]
    if isinstance(assign, cst.Assign):
        if len(assign.targets) != 1:
            return None
        target = assign.targets[0].target
    elif isinstance(assign, cst.AnnAssign):
        target = assign.target
    else:
        return None
    if not (isinstance(target, cst.Name) and target.value == app_name):
        return None
    return assign.value if isinstance(assign.value, cst.Call) else None


def _with_lifespan(call: cst.Call, lifespan: str, replace: bool) -> cst.Call:
    import libcst as cst

    if replace:
        args = [
            arg.with_changes(value=cst.Name(lifespan))
            if arg.keyword is not None and arg.keyword.value == "lifespan"
            else arg
            for arg in call.args
        ]
        return call.with_changes(args=args)
    new_arg = cst.Arg(
        keyword=cst.Name("lifespan"),
        value=cst.Name(lifespan),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
    if not call.args:
        return call.with_changes(args=[new_arg])
    args = list(call.args)
    last = args[-1]
    if isinstance(last.comma, cst.Comma):
        # `FastAPI(\n    title="x",\n)`: the new argument goes on its own line, same layout
        between: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace(" ")
        if isinstance(last.comma.whitespace_after, cst.ParenthesizedWhitespace):
            between = call.whitespace_before_args
            previous = args[-2].comma if len(args) > 1 else None
            if isinstance(previous, cst.Comma):
                between = previous.whitespace_after
        args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=between))
        args.append(new_arg.with_changes(comma=last.comma))
    else:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        args.append(new_arg)
    return call.with_changes(args=args)
