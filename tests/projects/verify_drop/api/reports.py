import time

from fastapi import APIRouter

router = APIRouter()


@router.get("/reports/daily")
async def daily_report():
    """Today's report."""
    time.sleep(0.01)  # waits for the report store
    return {"report": "daily"}
