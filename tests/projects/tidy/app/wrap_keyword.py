from fastapi import APIRouter, Query

router = APIRouter()


@router.get("/orders")
async def list_orders(
    status: str = Query(
        description="Only the orders in this state; the open ones come first.",
    ),
):
    return {"status": status}
