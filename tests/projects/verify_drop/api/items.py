from fastapi import APIRouter, Depends, Header

router = APIRouter()


async def get_token(x_token: str = Header()):
    return x_token


@router.get("/items")
async def list_items(limit: int = 10, token: str = Depends(get_token)):
    """The first items, for a caller with a token."""
    return {"limit": limit, "token": token}
