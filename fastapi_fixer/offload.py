"""Shared by the async rules (FF101-FF103): find calls that block the event loop inside `async`
routes and dependencies, and the fixes that move them off it.

The fixes, as edits a rule's fixer applies with LibCST:
- ``sleep``: `time.sleep(x)` -> `await asyncio.sleep(x)`;
- ``unasync``: `async def f` -> `def f` (FastAPI then runs it in its threadpool);
- ``wrap``: `f(a, k=v)` -> `await run_in_threadpool(f, a, k=v)`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi_fixer.facts import CallSite, FunctionNode, Resolver
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.rule import FileContext, Rule

RUN_IN_THREADPOOL = ("fastapi.concurrency", "run_in_threadpool")
_THREADPOOL_NAMES = {
    "fastapi.concurrency.run_in_threadpool",
    "starlette.concurrency.run_in_threadpool",
}


@dataclass
class Finding:
    site: CallSite
    chain: tuple[str, ...]


@dataclass
class AsyncFunction:
    node: FunctionNode
    qualname: str
    resolver: Resolver
    is_route: bool
    findings: list[Finding]
    has_await: bool

    @property
    def kind(self) -> str:
        return "route" if self.is_route else "dependency"


def find_offload_candidates(
    ctx: FileContext, category: str, outranked_by: tuple[str, ...] = ()
) -> Iterator[AsyncFunction]:
    """`async def` routes and dependencies of this file with calls of ``category`` in them.

    A call that also reaches an API of a category in ``outranked_by`` is left to that category's
    rule, so one call is reported once (FF101 before FF102 before FF103)."""
    for node, qualname, resolver in ctx.functions():
        if not isinstance(node, ast.AsyncFunctionDef):
            continue
        is_route = ctx.index.is_route(qualname)
        if not is_route and not ctx.index.is_dependency(qualname):
            continue
        body = ctx.body(node, resolver)
        findings = []
        for site in body.calls:
            if site.target is None or site.awaited or site.in_threadpool:
                continue
            if any(ctx.index.blocking_chain(site.target, other) for other in outranked_by):
                continue
            chain = ctx.index.blocking_chain(site.target, category)
            if chain is not None:
                findings.append(Finding(site, chain))
        if findings:
            yield AsyncFunction(node, qualname, resolver, is_route, findings, body.has_await)


def describe_chain(chain: tuple[str, ...]) -> str:
    return "" if len(chain) == 1 else f" ({' → '.join(chain)})"


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
    if site.in_with_item or site.in_generator:
        return False
    return all(keyword.arg != "func" for keyword in site.node.keywords)


def wrap_edit(ctx: FileContext, site: CallSite, name: str, add_import: bool) -> Edit:
    return Edit(ctx.path, "wrap", ctx.span(site.node), (name, add_import))


def wrap_fix(ctx: FileContext, function: AsyncFunction, site: CallSite) -> Fix | None:
    threadpool = threadpool_name(ctx, function)
    if threadpool is None or not can_wrap(site):
        return None
    return Fix(
        title="Wrap in `await run_in_threadpool(...)`",
        safety=FixSafety.SAFE,
        edits=(wrap_edit(ctx, site, *threadpool),),
    )


def report(
    rule: Rule,
    ctx: FileContext,
    function: AsyncFunction,
    finding: Finding,
    what: str,
    fix: Fix | None,
    hint: str = "",
    with_item_hint: str = "use an async context manager or a plain `def`",
) -> Diagnostic:
    name = finding.chain[0]
    message = (
        f"{what} `{name}` in async {function.kind} `{function.node.name}`"
        f"{describe_chain(finding.chain)}"
    )
    if finding.site.in_with_item and fix is None:
        message += f"; {with_item_hint}"
    if hint:
        message += f"; {hint}"
    return rule.diagnostic(ctx, finding.site.node, message, fix)


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
            fix = wrap_fix(ctx, function, finding.site)
            yield report(rule, ctx, function, finding, what, fix, hint, with_item_hint)


# --- applying the edits (LibCST) ------------------------------------------------------------


def apply_offload_edits(module: cst.Module, edits: list[Edit]) -> cst.Module:

    from fastapi_fixer.cstutil import add_imports, rewrite_at, start_only

    imports: set[tuple[str, str | None]] = set()
    targets = {}
    for edit in edits:
        assert edit.span is not None
        if edit.kind == "sleep":
            targets[("Call", edit.span)] = _to_asyncio_sleep
            imports.add(("asyncio", None))
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
    return add_imports(module, sorted(imports, key=lambda item: (item[0], item[1] or "")))


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
