from fastapi import APIRouter

router = APIRouter()

ITEMS = {1: {"id": 1, "name": "Saw"}, 2: {"id": 2, "name": "Plane"}}


@router.get("/getItems")
def list_items() -> list[dict]:
    """Every item."""
    return list(ITEMS.values())


# `/items/{item_id}` here would answer the `/items/recent` requests below
@router.get("/item/{item_id}")
def read_item(item_id: int) -> dict:
    """One item."""
    return ITEMS[item_id]


@router.get("/items/recent")
def recent_items() -> list[dict]:
    """The newest item."""
    return [ITEMS[2]]
