"""Shared by the async rules (FF101-FF103, FF106): find calls that block the event loop inside
the `async def` functions that run on it — routes, dependencies, and the async helpers they
reach at any depth (`eventloop.py`) — and the fixes that move them off it.

A call is reported where it is made, once, whichever routes reach it; its chain (`Hop`s) runs
from one entry point through the awaited helpers to the call, then through plain `def` project
functions to the blocking API.

The fixes, as edits a rule's fixer applies with LibCST:
- ``sleep``: `time.sleep(x)` -> `await asyncio.sleep(x)`;
- ``unasync``: `async def f` -> `def f` (FastAPI then runs it in its threadpool);
- ``wrap``: `f(a, k=v)` -> `await run_in_threadpool(f, a, k=v)`.

`apply_offload_text` writes the same as text edits at `ast`'s positions (the rules'
`fix_source`), so the fix pass parses no module with LibCST for them where it can be sure.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.blocking import EXIT_BLOCKS, THREADPOOL_WRAPPERS
from fastapi_fixer.analysis.eventloop import entry_kind, loop_names, view_path
from fastapi_fixer.analysis.facts import (
    ITERATED,
    WITH_EXIT,
    CallSite,
    FunctionNode,
    Resolver,
    plain_target,
    read_sites,
    site_targets,
)
from fastapi_fixer.analysis.guards import call_args, encode_args
from fastapi_fixer.analysis.index import as_seen
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Hop

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.facts import FunctionFacts
    from fastapi_fixer.analysis.index import ProjectIndex
    from fastapi_fixer.fixing.textedit import Source, TextEdit
    from fastapi_fixer.rule import FileContext, Rule

RUN_IN_THREADPOOL = ("fastapi.concurrency", "run_in_threadpool")
MORE_SHOWN = 3  # other blocking calls behind a call named in its message (all are in JSON)
_THREADPOOL_NAMES = {
    "fastapi.concurrency.run_in_threadpool",
    "starlette.concurrency.run_in_threadpool",
}


@dataclass
class Finding:
    site: CallSite
    chain: tuple[str, ...]
    target: str = ""  # what the call names (before following classes)
    # how the loop reaches the function when it runs as a subclass's method there (`self`
    # another class, `eventloop.loop_names`), else None (the function's own path)
    path: tuple[Hop, ...] | None = None
    # the call's literal arguments (`guards.call_args`): what they rule out is not followed
    args: str = ""


@dataclass
class AsyncFunction:
    node: FunctionNode
    qualname: str
    resolver: Resolver
    is_route: bool
    findings: list[Finding]
    has_await: bool
    path: tuple[Hop, ...] = ()  # how the event loop reaches it, from its entry point
    entry: str = "route"  # what its entry point is: "route", "dependency", "socket.io handler"...

    @property
    def is_entry(self) -> bool:
        return len(self.path) <= 1

    @property
    def kind(self) -> str:
        return self.entry if self.is_entry else "helper"


def find_offload_candidates(
    ctx: FileContext, category: str, outranked_by: tuple[str, ...] = ()
) -> Iterator[AsyncFunction]:
    """The `async def` functions of this file that run on the event loop, with calls of
    ``category`` in them.

    A call that also reaches an API of a category in ``outranked_by`` is left to that category's
    rule, so one call is reported once (FF101 before FF102 before FF103 before FF106).
    A stub file (`.pyi`) never runs: nothing in it blocks."""
    if ctx.path.endswith(".pyi"):
        return
    for node, qualname, resolver in ctx.functions():
        if not isinstance(node, ast.AsyncFunctionDef):
            continue
        # the names it runs as on the loop: itself, or a subclass's method (`self.x()` is the
        # subclass's); the hops (positions in other files) are asked for only with a finding
        views = ctx.index.ask(loop_names, qualname)
        if not views:
            continue
        facts = ctx.facts.functions.get(qualname)
        decorators = list(facts.other_decorators) if facts is not None else []
        parent = resolver.scope.parent or resolver.scope
        body = ctx.body(node, resolver)
        findings = []
        offloaded = (
            _offloaded_handles(node, resolver)
            if any(site.in_with_item or site.target in _WRAPPING_OPENERS for site in body.calls)
            else set()
        )
        sites = site_targets(node, body, resolver, parent, decorators)
        # `self.headers` reads too: a property's getter runs on the loop
        sites += read_sites(node, parent, decorators)
        for site, written in sites:
            if id(site.node) in offloaded:
                continue  # `with open(p) as f:` whose every use of `f` is in the threadpool
            if written is None or site.awaited or site.in_threadpool:
                continue
            for view in views:
                target = as_seen(written, qualname, view)
                if site.read and not ctx.index.is_getter(target):
                    continue
                if site.in_stream and ctx.index.is_generator(target):
                    break  # a sync generator's body: Starlette iterates it in the threadpool
                args = encode_args(call_args(site.node)) if not site.read else ""
                if any(ctx.index.blocking_chain(target, other, args) for other in outranked_by):
                    break
                chain = ctx.index.blocking_chain(target, category, args)
                if chain is not None:
                    seen = ctx.index.ask(view_path, view)
                    own = seen if seen != ctx.index.ask(view_path, views[0]) else None
                    findings.append(Finding(site, chain, target, own, args))
                    break
        if findings:
            path = ctx.index.ask(view_path, views[0]) or ()
            is_route = ctx.index.is_route(qualname)
            entry = ctx.index.ask(entry_kind, path[0].name if path else qualname)
            yield AsyncFunction(
                node, qualname, resolver, is_route, findings, body.has_await, path, entry
            )


def _offloaded_handles(node: FunctionNode, resolver: Resolver) -> set[int]:
    """The context expressions of `with X as h:` blocks in which every use of ``h`` is inside
    the arguments of a threadpool wrapper (`await asyncio.to_thread(h.read)`): opening the
    handle is all that runs on the event loop, and the I/O is already offloaded."""
    found: set[int] = set()
    wrapped: set[int] | None = None  # computed at the first `with ... as h:`
    for statement in ast.walk(node):
        if not isinstance(statement, ast.With):
            continue
        for item in statement.items:
            handle = item.optional_vars
            if not isinstance(handle, ast.Name):
                continue
            context = item.context_expr
            if isinstance(context, ast.Call) and resolver.qualify(context.func) in EXIT_BLOCKS:
                continue  # its exit blocks, whatever is done with what it gives
            uses = {
                id(child)
                for part in statement.body
                for child in ast.walk(part)
                if isinstance(child, ast.Name) and child.id == handle.id
            }
            if wrapped is None:
                wrapped = _wrapped_nodes(node, resolver)
            if uses and uses <= wrapped:
                found.add(id(item.context_expr))
    found.update(_offloaded_assigned_handles(node, resolver))
    return found


_WRAPPING_OPENERS = frozenset({"os.fdopen"})  # a file object around a descriptor already open


def _wrapped_nodes(node: FunctionNode, resolver: Resolver) -> set[int]:
    """The nodes inside the arguments of a threadpool wrapper's call in ``node``."""
    wrapped: set[int] = set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        is_wrapper = resolver.qualify(call.func) in THREADPOOL_WRAPPERS or (
            isinstance(call.func, ast.Attribute) and call.func.attr == "run_in_executor"
        )
        if is_wrapper:
            for argument in [*call.args, *(k.value for k in call.keywords)]:
                wrapped.update(id(child) for child in ast.walk(argument))
    return wrapped


