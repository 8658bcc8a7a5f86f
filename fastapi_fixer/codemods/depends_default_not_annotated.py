"""## What it does
Finds parameters whose default is a FastAPI parameter marker — `Depends(...)`, `Security(...)`,
`Query(...)`, `Path(...)`, `Header(...)`, `Cookie(...)`, `Body(...)`, `Form(...)`, `File(...)`
from `fastapi` (or `fastapi.params`) — instead of carrying it in `Annotated`. A plain function
(no decorator, not a method, not a route or dependency) that the project only ever calls
directly (`indexer(request, files, user_agent)`, never named as a value: not handed to
`Depends`, `add_api_route` or anything else) is left alone: FastAPI never reads its markers, so
the advice there is to drop them, not to move them.

## Why is this bad?
With the marker as the default, the function's signature lies: `user: User = Depends(get_user)`
says `user` defaults to a `Depends` object, so calling the function directly (in a test, from
another function) silently passes that object around, type checkers cannot help, and the
dependency cannot be shared as a type alias (`CurrentUser = Annotated[User, Depends(get_user)]`).
FastAPI recommends `Annotated` since 0.95.

## Example
```python
@router.get("/items")
async def list_items(
    q: str = Query("", max_length=50),
    page: int | None = Query(default=None),
    user: User = Depends(get_current_user),
):
    ...
```

## Use instead
```python
@router.get("/items")
async def list_items(
    *,
    q: Annotated[str, Query(max_length=50)] = "",
    page: Annotated[int | None, Query()] = None,
    user: Annotated[User, Depends(get_current_user)],
):
    ...
```

## Fix safety
Safe. The marker moves into `Annotated[<annotation>, <marker>]` and its default becomes the
parameter's default: `Query("")` → `Annotated[str, Query()] = ""`,
`Query(default=None, max_length=5)` → `Annotated[..., Query(max_length=5)] = None`; a required
marker (`Query(...)`, `Query(default=...)`, `Query()`, `Path()`, any `Depends`/`Security`) leaves
no default. A default never stays inside the marker (FastAPI rejects that in `Annotated`).
`Depends()` without an argument (a class dependency) keeps its annotation as the class:
`Annotated[C, Depends()]`. An unannotated dependency parameter gets what the dependency
gives: `x = Depends(get_user)` → `x: Annotated[User, Depends(get_user)]` when `get_user` is
annotated `-> User` (a generator's `-> Iterator[Session]` gives `Session`), `Depends(C)` gives
`C`. A name the type needs is imported when the module does not have it: from where the
dependency's module imports it (a library) or from the project module that defines it, unless
the name is taken here, was imported only under `if TYPE_CHECKING:`, or that module imports this
one back. Otherwise, and for other markers, the parameter gets `Any`, which is exactly how
FastAPI reads a missing annotation. `Annotated` (and `Any`) are imported from `typing` unless the
module already has them (from `typing` or `typing_extensions`); a project that declares support
for Python before 3.9 (`requires-python`) gets `typing_extensions.Annotated`.

When a parameter loses its default and a parameter before it keeps one, Python needs the order
fixed. Moving parameters would reorder the OpenAPI document's parameter list, so the fix makes
the parameters from the first defaulted one onward keyword-only instead (inserting `*`): FastAPI
passes every argument by name, so the route, its OpenAPI document and its responses are
unchanged. That is done only for routes and dependencies that nothing calls directly;
otherwise such a function is reported without a fix. When a function may be called directly
(it is referenced elsewhere, or it is a method — `__init__` of a class dependency counts as
called wherever the class is referenced) and a parameter loses its default (`Depends`,
required markers), the fix is unsafe: a direct call that left that argument out now fails.
Parameters that keep a default stay safe: a direct call gets the real default instead of a
marker object.

Reported without a fix: a marker with `*args`/`**kwargs` or several positional arguments, a string
annotation, an annotation that already is `Annotated`, an annotation that is an `Annotated` alias (a
project's `Pet = Annotated[Cat | Dog, Discriminator("kind")]`, pydantic's `PositiveInt`, a
`conint(...)` call: FastAPI ignores the alias's metadata while the marker is the default, and reads
it once the marker joins it, so validation, error bodies and the OpenAPI document would change), a
default that is computed and may be `...` at run time (`Form(default=... if required else None)`, a
name bound to `...`: `...` means required only inside the marker, and as a parameter default FastAPI
fails every request without the value; a literal, a name, an attribute, arithmetic of those or a
bool such as `not FLAG` is moved), `Depends()` without an argument or an annotation, a function
nested in another one in a module with `from __future__ import annotations` (the moved marker would
be evaluated in the module's namespace), an annotation that names something the module imports
only under `if TYPE_CHECKING:` or defines below the function, in a module with
`from __future__ import annotations` (FastAPI evaluates the whole
`Annotated[User, Depends(get_user)]` when it reads the route; it fails on `User`, the parameter
keeps an unevaluated annotation and loses its marker: a dependency becomes a required body field
and `openapi()` raises, while `user: User = Depends(get_user)` works), and a module where
`Annotated` or `Any` means something else.

## Known problems
Not reported in test modules (a test app exercises whichever form it tests) nor in a project that
declares support for FastAPI before 0.95, which does not read `Annotated` (`fastapi>=0.65.2` in
its pyproject.toml, setup.cfg, setup.py, requirements file or built package metadata, found in
the code base's folder or up to three folders above). A requirement without a lower bound is
taken as a modern FastAPI. The cache does not notice an edit of those files alone: after
changing the declared FastAPI version, run once with `--no-cache`. A module that is a variant of
a sibling defining the same functions (`tutorial001_non_an.py` next to `tutorial001.py`,
documentation showing both styles) is not reported either. Markers imported from other
libraries with the same names are not touched (they are recognised by their qualified name).
Comments inside a parameter list stay at their position when `*` is inserted.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.routing import is_test_module
from fastapi_fixer.analysis.facts import FunctionNode, Resolver
from fastapi_fixer.codemods.global_resource_in_route import name_or_import
from fastapi_fixer.fixing.dependency_types import (
    annotated_name,
    bound_before,
    dependency_target,
    dependency_type,
    guarded_names,
)
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex

_MARKERS = ("Depends", "Security", "Query", "Path", "Header", "Cookie", "Body", "Form", "File")
MARKERS = {
    f"{module}.{name}": name
    for module in ("fastapi", "fastapi.params", "fastapi.param_functions")
    for name in _MARKERS
}
_DEPENDENCY_MARKERS = frozenset({"Depends", "Security"})
_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
_ANY = frozenset({"typing.Any", "typing_extensions.Any"})

# how a parameter's marker moves: keep it whole / take its default out as the parameter's
# default / drop its `...` default (required)
KEEP, DEFAULT, REQUIRED = "keep", "default", "required"


@dataclass
class Candidate:
    arg: ast.arg
    call: ast.Call
    marker: str
    positional: bool
    mode: str | None = None  # None: reported without a fix
    reason: str = ""
    needs_any: bool = False
    inner: str = ""  # the type an unannotated parameter gets (`Any` when unknown)


def _is_ellipsis(node: ast.expr) -> bool:
    return (isinstance(node, ast.Constant) and node.value is Ellipsis) or (
        isinstance(node, ast.Name) and node.id == "Ellipsis"
    )


# pydantic's types that are `Annotated` aliases (`PositiveInt = Annotated[int, Gt(0)]`)
_PYDANTIC_ALIASES = frozenset(
    {
        "Base64Bytes", "Base64Str", "Base64UrlBytes", "Base64UrlStr", "DirectoryPath",
        "FilePath", "FiniteFloat", "NegativeFloat", "NegativeInt", "NewPath", "NonNegativeFloat",
        "NonNegativeInt", "NonPositiveFloat", "NonPositiveInt", "OnErrorOmit", "PositiveFloat",
        "PositiveInt", "SocketPath", "StrictBool", "StrictBytes", "StrictFloat", "StrictInt",
        "StrictStr", "UUID1", "UUID3", "UUID4", "UUID5", "UUID6", "UUID7", "UUID8",
    }
)  # fmt: skip


def _annotated_alias(
    annotation: ast.expr | None, resolver: Resolver, ctx: FileContext
) -> str | None:
    """The annotation's text when it is (or may be) an `Annotated` alias: a project name
    assigned `Annotated[...]` at module level (`Pet = Annotated[Cat | Dog, Discriminator(...)]`,
    also subscripted), one of pydantic's (`PositiveInt`), or a call (`conint(gt=0)`)."""
    from fastapi_fixer.analysis.collectors.routing import module_routing

    node = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    if isinstance(node, ast.Call):
        return ctx.segment(node) or "the annotation"
    if not isinstance(node, (ast.Name, ast.Attribute)):
        return None
    qualified = resolver.qualify(node)
    if qualified is None and isinstance(node, ast.Name) and node.id in ctx.scope.bindings:
        qualified = f"{ctx.module}.{node.id}"  # a module-level alias is an "other" binding
    if qualified is None:
        return None
    package, _, name = qualified.rpartition(".")
    if package.split(".")[0] == "pydantic" and name in _PYDANTIC_ALIASES:
        return ctx.segment(node) or "the annotation"
    resolved = ctx.index.resolve(qualified)
    routing = module_routing(ctx.index, resolved)
    if routing is not None and resolved in getattr(routing, "annotated_aliases", ()):
        return ctx.segment(node) or "the annotation"
    return None


