from fastapi import FastAPI

from api import items, reports

app = FastAPI(title="Reports")
app.include_router(items.router)
app.include_router(reports.router)
