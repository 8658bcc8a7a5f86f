"""`fastapi-fix server`: the language server (`server/lsp.py`) and what it asks of the engine
(`server/project.py`)."""

from __future__ import annotations


def serve() -> None:
    from fastapi_fixer.server.lsp import serve as start

    start()
