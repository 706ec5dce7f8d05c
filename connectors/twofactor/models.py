"""Two-factor devices and recovery codes (imported by ``connectors.models`` for Django).

The shared secret is encrypted at rest with the credentials' key list (``connectors.crypto``), so
``rotate_encryption_keys`` re-encrypts it too. Recovery codes are stored only as SHA-256 hashes:
they are long random strings, not passwords, so a fast hash loses nothing and lets a code be
found and spent in one conditional UPDATE.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from connectors.crypto import credentials_decrypt, credentials_encrypt

_SECRET_FIELD = "totp"  # noqa: S105 (the JSON key the secret is stored under)


class TwoFactorDevice(models.Model):
    """One authenticator per user. ``confirmed_at`` is empty while enrolment waits for the first
    code: such a device does not protect the log-in yet."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor_device"
    )
    secret_encrypted = models.TextField(editable=False)
    confirmed_at = models.DateTimeField(_("enabled on"), null=True, blank=True, editable=False)
    # The last time step a code was accepted for: a code is good once (RFC 6238 section 5.2).
    last_used_step = models.BigIntegerField(null=True, blank=True, editable=False)
    # Wrong codes (connectors.twofactor.throttle), kept here rather than in the cache so that
    # the limit holds when the cache is unreachable: it is what keeps a code from being guessed.
    failures = models.PositiveSmallIntegerField(default=0, editable=False)
    failures_since = models.DateTimeField(null=True, blank=True, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("two-factor device")
        verbose_name_plural = _("two-factor devices")

    def __str__(self) -> str:
        return f"two-factor device of user {self.user_id}"

    @property
    def secret(self) -> str:
        return str(credentials_decrypt(self.secret_encrypted)[_SECRET_FIELD])

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = credentials_encrypt({_SECRET_FIELD: value})


class RecoveryCode(models.Model):
    device = models.ForeignKey(
        TwoFactorDevice, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64, editable=False)
    used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"recovery code {self.pk}"
