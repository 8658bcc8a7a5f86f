from fastapi import APIRouter

router = APIRouter()
STARTS: list[str] = []


@router.on_event("startup")
def warm_cache() -> None:
    STARTS.append("items")


@router.get("/items")
def list_items() -> list[dict]:
    """Every item."""
    return [{"id": 1}]


@router.get("/items/{item_id}")
def read_item(item_id: int) -> dict:
    """One item."""
    return {"id": item_id}
