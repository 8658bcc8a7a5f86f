from typing import Annotated

from fastapi import APIRouter, Path, Query

router = APIRouter()


@router.get("/orders/{order_id}")
async def get_order(order_id: Annotated[int, Path(gt=0)]):
    return {"id": order_id}


@router.get("/orders")
async def list_orders(
    status: str = Query(
        description="Only the orders in this state; the open ones come first.",
    ),
):
    return {"status": status}
