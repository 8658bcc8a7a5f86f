import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
async def ping():
    """Answers pong."""
    time.sleep(0.01)
    return {"ping": "pong"}
