"""## What it does
Finds CPU-heavy calls — password hashing (`bcrypt.hashpw`/`checkpw`, passlib's
`CryptContext.hash`/`verify` and `passlib.hash.*`, `argon2`, `pwdlib`), key derivation
(`hashlib.pbkdf2_hmac`, `hashlib.scrypt`, `cryptography`'s `PBKDF2HMAC`/`Scrypt`), `PIL.Image`
operations (`thumbnail`, `convert`, `save`, ...; `Image.open` only reads the header) and
`pandas.read_*` — made on the event loop: in an `async def` route or dependency (or a
socket.io or MCP handler served in the app, see FF101) or the async helpers they await at any
depth, directly or through project functions and methods
in any module (`route → await svc.create() → hash_password → bcrypt.hashpw`).

## Why is this bad?
While one of these runs (a bcrypt hash takes a quarter of a second by design) the event loop
runs nothing else: every other request waits.

## Example
```python
@router.post("/users")
async def register(user: UserCreate):
    hashed = bcrypt.hashpw(user.password.encode(), bcrypt.gensalt())
    return await save_user(user.email, hashed)
```

## Use instead
```python
from fastapi.concurrency import run_in_threadpool


@router.post("/users")
async def register(user: UserCreate):
    hashed = await run_in_threadpool(bcrypt.hashpw, user.password.encode(), bcrypt.gensalt())
    return await save_user(user.email, hashed)
```
The threadpool frees the event loop, but the GIL still serialises pure-Python work: for heavy or
long jobs (image pipelines, big data frames) use a process pool
(`loop.run_in_executor(ProcessPoolExecutor(), ...)`) or a task queue (Celery, arq, SAQ).

## Fix safety
Safe: `f(a, k=v)` becomes `await run_in_threadpool(f, a, k=v)` (imported from
`fastapi.concurrency`); the same call runs with the same arguments, in FastAPI's threadpool.
Calls in generator expressions, `with` statements and calls passing `func=` are reported without
a fix. A call that FF101 or FF102 already reports is left to them.

## Known problems
Objects are followed when their type is visible: constructed in the same function or module
(`pwd_context = CryptContext(...)`, `img = Image.open(...)`), or imported from the module that
constructs them. `pandas` data-frame methods and `numpy` are not listed: whether they are heavy
depends on the data. Extend the list with `extra-cpu-bound-calls` in `[tool.fastapi-fix]`
(qualified names, `*` wildcards).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.blocking import BLOCKING, CPU_BOUND, SYNC_SDK
from fastapi_fixer.fixing.offload import apply_offload_edits, report_wrappable
from fastapi_fixer.models import Diagnostic, Edit, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst


class CpuBoundInAsync(Rule):
    CODE = "FF103"
    NAME = "cpu-bound-in-async"
    SEVERITY = Severity.WARNING
    MESSAGE = "CPU-bound call `{call}` in async route `{function}`"
    FIX_TITLE = "Wrap in `await run_in_threadpool(...)`"
    FIX_SAFETY = FixSafety.SAFE
    TRIGGERS = ("async def",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        yield from report_wrappable(
            self,
            ctx,
            CPU_BOUND,
            outranked_by=(BLOCKING, SYNC_SDK),
            what="CPU-bound call",
            hint="move heavy work to a process pool or a task queue",
            with_item_hint="put the `with` block in a plain `def` helper",
        )

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        return apply_offload_edits(module, edits)

    def fix_source(self, text: str, edits: list[Edit], ctx: FixContext) -> str | None:
        """`fix`'s output written as text edits (`offload.apply_offload_text`); None where
        that is not certain to be what `fix` writes, and outside a fix pass."""
        from fastapi_fixer.fixing.offload import apply_offload_text
        from fastapi_fixer.fixing.textedit import recorded_fix

        return recorded_fix(apply_offload_text, text, edits)