def _offloaded_assigned_handles(node: FunctionNode, resolver: Resolver) -> set[int]:
    """`f = os.fdopen(fd, "wb")` then `with f:` and only `await asyncio.to_thread(f.write, x)`:
    wrapping the descriptor does no I/O, and every read or write is offloaded."""
    openers: dict[str, ast.Call] = {}
    for statement in ast.walk(node):
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(statement.value, ast.Call)
            and resolver.qualify(statement.value.func) in _WRAPPING_OPENERS
        ):
            name = statement.targets[0].id
            openers[name] = statement.value if name not in openers else None  # type: ignore[assignment]
    openers = {name: call for name, call in openers.items() if call is not None}
    if not openers:
        return set()
    wrapped = _wrapped_nodes(node, resolver)
    closing: set[int] = set()  # `with f:` (no `as`) and `f.close()`
    for child in ast.walk(node):
        if isinstance(child, ast.With):
            closing.update(
                id(item.context_expr) for item in child.items if item.optional_vars is None
            )
        elif (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and child.func.attr == "close"
        ):
            closing.add(id(child.func.value))
    found: set[int] = set()
    for name, call in openers.items():
        uses = [
            child
            for child in ast.walk(node)
            if isinstance(child, ast.Name) and child.id == name and isinstance(child.ctx, ast.Load)
        ]
        if uses and all(id(use) in wrapped or id(use) in closing for use in uses):
            found.add(id(call))
    return found


