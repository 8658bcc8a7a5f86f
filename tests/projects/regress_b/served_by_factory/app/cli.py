"""A command-line helper that prints the OpenAPI document of an empty app."""

import json

from fastapi import FastAPI

app = FastAPI(title="schema dump")


def main() -> None:
    print(json.dumps(app.openapi()))
