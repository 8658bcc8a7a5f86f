"""## What it does
Finds calls into synchronous SDKs — `boto3`/`botocore` clients and resources, `stripe`,
`redis.Redis`, `pymongo`, `elasticsearch.Elasticsearch`, the sync `openai.OpenAI` and
`anthropic.Anthropic` clients and openai < 1's `openai.ChatCompletion.create` — made on the
event loop: in an `async def` route or dependency (or a socket.io or MCP handler served in the
app, see FF101) or the async helpers they await at any depth,
directly or through project functions and methods in any module
(`services.billing.charge → stripe.PaymentIntent.create`).

## Why is this bad?
These SDKs do network I/O with blocking sockets. Called on the event loop, each request to S3,
Stripe or Redis freezes the whole server until the answer arrives.

## Example
```python
s3 = boto3.client("s3")


@router.post("/upload")
async def upload(file: UploadFile):
    data = await file.read()
    s3.put_object(Bucket="uploads", Key=file.filename, Body=data)
```

## Use instead
```python
from fastapi.concurrency import run_in_threadpool


@router.post("/upload")
async def upload(file: UploadFile):
    data = await file.read()
    await run_in_threadpool(s3.put_object, Bucket="uploads", Key=file.filename, Body=data)
```
or the SDK's async flavour (`aioboto3`, `redis.asyncio`, `motor`/`pymongo.AsyncMongoClient`,
`AsyncElasticsearch`, stripe's `*_async` methods).

## Fix safety
Safe: `f(a, k=v)` becomes `await run_in_threadpool(f, a, k=v)` (imported from
`fastapi.concurrency`); the same call runs with the same arguments, in FastAPI's threadpool,
also inside an async helper. Calls in generator expressions, `with` statements and calls passing
`func=` are reported without a fix. A call that FF101 already reports (it also reaches a
blocking API) is left to FF101.

## Known problems
Clients are followed when their type is visible: constructed in the same function or module
(`s3 = boto3.client("s3")`, `r = redis.Redis()`), imported from the module that constructs them,
or a parameter annotated with the type (`r: redis.Redis`). Databases and collections reached by
attribute or subscript (`client.shop["orders"]`) are not followed; `get_database()`/
`get_collection()` and `Database`/`Collection` annotations are. Lazy calls such as pymongo's
`find()` are wrapped although the blocking work happens when the cursor is iterated. Extend the
list with `extra-sync-sdks` in `[tool.fastapi-fix]` (qualified names, `*` wildcards).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.analysis.blocking import BLOCKING, SYNC_SDK
from fastapi_fixer.fixing.offload import apply_offload_edits, report_wrappable
from fastapi_fixer.models import Diagnostic, Edit, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst


class SyncSdkInAsync(Rule):
    CODE = "FF102"
    NAME = "sync-sdk-in-async"
    SEVERITY = Severity.WARNING
    MESSAGE = "Synchronous SDK call `{call}` in async route `{function}`"
    FIX_TITLE = "Wrap in `await run_in_threadpool(...)`"
    FIX_SAFETY = FixSafety.SAFE
    TRIGGERS = ("async def",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        yield from report_wrappable(
            self,
            ctx,
            SYNC_SDK,
            outranked_by=(BLOCKING,),
            what="Synchronous SDK call",
            with_item_hint="use the SDK's async client or a plain `def`",
        )

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        return apply_offload_edits(module, edits)

    def fix_source(self, text: str, edits: list[Edit], ctx: FixContext) -> str | None:
        """`fix`'s output written as text edits (`offload.apply_offload_text`); None where
        that is not certain to be what `fix` writes, and outside a fix pass."""
        from fastapi_fixer.fixing.offload import apply_offload_text
        from fastapi_fixer.fixing.textedit import recorded_fix

        return recorded_fix(apply_offload_text, text, edits)