def describe_chain(chain: tuple[str, ...]) -> str:
    return "" if len(chain) == 1 else f" ({' → '.join(plain_target(name) for name in chain)})"


def _short(qualname: str) -> str:
    return qualname.rpartition(".")[2]


def finding_hops(
    ctx: FileContext, function: AsyncFunction, finding: Finding, category: str
) -> tuple[Hop, ...]:
    """Entry point → awaited helpers → this call → plain `def` functions → the blocking API."""
    span = ctx.span(finding.site.node)
    here = Hop(plain_target(finding.chain[0]), ctx.path, span.line, span.col)
    later = ctx.index.chain_hops(finding.target, category, finding.args)
    later = tuple(replace(hop, name=plain_target(hop.name)) for hop in later)
    path = function.path if finding.path is None else finding.path
    return (*path, here, *later)


def more_sinks(ctx: FileContext, finding: Finding, category: str, sink: Hop) -> tuple[Hop, ...]:
    """The blocking calls behind the finding's call other than the one its chain ends in."""
    if len(finding.chain) < 2:
        return ()  # the call is the blocking API itself
    return tuple(
        replace(hop, name=plain_target(hop.name))
        for hop in ctx.index.blocking_sinks(finding.target, category, finding.args)
        if (hop.path, hop.row, hop.column) != (sink.path, sink.row, sink.column)
    )


def more_sinks_note(more: tuple[Hop, ...]) -> str:
    """The other blocking calls behind the call, for the message: the first few by place."""
    if not more:
        return ""
    shown = ", ".join(f"`{hop.name}` ({hop.path}:{hop.row})" for hop in more[:MORE_SHOWN])
    rest = f" and {len(more) - MORE_SHOWN} more" if len(more) > MORE_SHOWN else ""
    calls = "call" if len(more) == 1 else "calls"
    return f"; {len(more)} more such {calls} behind it: {shown}{rest}"


def implementations_note(ctx: FileContext, finding: Finding, category: str) -> str:
    """Which implementations block, when the call may run one of several (a method of a base
    class, objects chosen by configuration)."""
    implementations = ctx.index.implementations(finding.target)
    if len(implementations) < 2:
        return ""
    blocking = [
        name for name in implementations if ctx.index.blocking_chain(name, category) is not None
    ]
    names = ", ".join(f"`{name}`" for name in blocking)
    return f"; {len(blocking)} of {len(implementations)} implementations block: {names}"


def threadpool_name(ctx: FileContext, function: AsyncFunction) -> tuple[str, bool] | None:
    """The name to call run_in_threadpool by here, and whether an import must be added; None when
    the name is taken by something else."""
    for name, binding in ctx.scope.bindings.items():
        if (
            binding.kind == "import"
            and binding.target in _THREADPOOL_NAMES
            and function.resolver.qualify(ast.Name(id=name)) == binding.target
        ):
            return name, False
    if function.resolver.scope.lookup(RUN_IN_THREADPOOL[1]) is None:
        return RUN_IN_THREADPOOL[1], True
    return None


def can_wrap(site: CallSite) -> bool:
    """A call can move into `run_in_threadpool(f, *args, **kwargs)` unless it is the context
    expression of a `with`, sits in a generator expression, or passes a `func=` keyword (which
    would collide with run_in_threadpool's own parameter)."""
    if site.in_with_item or site.in_generator or site.read:
        return False  # (a property read has no call to move)
    return all(keyword.arg != "func" for keyword in site.node.keywords)


def wrap_edit(ctx: FileContext, site: CallSite, name: str, add_import: bool) -> Edit:
    return Edit(ctx.path, "wrap", ctx.span(site.node), (name, add_import))


# APIs that need the event loop running in the calling thread: in a worker thread they raise
# `RuntimeError: no running event loop`
LOOP_BOUND = frozenset(
    f"asyncio.{module}{name}"
    for module in ("", "tasks.", "events.")
    for name in ("create_task", "ensure_future", "get_running_loop", "current_task", "all_tasks")
) | {"asyncio.get_event_loop", "asyncio.events.get_event_loop", "anyio.get_current_task"}
_LOOP_DEPTH = 4  # project functions followed below the one that would run in the thread


