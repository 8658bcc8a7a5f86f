import asyncio
import time
from pathlib import Path

from fastapi import APIRouter, Header
from starlette.concurrency import run_in_threadpool
from typing_extensions import Annotated

from app.base import audit

router = APIRouter()


@router.get("/me")
async def me(user: Annotated[str, Header()]):
    return {"user": user}


@router.get("/lang")
async def lang(accept_language: str = Header("en")):
    return {"lang": accept_language}


@router.get("/motd")
async def motd():
    banner = await run_in_threadpool(Path("banner.txt").read_text)
    await audit("motd")
    return {"banner": banner, "text": Path("motd.txt").read_text()}


@router.post("/warmup")
async def warmup():
    await asyncio.wait_for(audit("warmup"), timeout=5)
    time.sleep(0.1)
    return {"warm": True}