def _plain_default(node: ast.expr, ellipsis_names: set[str]) -> bool:
    """A default that cannot be `...` at run time: a literal, a reference to a value (not a
    module-level name bound to `...`), arithmetic and f-strings of those, or a bool (`not x`,
    a comparison)."""
    if isinstance(node, ast.Constant):
        return node.value is not Ellipsis
    if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.JoinedStr)):
        return True  # a container or a string, whatever it holds
    if isinstance(node, ast.Name):
        return node.id != "Ellipsis" and node.id not in ellipsis_names
    if isinstance(node, ast.Attribute):
        return True
    if isinstance(node, ast.Compare) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
    ):
        return True  # a bool, whatever it compares
    if isinstance(node, ast.UnaryOp):
        return _plain_default(node.operand, ellipsis_names)
    if isinstance(node, ast.BinOp):
        return _plain_default(node.left, ellipsis_names) and _plain_default(
            node.right, ellipsis_names
        )
    return False


def _ellipsis_names(tree: ast.Module) -> set[str]:
    """Module-level names bound to `...` (`REQUIRED = ...`)."""
    found = set()
    for node in tree.body:
        if (
            isinstance(node, (ast.Assign, ast.AnnAssign))
            and node.value is not None
            and _is_ellipsis(node.value)
        ):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found.update(t.id for t in targets if isinstance(t, ast.Name))
    return found


