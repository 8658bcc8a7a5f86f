"""fastapi-fix: finds and fixes FastAPI best-practice violations."""

from __future__ import annotations

__version__ = "0.1.0"
