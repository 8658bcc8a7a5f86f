from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from app.routers import items

app = FastAPI()
app.include_router(items.router, prefix="/api/v1")


@app.get("/health")
def health() -> dict:
    """Liveness probe."""
    return {"status": "ok"}


@app.get("/{full_path:path}", response_class=HTMLResponse)
def single_page_app(full_path: str) -> str:
    """The front end: any other path answers index.html."""
    return "<html>index</html>"
