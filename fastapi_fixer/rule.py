"""What a rule is, and the per-file context it checks with."""

from __future__ import annotations

import ast
import fnmatch
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

from fastapi_fixer.analysis.facts import (
    Analysis,
    BodyFacts,
    FunctionNode,
    ModuleFacts,
    Resolver,
    Scope,
    _own_statements,
    collect_bindings,
    function_scope,
    module_scope,
    walk_body,
)
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Hop, Severity, Span

if TYPE_CHECKING:
    import libcst as cst

    from fastapi_fixer.analysis.index import ProjectIndex
    from fastapi_fixer.settings import Settings

_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass
class FileContext:
    """One file as a rule sees it: its text, its `ast`, its facts and the project index."""

    path: str
    text: str
    tree: ast.Module
    facts: ModuleFacts
    index: ProjectIndex
    settings: Settings
    analysis: Analysis | None = None  # from the facts pass, when it ran in this process

    @property
    def module(self) -> str:
        return self.facts.module

    @cached_property
    def lines(self) -> list[str]:
        return _NEWLINE.split(self.text)

    @cached_property
    def scope(self) -> Scope:
        if self.analysis is not None:
            return self.analysis.scope
        return module_scope(self.tree, self.facts.module, self.facts.is_package)

    @cached_property
    def resolver(self) -> Resolver:
        return Resolver(self.scope, self.facts.module)

    def _char_col(self, line: int, byte_col: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))

    def span(self, node: ast.AST) -> Span:
        line = node.lineno  # type: ignore[attr-defined]
        end_line = node.end_lineno or line  # type: ignore[attr-defined]
        return Span(
            line,
            self._char_col(line, node.col_offset),  # type: ignore[attr-defined]
            end_line,
            self._char_col(end_line, node.end_col_offset or 0),  # type: ignore[attr-defined]
        )

    def segment(self, node: ast.AST) -> str | None:
        """The source text of ``node``, like `ast.get_source_segment` but without splitting the
        whole file again on every call."""
        try:
            line, end_line = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined]
            col, end_col = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
        except AttributeError:
            return None
        if end_line is None or end_col is None:
            return None
        lines = self._line_texts
        if line == end_line:
            return lines[line].encode()[col:end_col].decode()
        first = lines[line].encode()[col:].decode()
        last = lines[end_line].encode()[:end_col].decode()
        return "".join([first, *lines[line + 1 : end_line], last])

    @cached_property
    def _line_texts(self) -> list[str]:
        """The file's lines with their line endings, split where Python's tokenizer splits."""
        parts = _NEWLINE.split(self.text)
        ends = _NEWLINE.findall(self.text)
        return [part + end for part, end in zip(parts, [*ends, ""], strict=True)]

    def functions(self) -> Iterator[tuple[FunctionNode, str, Resolver]]:
        """Every function in the file with its qualified name and a resolver for its body."""
        return iter(self._functions)

    def body(self, node: FunctionNode, resolver: Resolver) -> BodyFacts:
        """The calls a function makes itself, with their context (computed once per file)."""
        bodies = self.analysis.bodies if self.analysis is not None else self._bodies
        found = bodies.get(id(node))
        if found is None:
            found = bodies[id(node)] = walk_body(node, resolver)
        return found

    @cached_property
    def _bodies(self) -> dict[int, BodyFacts]:
        return {}

    @cached_property
    def _functions(self) -> list[tuple[FunctionNode, str, Resolver]]:
        if self.analysis is not None:
            return self.analysis.functions
        return list(self._walk_functions())

    def _walk_functions(self) -> Iterator[tuple[FunctionNode, str, Resolver]]:
        def walk(
            body: list[ast.stmt], scope: Scope
        ) -> Iterator[tuple[FunctionNode, str, Resolver]]:
            for node in _own_statements(body):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    qualname = f"{scope.qualprefix}.{node.name}"
                    inner = function_scope(
                        node, scope, qualname, self.facts.module, self.facts.is_package
                    )
                    yield node, qualname, Resolver(inner, self.facts.module)
                    yield from walk(node.body, inner)
                elif isinstance(node, ast.ClassDef):
                    inner = Scope(f"{scope.qualprefix}.{node.name}", parent=scope, is_class=True)
                    collect_bindings(
                        inner,
                        node.body,
                        Resolver(inner, self.facts.module),
                        self.facts.module,
                        self.facts.is_package,
                        local=True,
                    )
                    yield from walk(node.body, inner)

        yield from walk(self.tree.body, self.scope)


