from datetime import timedelta

from fastapi import FastAPI

lifespan = timedelta(hours=8)  # how long a session lives
app = FastAPI()


@app.on_event("startup")
async def announce():
    print("sessions live", lifespan)


@app.get("/session")
async def session():
    return {"lifespan": lifespan.total_seconds()}
