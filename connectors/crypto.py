"""Encryption at rest for platform credentials.

Keys come from ``RAPPORT_ENCRYPTION_KEYS`` (comma-separated Fernet keys): the first encrypts, all
decrypt, so a key is rotated by putting a new one first and re-saving the credentials. Without a
key list one key is derived from ``SECRET_KEY`` so that the embedded default works untouched.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialsUnreadable(Exception):
    """Stored credentials cannot be decrypted with any configured key."""


@cache
def _fernet() -> MultiFernet:
    keys: list[str] = list(settings.ENCRYPTION_KEYS)
    if not keys:
        digest = hashlib.sha256(f"rapport-credentials:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "RAPPORT_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64 bytes each); "
            "see the Configuration section of README.md."
        ) from exc


def credentials_encrypt(data: dict[str, Any]) -> str:
    if not data:
        return ""
    return _fernet().encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def credentials_decrypt(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return dict(json.loads(_fernet().decrypt(token.encode())))
    except InvalidToken as exc:
        raise CredentialsUnreadable(
            "The stored credentials cannot be decrypted with the configured keys."
        ) from exc


def credentials_reencrypt(token: str) -> str:
    """Re-encrypt with the first key (key rotation)."""
    if not token:
        return ""
    return _fernet().rotate(token.encode()).decode()
