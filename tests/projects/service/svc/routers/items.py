from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query

from svc.db import db
from svc.schemas import Item
from svc.services import audit

router = APIRouter(prefix="/items", tags=["items"])


@router.post("")
async def create_item(item: Item):
    stored = await db.insert("items", item.model_dump(exclude={"id"}))
    return Item(**stored)


@router.get("")
async def list_items(owner_id: int = Query(0)):
    audit.record("list_items")
    return [row for row in db.all("items") if not owner_id or row["owner_id"] == owner_id]


@router.get("/{item_id}")
async def get_item(item_id: int):
    row = await db.get("items", item_id)
    if row is None:
        raise HTTPException(status_code=404, detail="Item not found")
    return Item(**row)


@router.delete("/{item_id}")
async def delete_item(item_id: int):
    await db.delete("items", item_id)
