from typing import Annotated, Literal, Union

from fastapi import Body, FastAPI, Query
from pydantic import BaseModel, Discriminator, PositiveInt


class Cat(BaseModel):
    pet_type: Literal["cat"]
    meows: int


class Dog(BaseModel):
    pet_type: Literal["dog"]
    barks: float


Pet = Annotated[Union[Cat, Dog], Discriminator("pet_type")]

app = FastAPI()


@app.post("/pets")
def create_pet(pet: Pet = Body()):
    return pet


@app.get("/pets")
def list_pets(page: PositiveInt = Query(1), kind: str = Query("cat")):
    return {"page": page, "kind": kind}
