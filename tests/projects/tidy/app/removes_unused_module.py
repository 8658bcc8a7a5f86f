import json

from fastapi import APIRouter

import app.base as search

router = APIRouter()


@router.get("/raw")
async def raw():
    found = await search.client.get("/raw")
    return json.loads(found.text)
