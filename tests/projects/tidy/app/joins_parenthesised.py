from typing import Annotated

import httpx
from fastapi import (
    APIRouter,
    HTTPException,
    Query,
)

router = APIRouter()
geo = httpx.AsyncClient()


@router.get("/places")
async def places(q: Annotated[str, Query()] = ""):
    found = await geo.get("/", params={"q": q})
    if found.status_code != 200:
        raise HTTPException(status_code=502)
    return found.json()
