from typing import Annotated

from fastapi import APIRouter, Path, Query

router = APIRouter()


@router.get("/orders/{order_id}")
async def get_order(order_id: Annotated[int, Path(gt=0)]):
    return {"id": order_id}


@router.get("/orders")
async def list_orders_by_status(order_status: str = Query("open")):
    return {"status": order_status}


PAGES = {"first": 1, "last": -1}
