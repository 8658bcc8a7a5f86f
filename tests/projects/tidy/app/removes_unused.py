import time

from fastapi import APIRouter

router = APIRouter()


@router.post("/retry")
async def retry():
    time.sleep(0.5)
    return {"retried": True}