def _plan(
    candidate: Candidate,
    resolver: Resolver,
    ctx: FileContext,
    ellipsis_names: set[str],
    postponed: tuple[frozenset[str], int] | None,
) -> None:
    """Decide how one parameter's marker moves (``mode``), or why it cannot (``reason``).
    ``postponed``, in a module with `from __future__ import annotations`: the names it imports
    only under `if TYPE_CHECKING:`, and the first line of the function's definition."""
    call, annotation = candidate.call, candidate.arg.annotation
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        candidate.reason = "the marker takes `*args`/`**kwargs`"
        return
    if isinstance(annotation, ast.Constant):
        candidate.reason = "the annotation is a string"
        return
    missing = _unavailable(annotation, ctx, postponed) if postponed and annotation else None
    if missing:
        candidate.reason = (
            f"{missing}: with `from __future__ import annotations`, FastAPI could not "
            "evaluate `Annotated[...]` when it reads the function and would lose the marker in it"
        )
        return
    if isinstance(annotation, ast.Subscript) and resolver.qualify(annotation.value) in _ANNOTATED:
        candidate.reason = "the annotation already is `Annotated`"
        return
    alias = _annotated_alias(annotation, resolver, ctx)
    if alias is not None:
        candidate.reason = (
            f"`{alias}` is an `Annotated` alias: the marker would join its metadata, which "
            "FastAPI ignores while the marker is the default (its constraints or discriminator "
            "would start to apply, changing validation and the OpenAPI document)"
        )
        return
    candidate.needs_any = annotation is None
    if candidate.marker in _DEPENDENCY_MARKERS:
        has_dependency = bool(call.args) or any(k.arg == "dependency" for k in call.keywords)
        if annotation is None and not has_dependency:
            candidate.reason = "`Depends()` without an argument needs the class as annotation"
            return
        candidate.mode = KEEP
        return
    if len(call.args) > 1:
        candidate.reason = "the marker has several positional arguments"
        return
    default = call.args[0] if call.args else None
    for keyword in call.keywords:
        if keyword.arg == "default":
            default = keyword.value
    if (
        default is not None
        and not _is_ellipsis(default)
        and not _plain_default(default, ellipsis_names)
    ):
        candidate.reason = (
            f"the default `{ctx.segment(default)}` is computed and may be `...`, which FastAPI "
            "reads as required only inside the marker (as a parameter default it fails requests)"
        )
        return
    candidate.mode = REQUIRED if default is None or _is_ellipsis(default) else DEFAULT


