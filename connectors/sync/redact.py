"""Keep tokens and secrets out of what a sync stores: run errors and archived responses.

``connectors.http`` already drops credential query parameters from what it records, but a
platform module's message, a token endpoint's body or a pagination URL can still carry one.
Everything a sync writes for people to read goes through these functions first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"
# Shorter values (an expiry in seconds, a "Bearer" type) are not secrets, and replacing them
# everywhere would garble messages.
_MIN_SECRET_LENGTH = 8
# Also the audit log's (connectors.audit): webhook URLs carry their token in the path.
_SECRET_KEY_PARTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "credential",
    "code_verifier",
    "authorization",
    "webhook",
    "api_key",
    "apikey",
)


def secret_values(*sources: Mapping[str, Any] | None) -> frozenset[str]:
    """Every string long enough to be a secret found in ``sources`` (credentials, app config)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if len(value) >= _MIN_SECRET_LENGTH:
                found.add(value)
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    for source in sources:
        if source:
            walk(source)
    return frozenset(found)


def text_redact(text: str, secrets: Iterable[str]) -> str:
    # Longest first, so a secret that contains another is replaced whole.
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def json_redact(value: Any, secrets: Iterable[str]) -> Any:
    """A copy of a JSON value with secret-looking keys and any known secret value replaced."""
    secrets = tuple(secrets)
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if secret_key_name(str(key)) else json_redact(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [json_redact(item, secrets) for item in value]
    if isinstance(value, str):
        return text_redact(value, secrets)
    return value


def secret_key_name(key: str) -> bool:
    """Does ``key`` name a secret (a token, a password, a webhook URL…)?"""
    lowered = key.lower()
    return any(part in lowered for part in _SECRET_KEY_PARTS)
