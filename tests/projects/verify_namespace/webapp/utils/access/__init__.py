import time

from fastapi import APIRouter

router = APIRouter()


@router.get("/access")
async def access():
    """Says who may enter."""
    time.sleep(0.01)
    return {"access": "granted"}