def _unavailable(
    annotation: ast.expr, ctx: FileContext, postponed: tuple[frozenset[str], int]
) -> str | None:
    """Why a name of the annotation is not bound when FastAPI evaluates the postponed
    annotation (the route's decorator runs just after the `def`): imported only under
    `if TYPE_CHECKING:`, or first bound by the module below the function."""
    guarded, line = postponed
    names = sorted({n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)})
    for name in names:
        if name in guarded:
            return f"`{name}` is imported only under `if TYPE_CHECKING:`"
    for name in names:
        if name in ctx.scope.bindings and not bound_before(ctx, name, line):
            return f"`{name}` is defined below the function"
    return None


def _first_line(node: FunctionNode) -> int:
    """Where the function's definition starts: its first decorator, else `def`."""
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _future_annotations(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )


ANNOTATED_SINCE = (0, 95)
_REQUIREMENT = re.compile(
    r"(?<![\w.-])fastapi(?:\[[^\]]*\])?(?![\w.-])\s*\(?\s*((?:[<>=!~]=?\s*[\w.*]+\s*,?\s*)+)",
    re.IGNORECASE,
)
_LOWER = re.compile(r"(>=|==|~=|>)\s*(\d+(?:\.\d+)*)")


def declared_fastapi_minimum(index: ProjectIndex) -> tuple[int, ...] | None:
    """The lowest FastAPI version the project declares it supports (`fastapi>=0.65.2` in
    pyproject.toml, setup.cfg/setup.py, requirements, or the metadata of a built package), or
    None when no declaration gives a lower bound."""
    from fastapi_fixer.analysis.declared import declaration_texts

    bounds = []
    for text in declaration_texts(index):
        for match in _REQUIREMENT.finditer(text):
            for _, version in _LOWER.findall(match.group(1)):
                bounds.append(tuple(int(part) for part in version.split(".")))
    return min(bounds) if bounds else None


def _never_read(ctx: FileContext, node: FunctionNode, qualname: str) -> bool:
    """FastAPI never reads the function's markers: a plain function (no decorator, not a
    method, not a route or dependency) that the project only ever calls directly
    (`indexer(request, files, ...)`), so no reference can reach FastAPI. Moving the markers
    into `Annotated` is not the advice there; dropping them is."""
    if node.decorator_list:
        return False
    facts = ctx.index.functions.get(qualname)
    if facts is None or facts.is_method or facts.routes:
        return False
    return ctx.index.only_called(qualname)


def _variant_of_twin(ctx: FileContext) -> bool:
    """The module is a deliberate variant of a sibling module: `tutorial001_non_an` next to
    `tutorial001`, defining the same functions (documentation that shows both styles)."""
    package, _, name = ctx.module.rpartition(".")
    functions = {f.rsplit(".", 1)[-1] for f in ctx.facts.functions}
    if not functions or "_" not in name:
        return False
    stem = name
    while "_" in stem:
        stem = stem.rsplit("_", 1)[0]
        twin = ctx.index.modules.get(f"{package}.{stem}" if package else stem)
        if twin is not None:
            return functions <= {f.rsplit(".", 1)[-1] for f in twin.functions}
    return False