def needs_running_loop(index: ProjectIndex, target: str) -> bool:
    """``target`` (a project function), or a plain function it calls, calls an API that needs
    the running event loop (`asyncio.create_task`): run in a worker thread, it would raise."""
    return index.ask(_needs_running_loop, target)


def _needs_running_loop(index: ProjectIndex, target: str) -> bool:
    pending = [(index.resolve(target), 0)]
    seen: set[str] = set()
    while pending:
        name, depth = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        facts = index.functions.get(name)
        if facts is None or facts.is_async:
            continue  # a library's, or a coroutine function: calling it runs nothing
        for called in facts.calls:
            if _loop_bound(index, called):
                return True
            if depth < _LOOP_DEPTH:
                pending.append((index.resolve(called), depth + 1))
    return False


def calls_need_running_loop(index: ProjectIndex, facts: FunctionFacts) -> str | None:
    """What a function calls itself (not awaited) that needs the running event loop, directly
    or through the plain functions it calls: made a plain `def`, it would run in a worker
    thread and raise. Its name, or None."""
    for called in facts.calls:
        if _loop_bound(index, called) or needs_running_loop(index, called):
            return called
    return None


def _loop_bound(index: ProjectIndex, called: str) -> bool:
    """An API that needs the running loop: asyncio's, or a library object's `create_task`
    (`loop.create_task`, a task group's); a project's own `create_task` (a repository's insert)
    is followed instead."""
    if called in LOOP_BOUND:
        return True
    return called.endswith(".create_task") and index.functions.get(index.resolve(called)) is None


def wrap_fix(
    ctx: FileContext, function: AsyncFunction, site: CallSite, target: str = ""
) -> Fix | None:
    """``target``: the project function the call runs (`Finding.chain[0]`)."""
    if site.consumer is not None:
        # a lazy listing: the directory is read by what consumes it. `list(d.glob(x))` becomes
        # `await run_in_threadpool(list, d.glob(x))` (the same list); a `for` loop or a
        # comprehension has no call to move
        if site.consumer is site.node:
            return None
        site = CallSite(
            site.consumer, None, False, False, site.in_generator, site.in_with_item, False
        )
    threadpool = threadpool_name(ctx, function)
    if threadpool is None or not can_wrap(site) or opens_race(function.node, site.node):
        return None
    if target and needs_running_loop(ctx.index, target):
        return None
    if target and ctx.index.is_generator(target):
        # calling a generator function only builds the generator: its body runs where it is
        # iterated (`for run in traces.iter_runs():`), on the event loop still
        return None
    return Fix(
        title="Wrap in `await run_in_threadpool(...)`",
        safety=FixSafety.SAFE,
        edits=(wrap_edit(ctx, site, *threadpool),),
    )


_WRITES = frozenset({"setdefault", "update", "add", "append", "__setitem__"})


def opens_race(function: FunctionNode, call: ast.AST) -> str | None:
    """The shared container (`self.connections`, a module-level `CACHE`) that ``function``
    reads before ``call`` and writes after it with no `await` in between, so no other request
    can run between the check and the write: `if key not in CACHE: CACHE[key] = load(key)`,
    `conn = self.conns.get(k); if conn is None: conn = Conn(); self.conns[k] = conn`. An
    `await` at the call would let another request in between (both miss, both build, one
    object leaks), so the call is not wrapped. Its source text, or None."""
    local = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}
    local.update(
        n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    )

    def shared(node: ast.AST) -> str | None:
        if isinstance(node, ast.Name) and node.id not in local:
            return node.id  # a module-level or enclosing object
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
        ):
            return f"{node.value.id}.{node.attr}"
        return None

    line = getattr(call, "lineno", 0)
    end = getattr(call, "end_lineno", line)
    reads: dict[str, int] = {}  # container -> line of its last read before the call
    writes: dict[str, int] = {}  # container -> line of its first write at or after the call
    awaits: list[int] = []
    for node in ast.walk(function):
        at = getattr(node, "lineno", 0)
        if isinstance(node, ast.Await) and node is not call:
            awaits.append(at)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = shared(node.func.value)
            if name is None:
                continue
            if node.func.attr in ("get", "__contains__", "__getitem__") and at < line:
                reads[name] = max(reads.get(name, 0), at)
            elif node.func.attr in _WRITES and at >= line:
                writes[name] = min(writes.get(name, at), at)
        elif isinstance(node, ast.Compare) and at < line:
            for op, right in zip(node.ops, node.comparators, strict=True):
                name = shared(right) if isinstance(op, (ast.In, ast.NotIn)) else None
                if name is not None:
                    reads[name] = max(reads.get(name, 0), at)
        elif isinstance(node, ast.Subscript) and (name := shared(node.value)) is not None:
            if isinstance(node.ctx, ast.Load) and at < line:
                reads[name] = max(reads.get(name, 0), at)
            elif isinstance(node.ctx, ast.Store) and at >= line:
                writes[name] = min(writes.get(name, at), at)
    for name, written in sorted(writes.items()):
        read = reads.get(name)
        if read is not None and not any(read <= at <= max(written, end) for at in awaits):
            return name
    return None


