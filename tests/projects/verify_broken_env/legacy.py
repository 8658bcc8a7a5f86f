import time

import a_package_not_installed_here
from fastapi import APIRouter

router = APIRouter()


@router.get("/legacy")
async def legacy():
    time.sleep(0.01)
    return {"client": a_package_not_installed_here.__name__}
