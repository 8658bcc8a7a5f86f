"""A small user and item service: the proof project for fastapi-fix's rewrites."""
