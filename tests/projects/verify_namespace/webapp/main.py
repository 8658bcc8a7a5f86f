from fastapi import FastAPI

from webapp.utils.access import router

app = FastAPI()
app.include_router(router)
