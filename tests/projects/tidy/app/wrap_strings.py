from typing import Annotated

from fastapi import APIRouter, Path, Query

router = APIRouter()


@router.get("/orders/{order_id}")
async def get_order(order_id: Annotated[int, Path(gt=0)]):
    return {"id": order_id}


@router.get("/orders/search")
async def search_orders(
    text: str = Query(
        description=(
            "Words to look for in the notes of an order. Each of the words "
            "must be non-empty. When combined with `status`, both must match."
        ),
    ),
):
    return {"text": text}
