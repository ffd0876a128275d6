"""API token values: a new token is shown once; only its SHA-256 hash is stored and looked up."""

from __future__ import annotations

import hashlib
import secrets


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "pd_" + secrets.token_urlsafe(32)
