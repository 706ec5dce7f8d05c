"""TOTP per RFC 6238 and HOTP per RFC 4226, checked against the RFCs' own test vectors."""

from __future__ import annotations

import pytest

from connectors.twofactor import totp

SHA1_KEY = b"12345678901234567890"
SHA256_KEY = b"12345678901234567890123456789012"
SHA512_KEY = b"1234567890" * 6 + b"1234"

# RFC 6238 Appendix B: time, digest, expected 8-digit code.
RFC6238 = [
    (59, "sha1", "94287082"),
    (59, "sha256", "46119246"),
    (59, "sha512", "90693936"),
    (1111111109, "sha1", "07081804"),
    (1111111109, "sha256", "68084774"),
    (1111111109, "sha512", "25091201"),
    (1111111111, "sha1", "14050471"),
    (1111111111, "sha256", "67062674"),
    (1111111111, "sha512", "99943326"),
    (1234567890, "sha1", "89005924"),
    (1234567890, "sha256", "91819424"),
    (1234567890, "sha512", "93441116"),
    (2000000000, "sha1", "69279037"),
    (2000000000, "sha256", "90698825"),
    (2000000000, "sha512", "38618901"),
    (20000000000, "sha1", "65353130"),
    (20000000000, "sha256", "77737706"),
    (20000000000, "sha512", "47863826"),
]
KEYS = {"sha1": SHA1_KEY, "sha256": SHA256_KEY, "sha512": SHA512_KEY}

# RFC 4226 Appendix D: counter 0…9 with the SHA-1 key.
RFC4226 = ["755224", "287082", "359152", "969429", "338314"]
RFC4226 += ["254676", "287922", "162583", "399871", "520489"]


@pytest.mark.parametrize(("unix_time", "digest", "expected"), RFC6238)
def test_rfc6238_vectors(unix_time: int, digest: str, expected: str) -> None:
    assert totp.totp(KEYS[digest], unix_time, digits=8, digest=digest) == expected


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC4226)))
def test_rfc4226_hotp_vectors(counter: int, expected: str) -> None:
    assert totp.hotp(SHA1_KEY, counter) == expected


def test_six_digit_codes_are_the_last_six_of_the_rfc_ones() -> None:
    assert totp.totp(SHA1_KEY, 59) == "287082"
    assert totp.totp(SHA1_KEY, 1111111109) == "081804"


@pytest.mark.parametrize(
    ("offset_seconds", "matches"),
    [(-60, False), (-30, True), (0, True), (29, True), (30, True), (60, False)],
)
def test_one_step_of_clock_drift_either_side_is_accepted(
    offset_seconds: int, matches: bool
) -> None:
    now = 1_700_000_015.0  # the middle of a step
    code = totp.totp(SHA1_KEY, now + offset_seconds)
    step = totp.totp_match(SHA1_KEY, code, now)
    assert (step is not None) is matches
    if matches:
        assert step == totp.time_step(now + offset_seconds)


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_match_nothing(typed: str) -> None:
    assert totp.totp_match(SHA1_KEY, typed, 1_700_000_000) is None


def test_spaces_in_a_typed_code_are_ignored() -> None:
    code = totp.totp(SHA1_KEY, 1_700_000_000)
    assert totp.totp_match(SHA1_KEY, f"{code[:3]} {code[3:]}", 1_700_000_000) is not None


def test_a_generated_secret_round_trips_through_base32() -> None:
    secret = totp.secret_generate()
    assert len(totp.secret_bytes(secret)) == totp.SECRET_BYTES
    assert "=" not in secret
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)).lower()
    assert totp.secret_bytes(grouped) == totp.secret_bytes(secret)


def test_provisioning_uri_carries_what_the_apps_expect() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", account="ana@example.com", issuer="Rapport")
    assert uri.startswith("otpauth://totp/Rapport:ana@example.com?")
    assert "secret=JBSWY3DPEHPK3PXP" in uri and "issuer=Rapport" in uri
    assert "digits=6" in uri and "period=30" in uri and "algorithm=SHA1" in uri
