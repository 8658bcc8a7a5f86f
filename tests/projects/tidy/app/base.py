import httpx
from fastapi import APIRouter

router = APIRouter()
client = httpx.AsyncClient(base_url="https://search.example.com")


async def audit(event: str) -> None:
    await client.post("/audit", json={"event": event})


def page_size() -> int:
    return 20
