"""Two-factor services: replay refused, recovery codes spent once, the secret encrypted at rest,
wrong codes throttled."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection

from connectors.login_throttle import MAX_FAILURES
from connectors.models import Role, User, Workspace
from connectors.twofactor import services, throttle, totp
from connectors.twofactor.models import RecoveryCode, TwoFactorDevice
from tests.connectors.twofactor_helpers import code_at, enable

NOW = 1_800_000_015.0


def test_enrolment_keeps_the_same_secret_until_confirmed(viewer: User) -> None:
    first = services.two_factor_enrolment_start(user=viewer)
    again = services.two_factor_enrolment_start(user=viewer)
    assert first.pk == again.pk and first.secret == again.secret
    assert services.two_factor_device_confirmed(user=viewer) is None  # not on before a code


def test_a_wrong_first_code_enables_nothing(viewer: User) -> None:
    device = services.two_factor_enrolment_start(user=viewer)
    wrong = str((int(code_at(device, NOW)) + 1) % 1_000_000).zfill(6)
    with pytest.raises(services.TwoFactorError):
        services.two_factor_enable(user=viewer, code=wrong, unix_time=NOW)
    assert services.two_factor_device_confirmed(user=viewer) is None
    assert not RecoveryCode.objects.exists()


def test_enabling_gives_ten_distinct_recovery_codes_stored_hashed(viewer: User) -> None:
    device, codes = enable(viewer, NOW)
    assert device.confirmed_at is not None
    assert len(codes) == len(set(codes)) == services.RECOVERY_CODE_COUNT
    stored = list(RecoveryCode.objects.filter(device=device).values_list("code_hash", flat=True))
    assert len(stored) == len(codes)
    assert not set(codes) & set(stored)
    assert all(code.replace("-", "") not in " ".join(stored) for code in codes)


def test_the_same_code_is_refused_the_second_time(viewer: User) -> None:
    device, _codes = enable(viewer, NOW)
    code = code_at(device, NOW)
    assert services.two_factor_code_check(device=device, code=code, unix_time=NOW)
    assert not services.two_factor_code_check(device=device, code=code, unix_time=NOW)
    # Nor a code of an earlier step, still within the drift window.
    earlier = code_at(device, NOW - totp.STEP_SECONDS)
    assert not services.two_factor_code_check(device=device, code=earlier, unix_time=NOW)
    # The next step's code works.
    later = NOW + totp.STEP_SECONDS
    assert services.two_factor_code_check(
        device=device, code=code_at(device, later), unix_time=later
    )


def test_replay_is_refused_even_with_a_stale_device_object(viewer: User) -> None:
    device, _codes = enable(viewer, NOW)
    stale = TwoFactorDevice.objects.get(pk=device.pk)  # as a second request would hold it
    code = code_at(device, NOW)
    assert services.two_factor_code_check(device=device, code=code, unix_time=NOW)
    assert not services.two_factor_code_check(device=stale, code=code, unix_time=NOW)


def test_a_recovery_code_works_once_and_others_still_work(viewer: User) -> None:
    device, codes = enable(viewer, NOW)
    assert services.second_factor_check(device=device, code=codes[0], unix_time=NOW)
    assert not services.second_factor_check(device=device, code=codes[0], unix_time=NOW)
    # Typed in capitals, without dashes, with spaces: the same code.
    loose = codes[1].replace("-", " ").upper()
    assert services.second_factor_check(device=device, code=loose, unix_time=NOW)
    assert services.recovery_codes_left(device=device) == services.RECOVERY_CODE_COUNT - 2


def test_a_recovery_code_of_another_user_does_not_work(viewer: User, admin_member: User) -> None:
    device, _codes = enable(viewer, NOW)
    _other_device, other_codes = enable(admin_member, NOW)
    assert not services.recovery_code_use(device=device, code=other_codes[0])


def test_new_recovery_codes_void_the_old_ones(viewer: User) -> None:
    device, old = enable(viewer, NOW)
    new = services.recovery_codes_regenerate(device=device)
    assert not set(old) & set(new)
    assert not services.recovery_code_use(device=device, code=old[0])
    assert services.recovery_code_use(device=device, code=new[0])


def test_the_secret_is_not_readable_in_the_database(viewer: User) -> None:
    device, _codes = enable(viewer, NOW)
    secret = device.secret
    assert len(secret) == 32
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret_encrypted FROM connectors_twofactordevice WHERE id = %s", [device.pk]
        )
        (column,) = cursor.fetchone()
    assert secret not in column and secret.lower() not in column.lower()
    assert TwoFactorDevice.objects.get(pk=device.pk).secret == secret


def test_disable_removes_the_device_and_its_codes(viewer: User) -> None:
    enable(viewer, NOW)
    services.two_factor_disable(user=viewer)
    assert not TwoFactorDevice.objects.exists() and not RecoveryCode.objects.exists()


def test_reset_counts_only_users_who_had_it_on(viewer: User, admin_member: User) -> None:
    enable(viewer, NOW)
    services.two_factor_enrolment_start(user=admin_member)  # started, never confirmed
    assert services.two_factor_reset(users=[viewer, admin_member]) == 1
    assert not TwoFactorDevice.objects.exists()


def test_required_only_for_admins_and_staff_when_the_setting_is_on(
    settings: object, workspace: Workspace, member_factory: object, viewer: User
) -> None:
    admin = member_factory(workspace, Role.ADMIN)  # type: ignore[operator]
    manager = member_factory(workspace, Role.MANAGER)  # type: ignore[operator]
    staff = User.objects.create_user("staff-only", password="x", is_staff=True)
    settings.REQUIRE_2FA_FOR_ADMINS = False  # type: ignore[attr-defined]
    assert not services.two_factor_required(user=admin)
    settings.REQUIRE_2FA_FOR_ADMINS = True  # type: ignore[attr-defined]
    assert services.two_factor_required(user=admin)
    assert services.two_factor_required(user=staff)
    assert not services.two_factor_required(user=manager)
    assert not services.two_factor_required(user=viewer)


def test_five_wrong_codes_lock_and_a_right_one_resets(viewer: User) -> None:
    enable(viewer)
    for attempt in range(1, MAX_FAILURES):
        assert not throttle.code_failed(viewer.pk), attempt
        assert not throttle.code_locked(viewer.pk)
    assert throttle.code_failed(viewer.pk)  # the fifth locks
    assert throttle.code_locked(viewer.pk)
    throttle.code_succeeded(viewer.pk)
    assert not throttle.code_locked(viewer.pk)


def test_the_code_limit_holds_when_the_cache_forgets(viewer: User) -> None:
    """The count is in the database: a cache that is cleared or unreachable (and reads as
    empty) does not give an attacker with the password fresh tries."""
    enable(viewer)
    for _attempt in range(1, MAX_FAILURES):
        throttle.code_failed(viewer.pk)
        cache.clear()
    assert throttle.code_failed(viewer.pk)
    cache.clear()
    assert throttle.code_locked(viewer.pk)


def test_wrong_codes_further_apart_than_the_window_do_not_lock(viewer: User) -> None:
    enable(viewer)
    with time_machine.travel(dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _attempt in range(1, MAX_FAILURES):
            throttle.code_failed(viewer.pk)
        clock.shift(dt.timedelta(minutes=16))
        assert not throttle.code_failed(viewer.pk)
        assert not throttle.code_locked(viewer.pk)


def test_users_without_two_factor_have_nothing_counted(viewer: User) -> None:
    assert not any(throttle.code_failed(viewer.pk) for _ in range(MAX_FAILURES + 1))
    assert not throttle.code_locked(viewer.pk)


def test_enrolment_uses_the_real_clock(viewer: User) -> None:
    device, _codes = enable(viewer)
    assert services.two_factor_code_check(
        device=device, code=code_at(device, time.time()), unix_time=time.time()
    )
