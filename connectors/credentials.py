"""Key rotation for the platform credentials stored encrypted on each social account.

``RAPPORT_ENCRYPTION_KEYS`` lists Fernet keys: the first encrypts, all decrypt. To rotate, put a
new key first, restart, run ``manage.py rotate_encryption_keys`` (this), then remove the old key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.crypto import CredentialsUnreadable, credentials_decrypt, credentials_reencrypt
from connectors.models import SocialAccount


@dataclass
class RotationResult:
    rotated: int = 0
    unreadable: list[int] = field(default_factory=list)  # account ids no key can decrypt


def credentials_rotate() -> RotationResult:
    """Re-encrypt every account's credentials with the first key; idempotent.

    Each row is updated only if it still holds the token that was read, so a token refreshed by
    a sync meanwhile (already encrypted with the first key) is never overwritten. Credentials no
    configured key can read are left as they are and reported.
    """
    result = RotationResult()
    rows = (
        SocialAccount.objects.exclude(credentials_encrypted="")
        .order_by("pk")
        .values_list("pk", "credentials_encrypted")
    )
    for pk, token in rows.iterator(chunk_size=500):
        try:
            credentials_decrypt(token)
        except CredentialsUnreadable:
            result.unreadable.append(pk)
            continue
        fresh = credentials_reencrypt(token)
        if SocialAccount.objects.filter(pk=pk, credentials_encrypted=token).update(
            credentials_encrypted=fresh
        ):
            result.rotated += 1
    return result
