import time

from fastapi import APIRouter

router = APIRouter()
STARTED = time.monotonic()


@router.post("/backoff")
async def backoff():
    time.sleep(0.5)
    return {"uptime": time.monotonic() - STARTED}
