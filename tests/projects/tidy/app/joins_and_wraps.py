from typing import Annotated

import httpx
from fastapi import APIRouter, BackgroundTasks, HTTPException, Query, status

router = APIRouter()
mailer = httpx.AsyncClient()


@router.post("/mail", status_code=status.HTTP_202_ACCEPTED)
async def mail(tasks: BackgroundTasks, to: Annotated[str, Query()] = ""):
    if not to:
        raise HTTPException(status_code=400)
    tasks.add_task(mailer.post, "/send", json={"to": to})
    return {"queued": True}
