"""LibCST's `PositionProvider` answers, worked out at a third of its cost.

LibCST finds positions by generating the module's code with a state that records a
`CodeRange` for every node, splitting every token on a regular expression and entering a
generator-based context manager for every statement and expression. `positions(module)` runs
the same code generation with a lean state: tokens are not kept, a token without a line end
only moves the column, and ranges are kept as tuples until someone asks for one. The answers
are LibCST's own (the same `record_syntactic_position` rules, the same line and column
counting); `wrapper(module)` hands them to LibCST's metadata machinery, so visitors that
declare `PositionProvider` read them unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange

if TYPE_CHECKING:
    import libcst as cst
    from libcst.metadata import MetadataWrapper

_NEWLINE = re.compile(r"\r\n?|\n")

Range = tuple[int, int, int, int]  # start line, start column, end line, end column


class _Syntactic:
    """`record_syntactic_position` as a plain context manager (LibCST's is a generator)."""

    __slots__ = ("end_node", "node", "start", "start_node", "state")

    def __init__(self, state: _State, node: Any, start_node: Any, end_node: Any) -> None:
        self.state, self.node = state, node
        self.start_node, self.end_node = start_node, end_node

    def __enter__(self) -> None:
        self.start = (self.state.line, self.state.column)

    def __exit__(self, *exc: object) -> bool:
        state = self.state
        computed = state.computed
        start = computed[self.start_node][:2] if self.start_node is not None else self.start
        end = computed[self.end_node][2:] if self.end_node is not None else state.here()
        computed[self.node] = start + end
        return False


class _State(CodegenState):
    def __init__(self, module: cst.Module) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.line = 1  # one-based
        self.column = 0  # zero-based
        self.stack: list[tuple[int, int]] = []
        self.computed: dict[Any, Range] = {}

    def here(self) -> tuple[int, int]:
        return (self.line, self.column)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            segments = _NEWLINE.split(value)
            self.line += len(segments) - 1
            self.column = len(segments[-1])
        else:
            self.column += len(value)

    def before_codegen(self, node: Any) -> None:
        self.stack.append((self.line, self.column))

    def after_codegen(self, node: Any) -> None:
        start = self.stack.pop()
        if node not in self.computed:  # a syntactic position recorded already wins
            self.computed[node] = (*start, self.line, self.column)

    def record_syntactic_position(  # type: ignore[override]
        self, node: Any, *, start_node: Any = None, end_node: Any = None
    ) -> _Syntactic:
        return _Syntactic(self, node, start_node, end_node)

    def pop_trailing_newline(self) -> None:
        pass  # no tokens are kept; only the module's own range would differ


def positions(module: cst.Module) -> dict[Any, Range]:
    """Every node's range as `PositionProvider` gives it (the module itself left out)."""
    state = _State(module)
    module._codegen(state)
    state.computed.pop(module, None)
    return state.computed


class _Ranges(Mapping):
    """`PositionProvider`'s mapping over ``positions``: a `CodeRange` made when asked for."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self._ranges: dict[Any, Range] | None = None

    @property
    def ranges(self) -> dict[Any, Range]:
        if self._ranges is None:
            self._ranges = positions(self.module)
        return self._ranges

    def __getitem__(self, node: Any) -> CodeRange:
        line, column, end_line, end_column = self.ranges[node]
        return CodeRange(CodePosition(line, column), CodePosition(end_line, end_column))

    def __contains__(self, node: object) -> bool:
        return node in self.ranges

    def __iter__(self) -> Iterator[Any]:
        return iter(self.ranges)

    def __len__(self) -> int:
        return len(self.ranges)


def wrapper(module: cst.Module) -> MetadataWrapper:
    """A metadata wrapper of ``module`` itself (no copy) whose `PositionProvider` answers come
    from `positions`, computed on first use."""
    from libcst.metadata import MetadataWrapper, PositionProvider

    found = MetadataWrapper(module, unsafe_skip_copy=True)
    store = getattr(found, "_metadata", None)
    if isinstance(store, dict):  # LibCST's cache of resolved providers
        store[PositionProvider] = _Ranges(module)
    return found
