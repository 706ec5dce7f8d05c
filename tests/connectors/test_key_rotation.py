"""Rotating the key of credentials and two-factor secrets: a new key first, re-encrypt, drop the
old key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from connectors.crypto import _fernet
from connectors.models import SocialAccount, User, Workspace
from connectors.twofactor.models import TwoFactorDevice
from connectors.twofactor.services import two_factor_enrolment_start
from tests.factories import SocialAccountFactory, UserFactory

OLD, NEW, STRANGER = (Fernet.generate_key().decode() for _ in range(3))
SECRETS = {"access_token": "token-of-the-page", "refresh_token": "refresh-me"}


@pytest.fixture
def keys(settings: Any) -> Iterator[Any]:
    def use(*keys: str) -> None:
        settings.ENCRYPTION_KEYS = list(keys)
        _fernet.cache_clear()

    yield use
    _fernet.cache_clear()


def account_with_secrets(workspace: Workspace) -> SocialAccount:
    account = cast(SocialAccount, SocialAccountFactory(workspace=workspace))
    account.credentials = SECRETS
    account.save()
    return account


def stored(account: SocialAccount) -> str:
    return SocialAccount.objects.values_list("credentials_encrypted", flat=True).get(pk=account.pk)


def test_rotation_re_encrypts_with_the_new_key_and_the_old_one_can_go(
    workspace: Workspace, keys: Any, capsys: Any
) -> None:
    keys(OLD)
    account = account_with_secrets(workspace)
    before = stored(account)

    keys(NEW, OLD)
    call_command("rotate_encryption_keys")
    assert "Re-encrypted the credentials of 1 account(s)." in capsys.readouterr().out
    after = stored(account)
    assert after != before and "token-of-the-page" not in after

    keys(NEW)  # the old key is gone: the credentials still read
    assert SocialAccount.objects.get(pk=account.pk).credentials == SECRETS
    call_command("rotate_encryption_keys")  # again: nothing breaks, still readable
    assert SocialAccount.objects.get(pk=account.pk).credentials == SECRETS


def test_credentials_no_key_can_read_are_reported_and_left_alone(
    workspace: Workspace, keys: Any
) -> None:
    keys(STRANGER)
    lost = account_with_secrets(workspace)
    keys(NEW)
    readable = account_with_secrets(workspace)
    token = stored(lost)

    with pytest.raises(CommandError, match=f"account\\(s\\) {lost.pk}"):
        call_command("rotate_encryption_keys")
    assert stored(lost) == token  # untouched, so the right key can still be added later
    assert SocialAccount.objects.get(pk=readable.pk).credentials == SECRETS


def test_rotation_re_encrypts_two_factor_secrets_too(
    workspace: Workspace, keys: Any, capsys: Any
) -> None:

    keys(OLD)
    user = cast(User, UserFactory())
    device = two_factor_enrolment_start(user=user)
    secret = device.secret
    before = device.secret_encrypted

    keys(NEW, OLD)
    call_command("rotate_encryption_keys")
    assert "Re-encrypted the two-factor secrets of 1 user(s)." in capsys.readouterr().out
    after = TwoFactorDevice.objects.get(pk=device.pk).secret_encrypted
    assert after != before and secret not in after

    keys(NEW)  # the old key is gone: the secret still reads
    assert TwoFactorDevice.objects.get(pk=device.pk).secret == secret


def test_two_factor_secrets_no_key_can_read_are_reported(keys: Any, db: None) -> None:

    keys(STRANGER)
    user = cast(User, UserFactory())
    device = two_factor_enrolment_start(user=user)
    token = device.secret_encrypted
    keys(NEW)
    with pytest.raises(CommandError, match=f"two-factor secrets of user\\(s\\) {user.pk}"):
        call_command("rotate_encryption_keys")
    assert TwoFactorDevice.objects.get(pk=device.pk).secret_encrypted == token