def report(
    rule: Rule,
    ctx: FileContext,
    function: AsyncFunction,
    finding: Finding,
    what: str,
    fix: Fix | None,
    hint: str = "",
    with_item_hint: str = "use an async context manager or a plain `def`",
    category: str = "",
) -> Diagnostic:
    name = plain_target(finding.chain[0])
    where = f"async {function.kind} `{function.node.name}`"
    if not function.is_entry:
        where += f" (reached from {function.entry} `{_short(function.path[0].name)}`)"
    message = f"{what} `{name}` in {where}{describe_chain(finding.chain)}"
    message += implementations_note(ctx, finding, category)
    if finding.site.in_with_item and fix is None:
        message += f"; {with_item_hint}"
    if finding.chain[-1].endswith(ITERATED):
        message += "; the directory listing is iterated on the event loop"
        if fix is None and finding.site.consumer is finding.site.node:
            # a `for` loop or a comprehension consumes it: wrapping the call would move nothing
            message += (
                " (no fix: the listing is lazy, so wrapping the call would not move the reads "
                "off the loop)"
            )
    elif finding.chain[-1].endswith(WITH_EXIT):
        if finding.chain[-1].startswith("tempfile."):
            message += "; leaving the `with` removes the directory tree on the event loop"
        else:
            message += "; leaving the `with` waits for the executor's tasks on the event loop"
    if hint:
        message += f"; {hint}"
    if fix is None and (race := opens_race(function.node, finding.site.node)) is not None:
        message += (
            f" (not fixed: moving it off the loop would let another request run between the "
            f"check of `{race}` and its write)"
        )
    elif fix is None and needs_running_loop(ctx.index, finding.chain[0]):
        message += (
            f" (not fixed: `{_short(finding.chain[0])}` needs the running event loop, which a "
            "worker thread does not have)"
        )
    chain = finding_hops(ctx, function, finding, category)
    more = more_sinks(ctx, finding, category, chain[-1])
    message += more_sinks_note(more)
    return rule.diagnostic(ctx, finding.site.node, message, fix, chain=chain, more_sinks=more)


def report_wrappable(
    rule: Rule,
    ctx: FileContext,
    category: str,
    outranked_by: tuple[str, ...],
    what: str,
    hint: str = "",
    with_item_hint: str = "use an async context manager or a plain `def`",
) -> Iterator[Diagnostic]:
    """Every call of ``category`` in this file's async routes and dependencies, each with the
    fix that wraps it in `await run_in_threadpool(...)` where it can (FF102, FF103)."""
    for function in find_offload_candidates(ctx, category, outranked_by):
        for finding in function.findings:
            fix = wrap_fix(ctx, function, finding.site, finding.chain[0])
            yield report(rule, ctx, function, finding, what, fix, hint, with_item_hint, category)


# --- applying the edits (LibCST) ------------------------------------------------------------


def apply_offload_edits(module: cst.Module, edits: list[Edit]) -> cst.Module:

    from fastapi_fixer.fixing.cstutil import (
        add_imports,
        remove_unused_imports,
        rewrite_at,
        start_only,
    )

    imports: set[tuple[str, str | None]] = set()
    targets = {}
    made_unused: list[tuple[str, str | None, str | None]] = []
    for edit in edits:
        assert edit.span is not None
        if edit.kind == "sleep":
            targets[("Call", edit.span)] = _to_asyncio_sleep
            imports.add(("asyncio", None))
            made_unused = [("time", None, None), ("time", "sleep", None)]  # if nothing else uses it
        elif edit.kind == "wrap":
            name, add_import = edit.args
            targets[("Call", edit.span)] = _wrapper(str(name))
            if add_import:
                imports.add(RUN_IN_THREADPOOL)
        elif edit.kind == "unasync":
            targets[("FunctionDef", start_only(edit.span))] = _unasync
        else:
            raise ValueError(f"unknown edit kind {edit.kind}")
    # a wrapped call inside another wrapped call: rewrite inner first, which LibCST's
    # leave order does by itself
    module = rewrite_at(module, targets)
    module = add_imports(module, sorted(imports, key=lambda item: (item[0], item[1] or "")))
    return remove_unused_imports(module, made_unused) if made_unused else module


