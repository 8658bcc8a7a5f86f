import asyncio
from pathlib import Path

from fastapi import FastAPI

app = FastAPI()
DATA = Path(__file__).parent / "data"


async def audit(what: str) -> None:
    await asyncio.sleep(0)


@app.get("/scan")
async def scan(pattern: str = "*.txt"):
    await audit(pattern)
    found = DATA.glob(pattern)
    return sorted(f.name for f in found)


@app.get("/count")
async def count(pattern: str = "*.txt"):
    return len(list(DATA.glob(pattern)))