class DependsDefaultNotAnnotated(Rule):
    CODE = "FF303"
    NAME = "depends-default-not-annotated"
    SEVERITY = Severity.WARNING
    MESSAGE = "`{marker}(...)` default of parameter `{name}` instead of `Annotated`"
    FIX_TITLE = "Move the marker into `Annotated`"
    FIX_SAFETY = FixSafety.SAFE
    TRIGGERS = (
        "Depends(",
        "Security(",
        "Query(",
        "Path(",
        "Header(",
        "Cookie(",
        "Body(",
        "Form(",
        "File(",
    )

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_module(ctx.module):
            return  # test apps exercise whichever form they test
        minimum = ctx.index.memo("FF303.fastapi_minimum", declared_fastapi_minimum)
        if minimum is not None and minimum < ANNOTATED_SINCE:
            return  # the project supports FastAPI versions that do not read `Annotated`
        if _variant_of_twin(ctx):
            return
        future = _future_annotations(ctx.tree)
        ellipsis_names = _ellipsis_names(ctx.tree)
        guarded = frozenset(guarded_names(ctx)) if future else frozenset()
        for node, qualname, resolver in ctx.functions():
            outer = Resolver(resolver.scope.parent or resolver.scope, ctx.module)
            candidates = list(self._candidates(node, outer))
            if not candidates or _never_read(ctx, node, qualname):
                continue
            for candidate in candidates:
                postponed = (guarded, _first_line(node)) if future else None
                _plan(candidate, outer, ctx, ellipsis_names, postponed)
            fix = self._function_fix(ctx, node, qualname, outer, candidates, future)
            for candidate in candidates:
                message = (
                    f"`{candidate.marker}(...)` default of parameter `{candidate.arg.arg}` "
                    "instead of `Annotated`"
                )
                reason = candidate.reason or (fix if isinstance(fix, str) else "")
                if candidate.mode is None or isinstance(fix, str):
                    yield self.diagnostic(ctx, candidate.arg, f"{message}; not fixed: {reason}")
                    continue
                titled = Fix(
                    title=f"Move `{candidate.marker}(...)` into `Annotated`",
                    safety=fix.safety,
                    edits=fix.edits,
                )
                yield self.diagnostic(ctx, candidate.arg, message, titled)

    @staticmethod
    def _candidates(node: FunctionNode, outer: Resolver) -> Iterator[Candidate]:
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults.extend(args.defaults)
        pairs = [(a, d, True) for a, d in zip(positional, defaults, strict=True)]
        pairs.extend((a, d, False) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True))
        for arg, default in ((a, d) for a, d, _ in pairs):
            if not isinstance(default, ast.Call):
                continue
            marker = MARKERS.get(outer.qualify(default.func) or "")
            if marker is not None:
                is_positional = any(arg is a for a in positional)
                yield Candidate(arg, default, marker, is_positional)

    def _function_fix(
        self,
        ctx: FileContext,
        node: FunctionNode,
        qualname: str,
        outer: Resolver,
        candidates: list[Candidate],
        future: bool,
    ) -> Fix | str:
        fixable = [c for c in candidates if c.mode is not None]
        if not fixable:
            return ""
        facts = ctx.index.functions.get(qualname)
        if facts is None:
            return "the function is not known to the index"
        if future and facts.is_nested:
            return "a nested function in a module with `from __future__ import annotations`"

        # who might call it directly
        target = qualname
        if facts.is_method and node.name == "__init__":
            target = qualname.rpartition(".")[0]
        elif facts.is_method:
            target = ""
        called_directly = not target or ctx.index.is_referenced(target)
        fastapi_only = bool(target) and (
            ctx.index.is_route(target) or ctx.index.is_dependency(target)
        )

        # does Python need `*` once these parameters lose their defaults?
        star_before = self._star_needed(node, {id(c.arg): c.mode for c in fixable})
        if star_before:
            if node.args.vararg is not None:
                return "parameters would need reordering around `*args`"
            if star_before in {a.arg for a in node.args.posonlyargs}:
                return "parameters would need reordering around `/`"
            if called_directly or not fastapi_only:
                return (
                    "a parameter without a default would follow one with a default, and "
                    "the function may be called positionally"
                )

        # the names the new annotations use
        imports: list[tuple[str, str]] = []
        got = annotated_name(ctx, outer)
        if got is None:
            return "`Annotated` means something else here"
        annotated = got[0]
        if got[1]:
            imports.append(got[1])
        any_name = ""
        for candidate in fixable:
            if not candidate.needs_any:
                continue
            known = None
            if candidate.marker in _DEPENDENCY_MARKERS:
                known = dependency_type(
                    ctx, outer, dependency_target(candidate.call), _first_line(node)
                )
            if known is not None:
                candidate.inner = known.text
                imports.extend(known.imports)
                continue
            if not any_name:
                found = name_or_import(ctx.index, ctx.scope.bindings, "typing.Any", _ANY)
                if found is None or (
                    outer.scope is not ctx.scope
                    and outer.scope.lookup(found[0].split(".")[0])
                    is not ctx.scope.bindings.get(found[0].split(".")[0])
                ):
                    return "`Any` means something else here"
                any_name = found[0]
                if found[1]:
                    imports.append(found[1])
            candidate.inner = any_name

        conversions = tuple(
            (c.arg.arg, c.mode, c.inner) for c in sorted(fixable, key=lambda c: c.arg.arg)
        )
        edit = Edit(
            ctx.path,
            "annotate",
            ctx.span(node),
            (annotated, conversions, star_before or "", tuple(sorted(set(imports)))),
        )
        # a direct call that leaves out a parameter losing its default would now fail; one
        # that keeps its default gets the plain default instead of a marker object
        loses_default = any(c.mode != DEFAULT for c in fixable)
        safety = FixSafety.UNSAFE if called_directly and loses_default else FixSafety.SAFE
        return Fix(title="Move the markers into `Annotated`", safety=safety, edits=(edit,))

    @staticmethod
    def _star_needed(node: FunctionNode, modes: dict[int, str | None]) -> str | None:
        """The positional parameter to put `*` before, when a parameter without a default
        would otherwise follow one with a default."""
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        first_default = len(positional) - len(args.defaults)
        has_default = []
        for position, arg in enumerate(positional):
            mode = modes.get(id(arg))
            if mode is None:
                has_default.append(position >= first_default)
            else:
                has_default.append(mode == DEFAULT)
        for position, defaulted in enumerate(has_default):
            if defaulted and not all(has_default[position:]):
                return positional[position].arg
        return None

    # --- applying (LibCST) ----------------------------------------------------------------

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        from fastapi_fixer.fixing.cstutil import add_imports, rewrite_at, start_only

        targets = {}
        imports: set[tuple[str, str]] = set()
        for edit in edits:
            assert edit.span is not None and edit.kind == "annotate"
            annotated, conversions, star_before, needed = edit.args
            targets[("FunctionDef", start_only(edit.span))] = _annotator(
                str(annotated),
                {name: (mode, inner) for name, mode, inner in conversions},  # type: ignore[attr-defined]
                str(star_before),
            )
            imports.update(needed)  # type: ignore[arg-type]
        module = rewrite_at(module, targets)
        return add_imports(module, sorted(imports))

    def fix_source(self, text: str, edits: list[Edit], ctx: FixContext) -> str | None:
        """`fix`'s output written as text edits at `ast`'s positions (the fix pass then needs
        no LibCST parse of the module); None where that is not certain to be what `fix`
        writes, and outside a fix pass."""
        from fastapi_fixer.fixing.textedit import recorded_fix

        return recorded_fix(_apply_text, text, edits)


