from __future__ import annotations

from fastapi import FastAPI

from svc.db import db
from svc.routers import items, users

app = FastAPI(title="svc")
app.include_router(users.router)
app.include_router(items.router)


@app.on_event("startup")
async def connect_db():
    await db.connect()


@app.on_event("startup")
def announce():
    print("svc started")


@app.on_event("shutdown")
async def disconnect_db():
    await db.disconnect()


@app.get("/health")
async def health():
    return {"status": "ok", "db": db.connected}
