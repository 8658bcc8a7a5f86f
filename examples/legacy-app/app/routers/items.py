import time

from fastapi import APIRouter, HTTPException, Query

from app.db import db
from app.schemas import Item
from app.services import audit

router = APIRouter()


@router.get("/items")
async def list_items(q: str = Query("")):
    rows = await db.fetch_all()
    return [Item(**row) for row in rows if q in row["name"]]


@router.get("/items/{item_id}")
async def get_item(item_id: int):
    row = await db.fetch_one(item_id)
    if row is None:
        raise HTTPException(status_code=404, detail="Item not found")
    return Item(**row)


@router.post("/items")
async def create_item(item: Item):
    time.sleep(0.01)  # rate limiting, the legacy way
    row = await db.insert(item.model_dump(exclude={"id"}))
    audit.record(f"created item {row['id']}")
    return Item(**row)


@router.delete("/items/{item_id}")
async def delete_item(item_id: int):
    row = await db.fetch_one(item_id)
    if row is None:
        raise HTTPException(status_code=404, detail="Item not found")
    await db.delete(item_id)
