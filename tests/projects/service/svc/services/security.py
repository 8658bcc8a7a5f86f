"""Password hashing: CPU-bound work."""

from __future__ import annotations

import hashlib

SALT = b"svc-demo-salt"


def hash_password(password: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), SALT, 1_000).hex()
