"""Shared by the schema rules FF203 (shared-request-response-schema) and FF204
(secret-field-in-response): which Pydantic models the project's routes take as a body and return,
which of their fields are server-generated or secret, and the cross-module fix that derives
`<Name>Create` / `<Name>Response` classes and points the routes at them.

The edits, applied by `apply_schema_edits` with LibCST:
- ``derive`` (defining module, the class found by name): insert
  `class <Name><Suffix>(<same bases>)` right after `<Name>`, a copy of its body without the
  dropped fields (and without validators of dropped fields only). Both rules compute it the
  same way, so it is identical wherever it is needed.
- ``ref`` (any module): rename the model in one place of a module-level route — a parameter's
  annotation, the `response_model=` value, the return annotation or the callee of its
  `return Model(...)` statements — `User` → `UserResponse` (``name``) or `schemas.User` →
  `schemas.UserResponse` (``attr``).
- ``response_model``: add `response_model=<Name>Response` to a route's decorators.
- ``unimport``: drop `from x import User` if nothing uses it any more.
- ``import``: `from <defining module> import <new name>`.

No edit carries a position: nodes are found by the route's name, the role and the text, so a
finding cached while another file only moved (the cache's digest leaves positions out) still
applies.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.collectors.schema_usage import (
    KEY,
    BodyParam,
    ModelClass,
    Ref,
    RouteUsage,
    SchemaUsage,
)
from fastapi_fixer.models import Edit

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex

PYDANTIC_BASES = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel"})
SERVER_FIELDS = frozenset({"id", "created_at", "updated_at"})
TOKEN_ENDPOINT_FIELDS = frozenset({"access_token", "refresh_token"})
NEVER_SECRET = frozenset({"token_type"})  # the scheme's name ("bearer"), not a credential
# a last word that says the field describes a credential (how long it lives, how it is sent,
# how many are left), not holds one: `refresh_token_lifetime_seconds`, `token_endpoint_auth_method`
_DESCRIBING = frozenset(
    {
        *("seconds", "minutes", "hours", "days", "lifetime", "ttl", "expires", "expiry", "exp"),
        *("count", "limit", "threshold", "cap", "budget", "length", "size", "type", "method"),
        *("scope", "scopes", "url", "uri", "endpoint", "header", "name", "prefix", "hint"),
        *("set", "configured", "enabled", "required", "expiration", "policy", "usage", "id"),
    }
)
# a word that makes a `*token*` field something else than a credential: a pagination cursor
# (`next_page_token`), a version or concurrency token (`version_token`, `etag`), a handle that
# correlates or cancels a request the client made (`cancel_token`, `idempotency_token`); and
# a word that says the value is only a masked hint of one (`api_key_masked`)
_NOT_A_CREDENTIAL = frozenset(
    {"page", "next", "prev", "previous", "cursor", "continuation", "pagination", "version"}
    | {"cancel", "cancellation", "idempotency", "correlation", "resume", "sync"}
    | {"masked", "redacted", "obfuscated", "truncated", "preview", "last4", "fingerprint"}
)
# a first word that makes the field a flag about a credential (`has_signing_secret`)
_FLAGS = frozenset({"has", "is", "use", "uses", "enable", "require", "requires", "show"})
CREATE, RESPONSE = "Create", "Response"


def derived_name(name: str, suffix: str) -> str:
    """`User` + `Response` → `UserResponse`; a name that already ends in the suffix gets
    `Public` before it (`ConnectionResponse` → `ConnectionPublicResponse`)."""
    if name.endswith(suffix):
        return f"{name[: -len(suffix)]}Public{suffix}"
    return f"{name}{suffix}"


def snake(name: str) -> str:
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def is_secret_name(field_name: str, token_endpoint: bool) -> bool:
    """`password`, `hashed_password`, `password_hash`, `*secret*`, `api_key`, `*token*`; the
    tokens an OAuth2 token endpoint exists to issue are not secrets there. Counters named like
    `max_tokens` / `tokens_used` (plural) are not credentials."""
    lowered = field_name.lower()
    if lowered in NEVER_SECRET:
        return False
    words = snake(field_name).strip("_").split("_")
    last = words[-1]
    if last in _DESCRIBING or (last.endswith("s") and last[:-1] in _DESCRIBING):
        return False  # `token_thresholds` too
    if _NOT_A_CREDENTIAL.intersection(words) or words[0] in _FLAGS:
        return False
    if token_endpoint and lowered in TOKEN_ENDPOINT_FIELDS:
        return False
    flat = lowered.replace("_", "")
    if "password" in flat or "passwd" in flat or "secret" in flat or "apikey" in flat:
        return True
    return "token" in flat and "tokens" not in flat


def server_fields(model: str, fields: Iterable[str]) -> tuple[str, ...]:
    """Fields a client does not send: `id`, the model's own key `<snake name>_id` (not other
    `*_id` fields: `owner_id` on a create model is the client's choice), the timestamps."""
    own_key = f"{snake(model)}_id"
    return tuple(f for f in fields if f in SERVER_FIELDS or f == own_key)