def _annotator(annotated: str, conversions: dict, star_before: str):
    def annotate(node: cst.CSTNode, as_operand: bool) -> cst.CSTNode:
        import libcst as cst

        from fastapi_fixer.fixing.cstutil import make_keyword_only_from

        assert isinstance(node, cst.FunctionDef)

        def convert(param: cst.Param) -> cst.Param:
            if param.name.value not in conversions:
                return param
            mode, inner = conversions[param.name.value]
            return _convert(param, mode, annotated, inner)

        params = node.params
        if star_before:  # first, so that no step builds an invalid parameter list
            params = make_keyword_only_from(params, star_before)
        params = params.with_changes(
            posonly_params=[convert(p) for p in params.posonly_params],
            params=[convert(p) for p in params.params],
            kwonly_params=[convert(p) for p in params.kwonly_params],
        )
        return node.with_changes(params=params)

    return annotate


def _convert(param: cst.Param, mode: str, annotated: str, inner_text: str) -> cst.Param:
    import libcst as cst

    call = param.default
    assert isinstance(call, cst.Call)
    new_default: cst.BaseExpression | None = None
    if mode != KEEP:
        args = list(call.args)
        at = next(
            (i for i, a in enumerate(args) if a.keyword is None and not a.star),
            next(
                (i for i, a in enumerate(args) if a.keyword and a.keyword.value == "default"), None
            ),
        )
        if at is not None:
            removed = args.pop(at)
            if at == len(args) and args:
                args[-1] = args[-1].with_changes(comma=removed.comma)
            if mode == DEFAULT:
                new_default = removed.value
        call = call.with_changes(args=args)
    if param.annotation is not None:
        inner = param.annotation.annotation
    else:
        inner = cst.parse_expression(inner_text)
    subscript = cst.Subscript(
        value=cst.parse_expression(annotated),
        slice=[
            cst.SubscriptElement(
                cst.Index(inner), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            ),
            cst.SubscriptElement(cst.Index(call)),
        ],
    )
    annotation = (
        param.annotation.with_changes(annotation=subscript)
        if param.annotation is not None
        else cst.Annotation(subscript)
    )
    if new_default is None:
        return param.with_changes(
            annotation=annotation, default=None, equal=cst.MaybeSentinel.DEFAULT
        )
    space = cst.SimpleWhitespace(" ")
    equal = (
        param.equal
        if param.annotation is not None
        else cst.AssignEqual(whitespace_before=space, whitespace_after=space)
    )
    return param.with_changes(annotation=annotation, default=new_default, equal=equal)


