from typing import Annotated

import httpx
from fastapi import APIRouter, Query

router = APIRouter()
search_client = httpx.AsyncClient()


@router.get("/search")
async def search(q: Annotated[str, Query()] = ""):
    found = await search_client.get("/", params={"q": q})
    return found.json()
