"""HOTP (RFC 4226) and TOTP (RFC 6238) with the standard library only.

Authenticator apps (Google Authenticator, Aegis, 1Password…) all speak the defaults used here:
HMAC-SHA-1, 30-second steps counted from the Unix epoch, 6 digits. No I/O, no ORM: the replay
rule (one code per time step) needs stored state and lives in ``services``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
# One step either side: a phone clock a little off, or a code typed as it was changing.
DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits, the key length RFC 4226 recommends for HMAC-SHA-1
# SHA-256 and SHA-512 only for the RFC 6238 test vectors: the apps' default is SHA-1.
_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def secret_generate() -> str:
    """A new random shared secret, base32 without padding (what the apps accept typed in)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def secret_bytes(secret_b32: str) -> bytes:
    cleaned = secret_b32.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226 section 5.3: HMAC of the 8-byte counter, dynamic truncation, modulo 10^digits."""
    mac = hmac.new(key, counter.to_bytes(8, "big"), _DIGESTS[digest]).digest()
    offset = mac[-1] & 0x0F
    binary = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def time_step(unix_time: float, *, step: int = STEP_SECONDS) -> int:
    return int(unix_time // step)


def totp(key: bytes, unix_time: float, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    return hotp(key, time_step(unix_time), digits=digits, digest=digest)


def totp_match(key: bytes, code: str, unix_time: float, *, drift: int = DRIFT_STEPS) -> int | None:
    """The time step ``code`` belongs to, within ``drift`` steps of now, or None.

    Every candidate is compared in constant time and none is skipped, so the answer's timing
    says nothing about which step (or whether any) matched.
    """
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = time_step(unix_time)
    found: int | None = None
    for candidate in range(now - drift, now + drift + 1):
        if hmac.compare_digest(hotp(key, candidate), code) and found is None:
            found = candidate
    return found


def provisioning_uri(secret_b32: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI a QR code carries (Google's Key Uri Format)."""
    label = quote(f"{issuer}:{account}", safe=":@")
    query = urlencode(
        {
            "secret": secret_b32,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"
