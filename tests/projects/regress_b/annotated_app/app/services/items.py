from fastapi import HTTPException


def get_item(item_id: int) -> dict:
    if item_id != 1:
        raise HTTPException(status_code=404, detail="Item not found")
    return {"id": 1}