@dataclass
class TextContext:
    """A non-Python file (`alembic.ini`, `.env`) as a text rule sees it: no `ast`, no facts."""

    path: str
    text: str
    settings: Settings

    @cached_property
    def lines(self) -> list[str]:
        return _NEWLINE.split(self.text)

    def line_span(self, line: int) -> Span:
        """The whole of 1-based ``line`` (its text without the line ending)."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return Span(line, 0, line, len(text))


@dataclass
class FixContext:
    """What a rule's fixer knows about the file it rewrites."""

    path: str
    module: str
    index: ProjectIndex
    settings: Settings


class Rule:
    """One practice of the guide. Subclasses live in `fastapi_fixer.codemods`, one per module,
    with the user documentation as that module's docstring."""

    CODE: ClassVar[str]
    NAME: ClassVar[str]
    SEVERITY: ClassVar[Severity]
    MESSAGE: ClassVar[str]  # the shape of the message, for the docs
    FIX_TITLE: ClassVar[str | None] = None
    FIX_SAFETY: ClassVar[FixSafety] = FixSafety.NONE  # the safest fix the rule can offer
    # the file's text must contain one of these for `check` to run (the text prefilter)
    TRIGGERS: ClassVar[tuple[str, ...]] = ()
    DEFAULT_ENABLED: ClassVar[bool] = True
    # Text rules: non-Python files the rule reads, as file-name globs (`"alembic.ini"`,
    # `".env.*"`). Discovery then also takes the matching files (honouring .gitignore and
    # --exclude); the engine hands each to `check_text` (never to `check` nor to the Python
    # analysis; TRIGGERS do not apply), applies its fixes with `fix_text` and checks the output
    # with `validate_text` instead of compiling it. In such a file, a whole comment line
    # "noqa: CODE" (after `#` or `;`) anywhere suppresses CODE for the whole file.
    FILE_NAMES: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def docs(cls) -> str:
        return (sys.modules[cls.__module__].__doc__ or "").strip()

    @classmethod
    def wants(cls, text: str) -> bool:
        if cls.FILE_NAMES:
            return False  # a text rule never checks Python files
        return not cls.TRIGGERS or any(trigger in text for trigger in cls.TRIGGERS)

    @classmethod
    def reads_file(cls, path: str) -> bool:
        """Whether ``path`` is one of this text rule's files (by its name)."""
        name = os.path.basename(path)
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in cls.FILE_NAMES)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        raise NotImplementedError

    def check_text(self, ctx: TextContext) -> Iterator[Diagnostic]:
        raise NotImplementedError(f"{self.CODE} reads no text files")

    def fix_text(self, text: str, edits: list[Edit], ctx: FixContext) -> str:
        raise NotImplementedError(f"{self.CODE} has no text fixer")

    def validate_text(self, text: str) -> str | None:
        """Why a text fix's output is not valid (it is then dropped), or None when it is."""
        return None

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        raise NotImplementedError(f"{self.CODE} has no fixer")

    # helpers for subclasses
    def diagnostic(
        self,
        ctx: FileContext,
        node: ast.AST,
        message: str,
        fix: Fix | None = None,
        chain: tuple[Hop, ...] = (),
        more_sinks: tuple[Hop, ...] = (),
    ) -> Diagnostic:
        return Diagnostic(
            code=self.CODE,
            name=self.NAME,
            severity=self.SEVERITY,
            message=message,
            path=ctx.path,
            span=ctx.span(node),
            fix=fix,
            chain=chain,
            more_sinks=more_sinks,
        )

    def text_diagnostic(
        self, ctx: TextContext, line: int, message: str, fix: Fix | None = None
    ) -> Diagnostic:
        return Diagnostic(
            code=self.CODE,
            name=self.NAME,
            severity=self.SEVERITY,
            message=message,
            path=ctx.path,
            span=ctx.line_span(line),
            fix=fix,
        )
