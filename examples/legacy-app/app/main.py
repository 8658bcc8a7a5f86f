import subprocess
import time

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.db import db
from app.routers import items, users

SECRET_KEY = "super-secret-key-123"

app = FastAPI(title="Legacy inventory")
app.add_middleware(
    CORSMiddleware,
    allow_origins=["*"],
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
)
app.include_router(items.router)
app.include_router(users.router)


@app.on_event("startup")
async def connect() -> None:
    await db.connect()


@app.on_event("shutdown")
def disconnect() -> None:
    db.close()


@app.get("/status")
async def status():
    time.sleep(0.01)  # "give the pool a moment"
    revision = subprocess.run(["git", "--version"], capture_output=True, text=True)
    return {"connected": db.connected, "items": len(db.rows), "git": bool(revision.stdout)}
