from fastapi import APIRouter

from app.base import client, page_size

router = APIRouter()


@router.get("/search/health")
async def search_health():
    found = await client.get("/health", params={"size": page_size()})
    return {"ok": found.status_code == 200}