# --- applying (text edits) -------------------------------------------------------------------


def _apply_text(
    text: str, edits: list[Edit]
) -> tuple[str, list[tuple[str, str]], list[tuple[str, str | None, str | None]]]:
    """`fix`'s output written as text edits at `ast`'s positions, the imports it asks for and
    the ones it removes (none);
    raises `Unsure` where LibCST's layout could differ from the plain reading of the text: a
    `*` to insert, a parameter or marker call over several lines, parentheses around a
    annotation, a default or a marker's argument, a comment or a trailing comma in the call."""
    from fastapi_fixer.fixing.textedit import (
        Source,
        TextEdit,
        Unsure,
        splice,
        top_level_imports,
    )

    source = Source(text)
    defs = {
        (node.lineno, source.char_col(node.lineno, node.col_offset)): node
        for node in ast.walk(source.tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    changes: list[TextEdit] = []
    imports: set[tuple[str, str]] = set()
    for edit in edits:
        if edit.span is None or edit.kind != "annotate":
            raise Unsure("not an annotate edit")
        annotated, conversions, star_before, needed = edit.args
        node = defs.get((edit.span.line, edit.span.col))
        if node is None:
            raise Unsure("no function at the edit's place")
        params = _params_with_defaults(node)
        if star_before:
            changes.append(_star_edit(source, node, str(star_before)))
        for name, mode, inner in conversions:  # type: ignore[attr-defined]
            if name not in params:
                raise Unsure("no such parameter")
            arg, default = params[name]
            changes.extend(
                _param_edits(source, arg, default, str(mode), str(annotated), str(inner))
            )
        imports.update(needed)  # type: ignore[arg-type]
    present = top_level_imports(source.tree)
    return splice(text, changes), [item for item in sorted(imports) if item not in present], []


def _params_with_defaults(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
) -> dict[str, tuple[ast.arg, ast.expr | None]]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults.extend(args.defaults)
    found = {a.arg: (a, d) for a, d in zip(positional, defaults, strict=True)}
    found.update((a.arg, (a, d)) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True))
    return found


def _param_edits(
    source, arg: ast.arg, default: ast.expr | None, mode: str, annotated: str, inner: str
):
    from fastapi_fixer.fixing.textedit import TextEdit, Unsure

    if not isinstance(default, ast.Call):
        raise Unsure("the default is not a call")
    text = source.text
    call_start, call_end = source.start_of(default), source.end_of(default)
    call_text, new_default = _marker_without_default(text[call_start:call_end], mode)
    name_start = source.start_of(arg)
    name_end = name_start + len(arg.arg)
    if text[name_start:name_end] != arg.arg:
        raise Unsure("the parameter's name is not where `ast` says")
    if arg.annotation is not None:
        ann_start, ann_end = source.start_of(arg.annotation), source.end_of(arg.annotation)
        if text[name_end:ann_start].strip(" ") != ":":
            raise Unsure("parentheses or a comment around the annotation")
        if text[ann_end:call_start].strip(" ") != "=":
            raise Unsure("parentheses or a comment around the default")
        wrapped = f"{annotated}[{text[ann_start:ann_end]}, {call_text}]"
        if new_default is None:
            return [TextEdit(ann_start, call_end, wrapped)]
        return [TextEdit(ann_start, ann_end, wrapped), TextEdit(call_start, call_end, new_default)]
    if text[name_end:call_start].strip(" ") != "=":
        raise Unsure("parentheses or a comment around the default")
    wrapped = f": {annotated}[{inner}, {call_text}]"
    if new_default is None:
        return [TextEdit(name_end, call_end, wrapped)]
    return [TextEdit(name_end, call_end, f"{wrapped} = {new_default}")]


def _star_edit(source, node: ast.FunctionDef | ast.AsyncFunctionDef, name: str):
    """`cstutil.make_keyword_only_from` as a text edit: `*` and a copy of the separator before
    the parameter ``name`` (the comma after the parameter before it, else after ``name``
    itself), when that separator is a plain comma followed by spaces or by a line break and
    indentation."""
    import re

    from fastapi_fixer.fixing.textedit import TextEdit, Unsure

    args = node.args
    if args.posonlyargs or args.kwonlyargs or args.vararg is not None or args.kwarg is not None:
        raise Unsure("a `/`, `*` or `**` already in the parameters")
    at = next((i for i, a in enumerate(args.args) if a.arg == name), None)
    if at is None or len(args.args) < 2:
        raise Unsure("no separator to copy")
    left = at - 1 if at else 0
    first_default = len(args.args) - len(args.defaults)

    def end_of(i: int) -> int:
        if i >= first_default:
            return source.end_of(args.defaults[i - first_default])
        return source.end_of(args.args[i].annotation or args.args[i])

    separator = source.text[end_of(left) : source.start_of(args.args[left + 1])]
    if re.fullmatch(r",(?: *|\n *)", separator) is None:
        raise Unsure("a separator LibCST may write otherwise")
    start = source.start_of(args.args[at])
    return TextEdit(start, start, "*" + separator, order=0)


def _marker_without_default(call: str, mode: str) -> tuple[str, str | None]:
    """The marker call's text without its default argument (`_convert`: the first positional
    argument, else `default=`), and that default's text (None: nothing moves out)."""
    import io
    import tokenize

    from fastapi_fixer.fixing.textedit import Unsure

    if mode == KEEP:
        return call, None
    if "\n" in call or "\\" in call:
        raise Unsure("a marker call over several lines")
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(call).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise Unsure("cannot tokenize the call") from exc
    depth = 0
    opening = -1
    pieces: list[list[tokenize.TokenInfo]] = []
    closing = -1
    for token in tokens:
        if token.type == tokenize.COMMENT:
            raise Unsure("a comment in the call")
        if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
            continue
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
            if depth == 1:
                if opening >= 0:
                    raise Unsure("a call of a call")
                opening = token.end[1]
                pieces.append([])
                continue
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
            if depth == 0:
                closing = token.start[1]
                continue
        elif depth == 1 and token.type == tokenize.OP and token.string == ",":
            pieces.append([])
            continue
        if depth >= 1:
            pieces[-1].append(token)
    if opening < 0 or closing != len(call) - 1:
        raise Unsure("not a plain call")
    if pieces and not pieces[-1]:
        if len(pieces) > 1 or closing != opening:
            raise Unsure("a trailing comma")
        pieces = []  # `Query()`
    if any(not piece for piece in pieces):
        raise Unsure("an empty argument")
    if any(piece[0].string in ("*", "**") for piece in pieces):
        raise Unsure("a starred argument")

    def keyword(piece: list[tokenize.TokenInfo]) -> str | None:
        if len(piece) > 2 and piece[0].type == tokenize.NAME and piece[1].string == "=":
            return piece[0].string
        return None

    at = next((i for i, p in enumerate(pieces) if keyword(p) is None), None)
    if at is None:
        at = next((i for i, p in enumerate(pieces) if keyword(p) == "default"), None)
    if at is None:
        return call, None
    piece = pieces[at]
    start, end = piece[0].start[1], piece[-1].end[1]
    value_start = piece[2].start[1] if keyword(piece) else start
    value = call[value_start:end] if mode == DEFAULT else None
    if len(pieces) == 1:
        return call[:start] + call[closing:], value
    if at < len(pieces) - 1:
        return call[:start] + call[pieces[at + 1][0].start[1] :], value
    previous_end = pieces[at - 1][-1].end[1]
    return call[:previous_end] + call[closing:], value
