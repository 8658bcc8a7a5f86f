from pathlib import Path

import httpx
from fastapi import APIRouter, Query

router = APIRouter()
reports = httpx.AsyncClient()


@router.get("/report")
async def report():
    await reports.post("/opened")
    return {"text": Path("report.txt").read_text()}


@router.get("/rows")
async def rows(limit: int = Query(10)):
    return {"limit": limit}
