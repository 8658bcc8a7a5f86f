from fastapi import Depends, FastAPI, Header

app = FastAPI()


def get_locale(accept_language: str = Header("en")) -> str:
    return accept_language.lower()


@app.get("/greeting")
async def greeting(locale: str = Depends(get_locale)):
    return {"locale": locale}
