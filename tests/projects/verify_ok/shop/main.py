import time

from fastapi import Depends, FastAPI, HTTPException

from shop.deps import pagination

app = FastAPI(title="Shop")

ITEMS = {1: {"id": 1, "name": "apple"}, 2: {"id": 2, "name": "pear"}}


@app.get("/items")
async def list_items(page: dict = Depends(pagination)):
    """List the items, a page at a time."""
    items = sorted(ITEMS.values(), key=lambda item: item["id"])
    return items[page["skip"] : page["skip"] + page["limit"]]


@app.get("/items/{item_id}")
async def read_item(item_id: int):
    """One item."""
    time.sleep(0.01)  # a slow lookup
    if item_id not in ITEMS:
        raise HTTPException(status_code=404, detail="Item not found")
    return ITEMS[item_id]
