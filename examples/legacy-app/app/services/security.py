import hashlib

SALT = b"legacy-salt"


def hash_password(password: str) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), SALT, 1_000)
    return digest.hex()