# --- the project's models and their usages ---------------------------------------------------


@dataclass(frozen=True)
class Model:
    qualname: str
    module: str
    path: str
    cls: ModelClass


@dataclass(frozen=True)
class BodyUse:
    module: str
    route: RouteUsage
    param: BodyParam
    ref: Ref


@dataclass(frozen=True)
class ResponseUse:
    module: str
    route: RouteUsage
    refs: tuple[Ref, ...]  # the model's names in the declaration; empty: returned constructor only
    constructors: tuple[Ref, ...]  # the route's returned `Model(...)` callees


@dataclass
class Usages:
    body: list[BodyUse] = field(default_factory=list)
    response: list[ResponseUse] = field(default_factory=list)


class ProjectSchemas:
    """Models and where routes use them, computed once per project index (`index.memo`).

    It keeps no answers of its own beyond `usages`: what a check asks through it afterwards is
    asked of the index, so each check's reads are recorded (see `ProjectIndex.start_reads`)."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.usages: dict[str, Usages] = {}
        for module_name, facts in index.modules.items():
            usage = facts.extra.get(KEY)
            if not isinstance(usage, SchemaUsage):
                continue
            for route in usage.routes.values():
                if index.is_route(route.function):
                    self._add_route(module_name, route)

    def usage(self, module: str) -> SchemaUsage | None:
        facts = self.index.modules.get(module)
        usage = facts.extra.get(KEY) if facts is not None else None
        return usage if isinstance(usage, SchemaUsage) else None

    def model(self, qualname: str) -> Model | None:
        module, _, name = qualname.rpartition(".")
        usage = self.usage(module)
        if usage is None or name not in usage.classes:
            return None
        return Model(qualname, module, self.index.modules[module].path, usage.classes[name])

    def __stable__(self) -> object:  # what its fingerprint is made of (index._stable)
        return self.usages

    def imported_names(self) -> frozenset[str]:
        """Every qualified name some module imports."""
        return self.index.memo("schema_split.imported_names", _imported_names)

    def is_pydantic(self, qualname: str, seen: frozenset[str] = frozenset()) -> bool:
        if qualname in seen:  # a cycle of bases
            return False
        model = self.model(qualname)
        return model is not None and any(
            resolved in PYDANTIC_BASES or self.is_pydantic(resolved, seen | {qualname})
            for resolved in (self.index.resolve(base) for base in model.cls.bases if base)
        )

    def inherited_fields(self, qualname: str) -> set[str]:
        """Fields the model gets from project base classes (not its own body)."""
        found: set[str] = set()
        model = self.model(qualname)
        seen = {qualname}
        stack = [model] if model else []
        while stack:
            current = stack.pop()
            for base in current.cls.bases:
                resolved = self.index.resolve(base) if base else ""
                base_model = self.model(resolved) if resolved not in seen else None
                if base_model is not None:
                    seen.add(resolved)
                    found.update(base_model.cls.fields)
                    stack.append(base_model)
        return found

    def _add_route(self, module: str, route: RouteUsage) -> None:
        for param in route.body:
            for ref in param.refs:
                resolved = self.index.resolve(ref.qualname)
                if self.is_pydantic(resolved):
                    self.usages.setdefault(resolved, Usages()).body.append(
                        BodyUse(module, route, param, ref)
                    )
        if route.response_kind in ("response_model", "return"):
            by_model: dict[str, list[Ref]] = {}
            for ref in route.response:
                resolved = self.index.resolve(ref.qualname)
                if self.is_pydantic(resolved):
                    by_model.setdefault(resolved, []).append(ref)
            for resolved, refs in by_model.items():
                constructors = tuple(
                    c for c in route.constructors if self.index.resolve(c.qualname) == resolved
                )
                self.usages.setdefault(resolved, Usages()).response.append(
                    ResponseUse(module, route, tuple(refs), constructors)
                )
        elif route.response_kind == "constructor":
            by_model = {}
            for ref in route.constructors:
                resolved = self.index.resolve(ref.qualname)
                if self.is_pydantic(resolved):
                    by_model.setdefault(resolved, []).append(ref)
            if len(by_model) == 1:  # one model returned: that is the response
                ((resolved, refs),) = by_model.items()
                self.usages.setdefault(resolved, Usages()).response.append(
                    ResponseUse(module, route, (), tuple(refs))
                )

    # --- what to drop --------------------------------------------------------------------

    def all_fields(self, model: Model) -> list[str]:
        return [*model.cls.fields, *sorted(self.inherited_fields(model.qualname))]

    def secrets_for(self, model: Model, use: ResponseUse) -> list[str]:
        return [f for f in self.all_fields(model) if is_secret_name(f, use.route.token_endpoint)]

    def response_secrets(self, model: Model) -> tuple[str, ...]:
        """Secret fields the model exposes in at least one of its responses, in field order."""
        uses = self.usages.get(model.qualname, Usages()).response
        exposed = {f for use in uses for f in self.secrets_for(model, use)}
        return tuple(f for f in self.all_fields(model) if f in exposed)


def _imported_names(index: ProjectIndex) -> frozenset[str]:
    return frozenset(
        binding.target
        for facts in index.modules.values()
        for binding in facts.bindings.values()
        if binding.kind == "import"
    )


def project_schemas(index: ProjectIndex) -> ProjectSchemas:
    return index.memo("schema_split.project_schemas", ProjectSchemas)


def model_uses(index: ProjectIndex, qualname: str) -> Usages | None:
    """The routes taking or returning the model ``qualname`` (`index.ask` it: a check that
    finds none for its models reads only this, not the table a fix elsewhere changes)."""
    return project_schemas(index).usages.get(qualname)


# --- building the edits ----------------------------------------------------------------------


# where a reference sits: (route function name, role, parameter name or ""), role being
# "param" (its annotation), "response_model", "return" (the annotation) or "constructor"
Where = tuple[str, str, str]


def where_response(use: ResponseUse) -> Where:
    return (use.route.name, use.route.response_kind, "")


def where_constructor(use: ResponseUse) -> Where:
    return (use.route.name, "constructor", "")


def where_body(use: BodyUse) -> Where:
    return (use.route.name, "param", use.param.name)


class Conflict(Exception):
    """The fix cannot be built: the message says why (shown in the diagnostic)."""


def derive_edit(model: Model, suffix: str, drop: Iterable[str]) -> Edit:
    return Edit(
        model.path,
        "derive",
        None,
        (model.cls.name, suffix, tuple(sorted(drop))),
    )


@dataclass
class EditSet:
    schemas: ProjectSchemas
    model: Model
    edits: list[Edit] = field(default_factory=list)

    def new_name_free(self, suffix: str) -> str:
        name = derived_name(self.model.cls.name, suffix)
        defining = self.schemas.index.modules[self.model.module]
        if name in defining.bindings:
            raise Conflict(f"`{name}` already exists in `{self.model.module}`")
        return name

    def _name_usable(self, module: str, name: str) -> bool:
        """Whether `name` can refer to the new class in ``module``; adds the import if needed."""
        if module == self.model.module:
            return True
        facts = self.schemas.index.modules[module]
        binding = facts.bindings.get(name)
        if binding is None:
            self.edits.append(Edit(facts.path, "import", None, (self.model.module, name)))
            return True
        return binding.kind == "import" and binding.target == f"{self.model.module}.{name}"

    def rename(self, module: str, where: Where, ref: Ref, suffix: str) -> None:
        """Rename ``ref`` (found in ``where`` of a route) to the new class."""
        name = derived_name(self.model.cls.name, suffix)
        path = self.schemas.index.modules[module].path
        if ref.node == "Attribute" and ref.prefix is not None:
            prefix = ref.prefix
            if prefix == self.model.module or self.schemas.index.resolve(prefix) == (
                self.model.module
            ):
                self.edits.append(Edit(path, "ref", None, (*where, ref.text, name, "attr")))
                return
        if not self._name_usable(module, name):
            raise Conflict(f"`{name}` means something else in `{module}`")
        self.edits.append(Edit(path, "ref", None, (*where, ref.text, name, "name")))
        if ref.node == "Name":
            self._unimport(module, ref.text)

    def _unimport(self, module: str, local: str) -> None:
        """Drop `from x import User` when nothing in the module uses `User` after the fix,
        unless another module imports it from here or the module declares `__all__`."""
        facts = self.schemas.index.modules[module]
        binding = facts.bindings.get(local)
        if binding is None or binding.kind != "import" or "." not in binding.target:
            return
        if "__all__" in facts.bindings or module == self.model.module:
            return
        if f"{module}.{local}" in self.schemas.imported_names():
            return
        source, _, obj = binding.target.rpartition(".")
        asname = local if local != obj else None
        self.edits.append(Edit(facts.path, "unimport", None, (source, obj, asname)))

    def add_response_model(self, module: str, route: RouteUsage, suffix: str) -> None:
        name = derived_name(self.model.cls.name, suffix)
        if not self._name_usable(module, name):
            raise Conflict(f"`{name}` means something else in `{module}`")
        path = self.schemas.index.modules[module].path
        self.edits.append(Edit(path, "response_model", None, (route.name, name)))


def check_inherited(schemas: ProjectSchemas, model: Model, drop: Iterable[str]) -> None:
    inherited = sorted(set(drop) & schemas.inherited_fields(model.qualname))
    if inherited:
        raise Conflict(f"`{inherited[0]}` is inherited from a base class")


def response_derivation(schemas: ProjectSchemas, model: Model) -> tuple[Edit, tuple[str, ...]]:
    """The `<Name>Response` class edit, identical for FF203 and FF204."""
    secrets = schemas.response_secrets(model)
    check_inherited(schemas, model, secrets)
    return derive_edit(model, RESPONSE, secrets), secrets


# --- applying the edits (LibCST) ---------------------------------------------------------------


def apply_schema_edits(module: cst.Module, edits: list[Edit]) -> cst.Module:
    import libcst as cst

    from fastapi_fixer.fixing.cstutil import add_imports, remove_unused_imports

    routes: dict[str, list[tuple[str, str, str, str, str]]] = {}  # function -> renames
    response_models: dict[str, str] = {}  # function -> name to add as response_model=
    derive: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    imports: set[tuple[str, str | None]] = set()
    unimports: set[tuple[str, str, str | None]] = set()
    for edit in edits:
        if edit.kind == "derive":
            name, suffix, drop = edit.args
            derive.setdefault(str(name), []).append((str(suffix), tuple(drop)))  # type: ignore[arg-type]
        elif edit.kind == "ref":
            function, role, param, old, new, mode = (str(arg) for arg in edit.args)
            routes.setdefault(function, []).append((role, param, old, new, mode))
        elif edit.kind == "response_model":
            response_models[str(edit.args[0])] = str(edit.args[1])
        elif edit.kind == "import":
            imports.add((str(edit.args[0]), str(edit.args[1])))
        elif edit.kind == "unimport":
            unimports.add(edit.args)  # type: ignore[arg-type]
        else:
            raise ValueError(f"unknown edit kind {edit.kind}")
    body: list[cst.BaseStatement] = []
    found: set[str] = set()
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef) and (
            statement.name.value in routes or statement.name.value in response_models
        ):
            name = statement.name.value
            found.add(name)
            statement = _rewrite_route(statement, routes.get(name, []), response_models.get(name))
        body.append(statement)
        if isinstance(statement, cst.ClassDef) and statement.name.value in derive:
            found.add(statement.name.value)
            for suffix, drop in sorted(set(derive[statement.name.value])):
                body.append(derived_class(statement, suffix, drop))
    missing = (set(derive) | set(routes) | set(response_models)) - found
    if missing:
        raise ValueError(f"no `{sorted(missing)[0]}` at module level")
    module = module.with_changes(body=body)
    if imports:  # added first: the new names join the import the old name leaves
        module = add_imports(module, sorted(imports, key=lambda item: (item[0], item[1] or "")))
    if unimports:
        module = remove_unused_imports(module, sorted(unimports, key=repr))
    return module


_ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route"}
)


def _route_calls(function: cst.FunctionDef) -> list[int]:
    import libcst as cst

    return [
        position
        for position, decorator in enumerate(function.decorators)
        if isinstance(decorator.decorator, cst.Call)
        and isinstance(decorator.decorator.func, cst.Attribute)
        and decorator.decorator.func.attr.value in _ROUTE_METHODS
    ]


class _Count:
    def __init__(self) -> None:
        self.renamed = 0


def _rename_in(expression, old: str, new: str, mode: str, count: _Count):
    """``expression`` with every `old` (a name or a dotted name, outside calls) renamed."""
    import libcst as cst
    from libcst.helpers import get_full_name_for_node

    class Renamer(cst.CSTTransformer):
        def visit_Call(self, node: cst.Call) -> bool:
            return False

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            return False  # `schemas.User` is matched whole, never its parts

        def leave_Attribute(self, original_node, updated_node):
            if "." not in old or get_full_name_for_node(original_node) != old:
                return updated_node
            count.renamed += 1
            if mode == "attr":
                return updated_node.with_changes(attr=cst.Name(new))
            return cst.Name(new, lpar=updated_node.lpar, rpar=updated_node.rpar)

        def leave_Name(self, original_node, updated_node):
            if "." in old or original_node.value != old:
                return updated_node
            count.renamed += 1
            return updated_node.with_changes(value=new)

    return expression.visit(Renamer())


def _rewrite_route(
    function: cst.FunctionDef,
    renames: list[tuple[str, str, str, str, str]],
    response_model: str | None,
) -> cst.FunctionDef:
    import libcst as cst

    for role, param, old, new, mode in sorted(set(renames)):
        count = _Count()
        if role == "param":
            params = function.params
            groups = {}
            for group in ("posonly_params", "params", "kwonly_params"):
                groups[group] = [
                    p.with_changes(annotation=_rename_in(p.annotation, old, new, mode, count))
                    if p.name.value == param and p.annotation is not None
                    else p
                    for p in getattr(params, group)
                ]
            function = function.with_changes(params=params.with_changes(**groups))
        elif role == "return" and function.returns is not None:
            function = function.with_changes(
                returns=_rename_in(function.returns, old, new, mode, count)
            )
        elif role == "response_model":
            decorators = list(function.decorators)
            for position in _route_calls(function):
                call = decorators[position].decorator
                assert isinstance(call, cst.Call)
                args = [
                    arg.with_changes(value=_rename_in(arg.value, old, new, mode, count))
                    if arg.keyword is not None and arg.keyword.value == "response_model"
                    else arg
                    for arg in call.args
                ]
                decorators[position] = decorators[position].with_changes(
                    decorator=call.with_changes(args=args)
                )
            function = function.with_changes(decorators=decorators)
        elif role == "constructor":
            function = function.visit(_constructor_renamer(old, new, mode, count))  # type: ignore[assignment]
        if not count.renamed:
            raise ValueError(f"`{old}` not found in {role} of `{function.name.value}`")
    if response_model is not None:
        decorators = list(function.decorators)
        for position in _route_calls(function):
            call = decorators[position].decorator
            decorators[position] = decorators[position].with_changes(
                decorator=_add_response_model(call, response_model)  # type: ignore[arg-type]
            )
        function = function.with_changes(decorators=decorators)
    return function


def _constructor_renamer(old: str, new: str, mode: str, count: _Count):
    """Renames the callee of `return Old(...)` in the function's own body."""
    import libcst as cst

    class Renamer(cst.CSTTransformer):
        def __init__(self) -> None:
            super().__init__()
            self.depth = 0

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            self.depth += 1
            return self.depth == 1  # not into nested functions

        def leave_FunctionDef(self, original_node, updated_node):
            self.depth -= 1
            return updated_node

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def leave_Return(self, original_node, updated_node):
            value = updated_node.value
            if isinstance(value, cst.Call):
                func = _rename_in(value.func, old, new, mode, count)
                return updated_node.with_changes(value=value.with_changes(func=func))
            return updated_node

    return Renamer()


