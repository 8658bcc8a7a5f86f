"""The project is pinned to Pydantic v1 (requirements.txt); the installed Pydantic 2 ships v1 as
`pydantic.v1`, which the project's `pydantic` imports get here."""

import sys

import pydantic.v1

sys.modules["pydantic"] = pydantic.v1
