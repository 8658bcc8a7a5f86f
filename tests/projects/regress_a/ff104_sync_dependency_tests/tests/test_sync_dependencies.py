"""A test module that exists to test FastAPI's sync generator dependencies: FF104 once made
`sync_gen_dep` an `async def` here, and the test no longer tested the sync path (its dependency
stopped going through the threadpool)."""

import fastapi.dependencies.utils as utils
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from app import app as real_app

app = FastAPI()
state = {"closed": False}


def sync_gen_dep():
    state["closed"] = False
    yield "value"
    state["closed"] = True


@app.get("/")
def read(value: str = Depends(sync_gen_dep)):
    return {"value": value}


def test_sync_generator_dependency_runs_in_the_threadpool(monkeypatch: pytest.MonkeyPatch):
    seen = []
    original = utils.contextmanager_in_threadpool

    def counting(manager):
        seen.append(manager)
        return original(manager)

    monkeypatch.setattr(utils, "contextmanager_in_threadpool", counting)
    assert TestClient(app).get("/").json() == {"value": "value"}
    assert state["closed"] is True
    assert len(seen) == 1


def test_locale():
    client = TestClient(real_app)
    assert client.get("/greeting", headers={"accept-language": "FR"}).json() == {
        "locale": "fr"
    }