def _add_response_model(node: cst.Call, name: str) -> cst.Call:
    import libcst as cst

    if any(arg.keyword and arg.keyword.value == "response_model" for arg in node.args):
        return node
    args = list(node.args)
    new = cst.Arg(
        keyword=cst.Name("response_model"),
        value=cst.Name(name),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""),
            whitespace_after=cst.SimpleWhitespace(""),
        ),
    )
    if args and isinstance(args[-1].comma, cst.Comma):
        # a trailing comma (one argument per line): the new argument goes last, alike
        trailing = args[-1].comma
        between = args[-2].comma if len(args) > 1 else trailing
        args[-1] = args[-1].with_changes(comma=between)
        args.append(new.with_changes(comma=trailing))
    elif args:
        args[-1] = args[-1].with_changes(
            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
        args.append(new)
    else:
        args.append(new)
    return node.with_changes(args=args)


def _validator_fields(decorator: cst.Decorator) -> list[cst.Arg] | None:
    """The string arguments of `@field_validator("a", "b")` / `@validator` /
    `@field_serializer`, or None for other decorators."""
    import libcst as cst

    call = decorator.decorator
    if not isinstance(call, cst.Call):
        return None
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
    if name not in ("field_validator", "validator", "field_serializer"):
        return None
    return [arg for arg in call.args if arg.keyword is None]


def derived_class(original: cst.ClassDef, suffix: str, drop: tuple[str, ...]) -> cst.ClassDef:
    """A copy of ``original`` named `<Name><suffix>` without the ``drop`` fields and the
    validators/serializers that only concern them."""
    import libcst as cst

    from fastapi_fixer.fixing.cstutil import is_docstring

    dropped = set(drop)
    body: list[cst.BaseStatement] = []
    assert isinstance(original.body, cst.IndentedBlock)
    members = _members_reading(original, dropped)
    blank: list[cst.EmptyLine] = []  # blank lines above a dropped statement
    for statement in original.body.body:
        removed = isinstance(statement, cst.SimpleStatementLine) and any(
            isinstance(small, cst.AnnAssign)
            and isinstance(small.target, cst.Name)
            and small.target.value in dropped
            for small in statement.body
        )
        if not removed and isinstance(statement, cst.FunctionDef):
            kept = _without_dropped_validators(statement, dropped)
            removed = kept is None or statement.name.value in members
            statement = kept or statement
        if removed:
            lines = getattr(statement, "leading_lines", ())
            blank = blank or [line for line in lines if line.comment is None]
            continue
        if blank and not statement.leading_lines:
            statement = statement.with_changes(leading_lines=blank)
        blank = []
        body.append(statement)
    if not any(not is_docstring(s) for s in body):
        body.append(cst.SimpleStatementLine([cst.Pass()]))
    if body and body[0] is not original.body.body[0]:
        body[0] = body[0].with_changes(leading_lines=[])
    return original.with_changes(
        name=cst.Name(derived_name(original.name.value, suffix)),
        body=original.body.with_changes(body=body, header=cst.TrailingWhitespace()),
        leading_lines=[cst.EmptyLine(), cst.EmptyLine()],
    )


def _members_reading(original: cst.ClassDef, dropped: set[str]) -> set[str]:
    """The methods and properties whose body reads a dropped field (`self.password_hash`,
    `data["password"]`), or another such member (`self.verify_password(...)`): they go with
    the fields (what `dropped_members` checks in the rules)."""
    import libcst as cst

    assert isinstance(original.body, cst.IndentedBlock)
    functions = [s for s in original.body.body if isinstance(s, cst.FunctionDef)]
    gone = set(dropped)
    members: set[str] = set()
    changed = True
    while changed:
        changed = False
        for function in functions:
            name = function.name.value
            if name in members:
                continue
            reads = {n.attr.value for n in _walk(function.body) if isinstance(n, cst.Attribute)} | {
                str(n.evaluated_value)
                for n in _walk(function.body)
                if isinstance(n, cst.SimpleString)
            }
            if reads & gone:
                members.add(name)
                gone.add(name)
                changed = True
    return members


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    yield node
    for child in node.children:
        yield from _walk(child)


_KEPT_MEMBERS = frozenset({"__init__", "__post_init__", "model_post_init", "__new__"})
_OUTPUT_DECORATORS = frozenset({"computed_field", "model_serializer"})


def dropped_members(node: ast.ClassDef, drop: Iterable[str]) -> list[str]:
    """The methods and properties of the class that read a dropped field (or such a member):
    the derived class leaves them out. Raises `Conflict` when one of them cannot go: the
    constructor, or a `computed_field`/`model_serializer` (the response would lose it)."""
    functions = [s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    gone = set(drop)
    members: list[str] = []
    changed = True
    while changed:
        changed = False
        for function in functions:
            if function.name in members:
                continue
            reads = set()
            for statement in function.body:
                for n in ast.walk(statement):
                    if isinstance(n, ast.Attribute):
                        reads.add(n.attr)
                    elif isinstance(n, ast.Constant) and isinstance(n.value, str):
                        reads.add(n.value)
            if reads & gone:
                members.append(function.name)
                gone.add(function.name)
                changed = True
    for function in functions:
        if function.name not in members:
            continue
        decorators = {(d.func if isinstance(d, ast.Call) else d) for d in function.decorator_list}
        names = {
            d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", "") for d in decorators
        }
        if function.name in _KEPT_MEMBERS or names & _OUTPUT_DECORATORS:
            raise Conflict(
                f"`{node.name}.{function.name}` reads a dropped field and cannot be left out"
            )
    return members


def _without_dropped_validators(function: cst.FunctionDef, dropped: set[str]):
    import libcst as cst

    decorators = []
    for decorator in function.decorators:
        fields = _validator_fields(decorator)
        if fields is None:
            decorators.append(decorator)
            continue
        names = [
            arg
            for arg in fields
            if isinstance(arg.value, cst.SimpleString) and arg.value.evaluated_value in dropped  # type: ignore[operator]
        ]
        if not names:
            decorators.append(decorator)
            continue
        if len(names) == len(fields):
            return None  # a validator of dropped fields only: it goes with them
        call = decorator.decorator
        assert isinstance(call, cst.Call)
        gone = {id(arg) for arg in names}
        kept = [arg for arg in call.args if id(arg) not in gone]
        for position, arg in enumerate(kept):
            if position < len(kept) - 1 and not isinstance(arg.comma, cst.Comma):
                kept[position] = arg.with_changes(
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                )
        kept[-1] = kept[-1].with_changes(comma=call.args[-1].comma)
        decorators.append(decorator.with_changes(decorator=call.with_changes(args=kept)))
    return function.with_changes(decorators=decorators)
