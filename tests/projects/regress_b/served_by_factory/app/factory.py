from fastapi import FastAPI

from app.services.users import find_user


def create_app() -> FastAPI:
    """The app the server runs (`uvicorn --factory app.factory:create_app`)."""
    application = FastAPI()

    @application.get("/users/{name}")
    def read_user(name: str) -> dict:
        """One user."""
        return find_user(name)

    @application.get("/health")
    def health() -> dict:
        """Liveness probe."""
        return {"status": "ok"}

    return application
