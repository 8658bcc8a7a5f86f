from pathlib import Path

from fastapi import FastAPI

HTML = Path(__file__).parent / "index.html"


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/")
    async def index():
        return HTML.read_text(encoding="utf-8")

    return app
