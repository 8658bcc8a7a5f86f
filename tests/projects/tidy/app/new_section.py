from fastapi import APIRouter, Query

from app.base import page_size

router = APIRouter()


@router.get("/users")
async def list_users(name: str = Query("")):
    return {"name": name, "size": page_size()}
