import json
from pathlib import Path

from app.base import audit, router


@router.get("/settings")
async def read_settings():
    await audit("settings")
    text = Path("settings.json").read_text()
    return json.loads(text)
