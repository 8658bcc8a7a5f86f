from fastapi import APIRouter, Depends, Header

router = APIRouter()


def get_client(x_client: str = Header("web")) -> str:
    return x_client


@router.post("/token")
async def token(client: str = Depends(get_client)):
    return {"client": client}
