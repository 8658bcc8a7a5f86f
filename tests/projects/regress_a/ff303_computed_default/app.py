from fastapi import FastAPI, Query

app = FastAPI()
STRICT = True  # the query is required in this deployment


@app.get("/search")
def search(
    q: str = Query(default=... if STRICT else None, max_length=20),
    page: int = Query(1, ge=1),
):
    return {"q": q, "page": page}