def _await(call: cst.BaseExpression, as_operand: bool) -> cst.BaseExpression:
    import libcst as cst

    if as_operand:
        return cst.Await(expression=call, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.Await(expression=call)


def _to_asyncio_sleep(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
    import libcst as cst

    assert isinstance(node, cst.Call)
    call = node.with_changes(
        func=cst.Attribute(value=cst.Name("asyncio"), attr=cst.Name("sleep")),
        lpar=[],
        rpar=[],
    )
    return _await(call, as_operand or bool(node.lpar))


def _wrapper(name: str):
    def wrap(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
        import libcst as cst

        assert isinstance(node, cst.Call)
        func = node.func
        first = cst.Arg(value=func)
        args = [first, *node.args]
        if node.args:
            # a call laid out one argument per line keeps that layout
            after = node.whitespace_before_args
            if isinstance(after, cst.ParenthesizedWhitespace):
                after = after.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
            else:
                after = cst.SimpleWhitespace(" ")
            args[0] = first.with_changes(comma=cst.Comma(whitespace_after=after))
        call = cst.Call(
            func=cst.Name(name), args=args, whitespace_before_args=node.whitespace_before_args
        )
        return _await(call, as_operand or bool(node.lpar))

    return wrap


def _unasync(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
    import libcst as cst

    assert isinstance(node, cst.FunctionDef)
    return node.with_changes(asynchronous=None)


def apply_offload_text(
    text: str, edits: list[Edit]
) -> tuple[str, list[tuple[str, str | None]], list[tuple[str, str | None, str | None]]]:
    """`apply_offload_edits`' output written as text edits at `ast`'s positions (the fix pass
    then needs no LibCST parse of the module), the imports it asks for and the ones it would
    remove; raises `textedit.Unsure` where LibCST's layout could differ from the plain reading
    of the text: a parenthesized call or callee, a comment or a backslash before a wrapped
    call's first argument, a generator as an argument, a call in an f-string, `async` and
    `def` not on one line."""
    from fastapi_fixer.fixing.textedit import Source, Unsure, imports_to_ask, splice

    source = Source(text)
    calls: dict[tuple[int, int, int, int], ast.Call] = {}
    defs: dict[tuple[int, int], ast.AsyncFunctionDef] = {}
    in_strings: set[int] = set()  # calls in f-strings, whose `ast` positions may be off
    for node in ast.walk(source.tree):
        if isinstance(node, ast.JoinedStr):
            in_strings.update(id(inner) for inner in ast.walk(node))
        elif isinstance(node, ast.Call):
            calls[source.span_key(node)] = node
            source.parents[id(node.func)] = node
            for child in (*node.args, *node.keywords):
                source.parents[id(child)] = node
        elif isinstance(node, (ast.Attribute, ast.Subscript, ast.Expr)):
            source.parents[id(node.value)] = node
        elif isinstance(node, ast.AsyncFunctionDef):
            defs[(node.lineno, source.char_col(node.lineno, node.col_offset))] = node
    imports: set[tuple[str, str | None]] = set()
    made_unused: list[tuple[str, str | None, str | None]] = []
    changes: list[TextEdit] = []
    for edit in edits:
        span = edit.span
        if span is None:
            raise Unsure("an edit without a place")
        if edit.kind == "unasync":
            function = defs.get((span.line, span.col))
            if function is None:
                raise Unsure("no `async def` at the edit's place")
            changes.append(_unasync_text(source, function))
            continue
        call = calls.get((span.line, span.col, span.end_line, span.end_col))
        if call is None or edit.kind not in ("sleep", "wrap"):
            raise Unsure("no call at the edit's place")
        if id(call) in in_strings:
            raise Unsure("a call in an f-string")
        if edit.kind == "sleep":
            imports.add(("asyncio", None))
            made_unused = [("time", None, None), ("time", "sleep", None)]
            changes.append(_sleep_text(source, call))
        else:
            name, add_import = edit.args
            changes.append(_wrap_text(source, call, str(name)))
            if add_import:
                imports.add(RUN_IN_THREADPOOL)
    return splice(text, changes), imports_to_ask(source.tree, imports), made_unused


def _callee(source: Source, call: ast.Call) -> tuple[int, int, int]:
    """Where the call starts, where its callee ends and where its `(` is; raises `Unsure`
    when the call or its callee is parenthesized, or something else than spaces lies between
    the callee and the `(`."""
    from fastapi_fixer.fixing.textedit import Unsure

    start = source.start_of(call)
    if source.start_of(call.func) != start:
        raise Unsure("a parenthesized callee")
    parent = source.parents.get(id(call))
    if isinstance(parent, ast.Expr) and source.start_of(parent) == start:
        pass  # a statement of its own starting with the call: no parenthesis around it
    elif source.parenthesized(call):
        raise Unsure("a parenthesized call")  # (`parenthesized` raises where it cannot tell)
    func_end = source.end_of(call.func)
    paren = func_end
    while paren < len(source.text) and source.text[paren] == " ":
        paren += 1
    if paren >= len(source.text) or source.text[paren] != "(":
        raise Unsure("no `(` right after the callee")
    return start, func_end, paren


def _awaited(source: Source, call: ast.Call, code: str) -> str:
    """``code`` awaited, in parentheses where the call is the object of an attribute, a
    subscript or a call (`cstutil._is_primary_object`)."""
    parent = source.parents.get(id(call))
    operand = (isinstance(parent, (ast.Attribute, ast.Subscript)) and parent.value is call) or (
        isinstance(parent, ast.Call) and parent.func is call
    )
    return f"(await {code})" if operand else f"await {code}"


def _sleep_text(source: Source, call: ast.Call) -> TextEdit:
    """`time.sleep(x)` -> `await asyncio.sleep(x)` (`_to_asyncio_sleep`)."""
    from fastapi_fixer.fixing.textedit import TextEdit

    start, func_end, _ = _callee(source, call)
    end = source.end_of(call)
    code = "asyncio.sleep" + source.text[func_end:end]
    return TextEdit(start, end, _awaited(source, call, code))


def _wrap_text(source: Source, call: ast.Call, name: str) -> TextEdit:
    """`f(a, k=v)` -> `await name(f, a, k=v)` (`_wrapper`): the callee first, after what
    followed the `(`; before the first argument, a space, or the line break and the
    indentation of the first argument's line when the arguments start on a new line."""
    from fastapi_fixer.fixing.textedit import TextEdit, Unsure

    start, func_end, paren = _callee(source, call)
    end = source.end_of(call)
    text = source.text
    arguments = [*call.args, *call.keywords]
    if any(isinstance(a, ast.GeneratorExp) for a in call.args):
        raise Unsure("a generator as an argument")
    func = text[start:func_end]
    if not arguments:
        inside = text[paren + 1 : end - 1]
        if text[end - 1] != ")" or inside.strip(" \n"):
            raise Unsure("no empty argument list")
        return TextEdit(start, end, _awaited(source, call, f"{name}({inside}{func})"))
    first = min(source.start_of(a) for a in arguments)
    between = text[paren + 1 : first]
    if between.strip(" \n"):
        raise Unsure("something before the first argument")
    after = "\n" + between.rpartition("\n")[2] if "\n" in between else " "
    code = f"{name}({between}{func},{after}{text[first:end]}"
    return TextEdit(start, end, _awaited(source, call, code))


def _unasync_text(source: Source, function: ast.AsyncFunctionDef) -> TextEdit:
    """`async def f` -> `def f` (`_unasync`)."""
    from fastapi_fixer.fixing.textedit import TextEdit, Unsure

    start = source.offset(function.lineno, source.char_col(function.lineno, function.col_offset))
    text = source.text
    if not text.startswith("async", start):
        raise Unsure("no `async` at the function's place")
    at = start + len("async")
    while at < len(text) and text[at] == " ":
        at += 1
    if at == start + len("async") or not text.startswith("def", at):
        raise Unsure("`async` and `def` not on one line")
    return TextEdit(start, at, "")
