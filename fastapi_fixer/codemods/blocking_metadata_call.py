"""## What it does
Finds single file-system metadata calls — `os.path.exists`/`isfile`/`isdir`/`getsize`,
`os.stat`, `os.makedirs`, `os.remove`/`rename`, `shutil.disk_usage`,
`tempfile.mkstemp`/`mkdtemp`, creating a `tempfile.TemporaryDirectory()`, and
`Path.exists`/`is_file`/`is_dir`/`stat`/`mkdir`/`unlink`/`touch`/`rename` — made on the event
loop: in an `async def` route or dependency (or a socket.io or MCP handler served in the app,
see FF101), or in an async helper they reach, directly or
through project functions in any module. Off by default; enable it with
`--extend-select FF106`.

## Why is this bad?
Each of these is one system call that waits for the disk. On a local disk that is usually
microseconds, but on a network file system, a busy disk or a container volume it can take
milliseconds, and the whole server waits meanwhile. They are cheap and numerous, so they are
kept out of FF101: turn this rule on when the files live on slow storage, or to audit a
service that must never touch the disk on the event loop.

## Example
```python
@router.get("/files/{name}")
async def download(name: str):
    path = UPLOAD_DIR / name
    if not path.exists():
        raise HTTPException(status_code=404)
    return FileResponse(path)
```

## Use instead
```python
from fastapi.concurrency import run_in_threadpool


@router.get("/files/{name}")
async def download(name: str):
    path = UPLOAD_DIR / name
    if not await run_in_threadpool(path.exists):
        raise HTTPException(status_code=404)
    return FileResponse(path)
```
or `anyio.Path` (`await anyio.Path(path).exists()`), or a plain `def` route.

## Fix safety
Safe: `f(a, k=v)` becomes `await run_in_threadpool(f, a, k=v)` (imported from
`fastapi.concurrency`); the same call runs with the same arguments, in FastAPI's threadpool.
Calls in generator expressions, `with` statements and calls passing `func=` are reported without
a fix. A call that FF101, FF102 or FF103 already reports is left to them.

## Known problems
Whether a metadata call is slow depends on the storage, which the code does not say.
Directory listings (`os.listdir`, `glob.glob`, an iterated `Path.glob`/`iterdir`) read every
entry of a directory, not one path: they are FF101's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.blocking import BLOCKING, CPU_BOUND, METADATA, SYNC_SDK
from fastapi_fixer.fixing.offload import apply_offload_edits, report_wrappable
from fastapi_fixer.models import Diagnostic, Edit, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst


class BlockingMetadataCall(Rule):
    CODE = "FF106"
    NAME = "blocking-metadata-call"
    SEVERITY = Severity.INFO
    MESSAGE = "File-system metadata call `{call}` in async route `{function}`"
    FIX_TITLE = "Wrap in `await run_in_threadpool(...)`"
    FIX_SAFETY = FixSafety.SAFE
    TRIGGERS = ("async def",)
    DEFAULT_ENABLED = False

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        yield from report_wrappable(
            self,
            ctx,
            METADATA,
            outranked_by=(BLOCKING, SYNC_SDK, CPU_BOUND),
            what="File-system metadata call",
        )

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        return apply_offload_edits(module, edits)

    def fix_source(self, text: str, edits: list[Edit], ctx: FixContext) -> str | None:
        """`fix`'s output written as text edits (`offload.apply_offload_text`); None where
        that is not certain to be what `fix` writes, and outside a fix pass."""
        from fastapi_fixer.fixing.offload import apply_offload_text
        from fastapi_fixer.fixing.textedit import recorded_fix

        return recorded_fix(apply_offload_text, text, edits)
