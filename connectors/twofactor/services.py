"""Two-factor devices: enrol, confirm, check a code, spend a recovery code, disable, reset, rotate.

Events an audit log will want, each in one function here: enabled (``two_factor_enable``),
disabled by the user (``two_factor_disable``), recovery code used (``recovery_code_use``),
recovery codes regenerated (``recovery_codes_regenerate``), reset by an admin
(``two_factor_reset``); the wrong-code lock-out is in ``connectors.twofactor.throttle``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from connectors.crypto import CredentialsUnreadable, credentials_decrypt, credentials_reencrypt
from connectors.models import Membership, Role, User
from connectors.twofactor import totp
from connectors.twofactor.models import RecoveryCode, TwoFactorDevice

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32: no 0/1/8/9 to misread
_RECOVERY_GROUPS, _RECOVERY_GROUP_LENGTH = 3, 4  # 12 characters, 60 bits of chance


class TwoFactorError(Exception):
    """A two-factor change that cannot be made (already on, nothing to confirm, wrong code)."""


def two_factor_device_confirmed(*, user: User) -> TwoFactorDevice | None:
    """The user's working device, or None when two-factor is off (or enrolment not finished)."""
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def two_factor_required(*, user: User) -> bool:
    """Must this user have two-factor? Only when RAPPORT_REQUIRE_2FA_FOR_ADMINS is on, for Django
    staff and for the admins of any workspace."""
    if not settings.REQUIRE_2FA_FOR_ADMINS:
        return False
    return bool(user.is_staff or Membership.objects.filter(user=user, role=Role.ADMIN).exists())


def two_factor_enrolment_start(*, user: User) -> TwoFactorDevice:
    """The pending device whose secret the enrolment page shows, made on the first visit.

    The same secret comes back until it is confirmed, so a page reloaded after scanning the QR
    code still matches the app.
    """
    device, _created = TwoFactorDevice.objects.get_or_create(
        user=user, defaults={"secret_encrypted": _encrypted_new_secret()}
    )
    if device.confirmed_at is not None:
        raise TwoFactorError("Two-factor authentication is already on.")
    return device


@sensitive_variables("device")
def _encrypted_new_secret() -> str:
    device = TwoFactorDevice()
    device.secret = totp.secret_generate()
    return device.secret_encrypted


@sensitive_variables("key", "code")
def two_factor_code_check(*, device: TwoFactorDevice, code: str, unix_time: float) -> bool:
    """Is ``code`` a current code of the device not used before? Spends it if so.

    The step is recorded with a conditional UPDATE, so the same code sent twice at once (or
    captured and replayed within its 90 seconds) passes only once.
    """
    try:
        key = totp.secret_bytes(device.secret)
    except CredentialsUnreadable:
        return False
    step = totp.totp_match(key, code, unix_time)
    if step is None:
        return False
    fresh = Q(last_used_step__isnull=True) | Q(last_used_step__lt=step)
    if not TwoFactorDevice.objects.filter(fresh, pk=device.pk).update(last_used_step=step):
        return False
    device.last_used_step = step
    return True


@sensitive_variables("code", "device")
@transaction.atomic
def two_factor_enable(*, user: User, code: str, unix_time: float) -> list[str]:
    """Confirm the pending device with its first code; returns the recovery codes to show once."""
    device = (
        TwoFactorDevice.objects.select_for_update()
        .filter(user=user, confirmed_at__isnull=True)
        .first()
    )
    if device is None:
        raise TwoFactorError("There is no enrolment to confirm.")
    if not two_factor_code_check(device=device, code=code, unix_time=unix_time):
        raise TwoFactorError("The code is not the current one.")
    TwoFactorDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    return recovery_codes_regenerate(device=device)


def two_factor_disable(*, user: User) -> None:
    TwoFactorDevice.objects.filter(user=user).delete()


def two_factor_reset(*, users: Iterable[User]) -> int:
    """An admin turns two-factor off for users who lost their authenticator; returns how many
    had it on. They log in with their password alone and can enrol again."""
    ids = [user.pk for user in users]
    confirmed = TwoFactorDevice.objects.filter(user_id__in=ids, confirmed_at__isnull=False).count()
    TwoFactorDevice.objects.filter(user_id__in=ids).delete()
    return confirmed


def _recovery_normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(_recovery_normalised(code).encode()).hexdigest()


def _recovery_code_new() -> str:
    groups = (
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP_LENGTH))
        for _ in range(_RECOVERY_GROUPS)
    )
    return "-".join(groups)


@sensitive_variables("codes", "code")
@transaction.atomic
def recovery_codes_regenerate(*, device: TwoFactorDevice) -> list[str]:
    """Replace every recovery code of the device by new ones; the old ones stop working.

    The codes are returned for the page to show once and are stored only hashed.
    """
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = _recovery_code_new()
        if code not in codes:
            codes.append(code)
    device.recovery_codes.all().delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, code_hash=_recovery_hash(code)) for code in codes
    )
    return codes


@sensitive_variables("code")
def recovery_code_use(*, device: TwoFactorDevice, code: str) -> bool:
    """Spend one recovery code: True once per code, False for a wrong or already used one."""
    if len(_recovery_normalised(code)) != _RECOVERY_GROUPS * _RECOVERY_GROUP_LENGTH:
        return False
    spent = RecoveryCode.objects.filter(
        device=device, code_hash=_recovery_hash(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return bool(spent)


def recovery_codes_left(*, device: TwoFactorDevice) -> int:
    return device.recovery_codes.filter(used_at__isnull=True).count()


def is_authenticator_code(code: str) -> bool:
    """Digits only: the app's code; anything else is taken for a recovery code."""
    return "".join(code.split()).isdigit()


@sensitive_variables("code")
def second_factor_check(*, device: TwoFactorDevice, code: str, unix_time: float) -> bool:
    """The log-in's second step: a current authenticator code, or an unused recovery code.

    A recovery code accepted here is the place an audit log records "recovery code used"."""
    if is_authenticator_code(code):
        return two_factor_code_check(device=device, code=code, unix_time=unix_time)
    return recovery_code_use(device=device, code=code)


@dataclass
class SecretRotationResult:
    rotated: int = 0
    unreadable: list[int] = field(default_factory=list)  # user ids no key can decrypt


def two_factor_secrets_rotate() -> SecretRotationResult:
    """Re-encrypt every two-factor secret with the first key; idempotent, like
    ``credentials_rotate`` (a row changed meanwhile is left to its newer value)."""
    result = SecretRotationResult()
    rows = TwoFactorDevice.objects.order_by("pk").values_list("pk", "user_id", "secret_encrypted")
    for pk, user_id, token in rows.iterator(chunk_size=500):
        try:
            credentials_decrypt(token)
        except CredentialsUnreadable:
            result.unreadable.append(user_id)
            continue
        fresh = credentials_reencrypt(token)
        if TwoFactorDevice.objects.filter(pk=pk, secret_encrypted=token).update(
            secret_encrypted=fresh
        ):
            result.rotated += 1
    return result
