from fastapi import APIRouter

from .base import client, page_size

router = APIRouter()


@router.get("/search/count")
async def search_count():
    found = await client.get("/search/count", params={"n": page_size()})
    return {"ok": found.status_code}
