"""Two-factor in the pages: the log-in's second step, the Security page, the setting that
requires it for admins, and the admin site."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import time_machine
from django.contrib.admin.sites import site
from django.test import Client
from django.urls import reverse

from connectors.audit import AuditAction
from connectors.login_throttle import MAX_FAILURES
from connectors.models import AuditEvent, Role, User, Workspace
from connectors.twofactor import services, totp
from connectors.twofactor.models import TwoFactorDevice
from connectors.twofactor.session import PENDING_SECONDS
from tests.connectors.twofactor_helpers import code_at, enable, verified_client
from tests.factories import PASSWORD

LOGIN = "/login/"
CODE = "/login/code/"
SECURITY = "/account/security/"


def password_step(client: Client, user: User, next_url: str = "") -> Any:
    data = {"username": user.username, "password": PASSWORD}
    url = f"{LOGIN}?next={next_url}" if next_url else LOGIN
    if next_url:
        data["next"] = next_url
    return client.post(url, data)


def signed_in(client: Client, workspace: Workspace) -> bool:
    return client.get(f"/w/{workspace.slug}/").status_code == 200


def audited(action: AuditAction, user: User) -> list[AuditEvent]:
    """The audit events of ``action`` about ``user`` (installation-wide: no workspace)."""
    return list(
        AuditEvent.objects.filter(action=action, target_id=str(user.pk), workspace__isnull=True)
    )


# The log-in ----------------------------------------------------------------------------------


def test_password_alone_does_not_sign_in_a_user_with_two_factor(
    viewer: User, workspace: Workspace
) -> None:
    device, _codes = enable(viewer)
    client = Client()

    response = password_step(client, viewer)

    assert response.status_code == 302 and response["Location"] == CODE
    assert not signed_in(client, workspace)
    page = client.get(CODE)
    assert page.status_code == 200 and "Enter your authentication code" in page.content.decode()
    done = client.post(CODE, {"code": code_at(device, time.time())})
    assert done.status_code == 302
    assert signed_in(client, workspace)


def test_users_without_two_factor_still_log_in_in_one_step(
    viewer: User, workspace: Workspace
) -> None:
    client = Client()
    assert password_step(client, viewer)["Location"] == reverse("home")
    assert signed_in(client, workspace)


def test_next_survives_the_second_step(viewer: User, workspace: Workspace) -> None:
    device, _codes = enable(viewer)
    client = Client()
    target = f"/w/{workspace.slug}/posts/"
    password_step(client, viewer, next_url=target)
    response = client.post(CODE, {"code": code_at(device, time.time())})
    assert response["Location"] == target


def test_next_to_another_host_is_dropped(viewer: User) -> None:
    device, _codes = enable(viewer)
    client = Client()
    password_step(client, viewer, next_url="https://evil.example/steal")
    response = client.post(CODE, {"code": code_at(device, time.time())})
    assert response["Location"] == reverse("home")


def test_a_recovery_code_signs_in_once(viewer: User, workspace: Workspace) -> None:
    _device, codes = enable(viewer)
    first = Client()
    password_step(first, viewer)
    assert first.post(CODE, {"code": codes[0]}).status_code == 302
    assert "recovery code: 9 left" in first.get(SECURITY).content.decode()
    assert signed_in(first, workspace)

    second = Client()
    password_step(second, viewer)
    refused = second.post(CODE, {"code": codes[0]})
    assert refused.status_code == 200
    assert "not right, or it was already used" in refused.content.decode()
    assert not signed_in(second, workspace)
    [used] = audited(AuditAction.AUTH_RECOVERY_CODE_USED, viewer)
    assert used.actor == viewer and codes[0] not in str(used.changes)


def test_a_code_used_for_one_log_in_is_refused_for_the_next(
    viewer: User, workspace: Workspace
) -> None:
    device, _codes = enable(viewer)
    code = code_at(device, time.time())
    first = Client()
    password_step(first, viewer)
    assert first.post(CODE, {"code": code}).status_code == 302

    replay = Client()
    password_step(replay, viewer)
    assert replay.post(CODE, {"code": code}).status_code == 200
    assert not signed_in(replay, workspace)


def test_the_second_step_belongs_to_the_session_that_gave_the_password(viewer: User) -> None:
    device, _codes = enable(viewer)
    password_step(Client(), viewer)
    stranger = Client()
    response = stranger.post(CODE, {"code": code_at(device, time.time())})
    assert response.status_code == 302 and response["Location"] == LOGIN


def test_the_second_step_expires(viewer: User, workspace: Workspace) -> None:
    device, _codes = enable(viewer)
    client = Client()
    with time_machine.travel(time.time(), tick=False) as clock:
        password_step(client, viewer)
        clock.shift(dt.timedelta(seconds=PENDING_SECONDS + 1))
        response = client.post(CODE, {"code": code_at(device, time.time())})
        assert response["Location"] == LOGIN
        assert "took too long" in client.get(LOGIN).content.decode()
        assert not signed_in(client, workspace)


def test_five_wrong_codes_lock_the_second_step(viewer: User, workspace: Workspace) -> None:
    device, _codes = enable(viewer)
    client = Client()
    password_step(client, viewer)
    right = code_at(device, time.time())
    wrong = str((int(right) + 500_000) % 1_000_000).zfill(6)
    for _attempt in range(MAX_FAILURES - 1):
        assert client.post(CODE, {"code": wrong}).status_code == 200
    assert audited(AuditAction.AUTH_TWO_FACTOR_LOCKED_OUT, viewer) == []
    locked = client.post(CODE, {"code": wrong})
    assert locked["Location"] == LOGIN
    assert len(audited(AuditAction.AUTH_TWO_FACTOR_LOCKED_OUT, viewer)) == 1
    assert "Too many wrong codes" in client.get(LOGIN).content.decode()

    # Password and the right code again: still locked, at the password step already.
    again = password_step(client, viewer)
    assert again.status_code == 200 and "Too many wrong codes" in again.content.decode()
    assert client.post(CODE, {"code": right})["Location"] == LOGIN
    assert not signed_in(client, workspace)


def test_whoever_was_signed_in_is_not_while_the_code_is_awaited(
    viewer: User, admin_member: User, workspace: Workspace
) -> None:
    enable(viewer)
    client = Client()
    client.force_login(admin_member)
    assert password_step(client, viewer)["Location"] == CODE
    assert not signed_in(client, workspace)


def test_a_session_that_skipped_the_second_step_is_logged_out(
    viewer: User, workspace: Workspace
) -> None:
    enable(viewer)
    client = Client()
    client.force_login(viewer)  # as a session opened before enrolment, or by another path
    response = client.get(f"/w/{workspace.slug}/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert client.get(f"/w/{workspace.slug}/").status_code == 302  # logged out for good


def test_a_reset_and_new_enrolment_end_sessions_of_the_old_device(
    viewer: User, workspace: Workspace
) -> None:
    old, _codes = enable(viewer)
    client = verified_client(viewer, old)
    assert signed_in(client, workspace)
    services.two_factor_reset(users=[viewer])
    enable(viewer)
    assert not signed_in(client, workspace)


# The admin site ------------------------------------------------------------------------------


def test_the_admin_log_in_goes_through_the_two_step_log_in(workspace: Workspace) -> None:
    staff = User.objects.create_user("root", password=PASSWORD, is_staff=True, is_superuser=True)
    device, _codes = enable(staff)
    client = Client()

    to_login = client.get("/admin/")
    assert to_login["Location"].startswith(reverse("admin:login"))
    ours = client.get(to_login["Location"])
    assert ours.status_code == 302 and ours["Location"] == f"{LOGIN}?next=/admin/"
    # Posting the password to the admin's URL does not sign in either.
    client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD})
    assert client.get("/admin/").status_code == 302

    assert password_step(client, staff, next_url="/admin/")["Location"] == CODE
    assert client.get("/admin/").status_code == 302
    done = client.post(CODE, {"code": code_at(device, time.time())})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_admin_action_resets_a_users_two_factor(viewer: User, workspace: Workspace) -> None:
    enable(viewer)
    staff = User.objects.create_user("root", password=PASSWORD, is_staff=True, is_superuser=True)
    admin_client = Client()
    admin_client.force_login(staff)
    changelist = reverse("admin:connectors_user_changelist")
    listing = admin_client.get(changelist).content.decode()
    assert "Reset two-factor authentication" in listing
    assert viewer.two_factor_device.secret not in listing

    response = admin_client.post(
        changelist,
        {"action": "reset_two_factor", "_selected_action": [viewer.pk]},
        follow=True,
    )

    assert "Two-factor authentication reset for 1 user" in response.content.decode()
    [reset] = audited(AuditAction.AUTH_TWO_FACTOR_RESET, viewer)
    assert reset.actor == staff
    assert not TwoFactorDevice.objects.filter(user=viewer).exists()
    client = Client()
    assert password_step(client, viewer)["Location"] == reverse("home")


def test_a_reset_logs_out_the_sessions_verified_with_the_old_device(
    viewer: User, workspace: Workspace
) -> None:
    device, _codes = enable(viewer)
    stolen_phone_session = verified_client(viewer, device)
    assert signed_in(stolen_phone_session, workspace)

    services.two_factor_reset(users=[viewer])

    assert not signed_in(stolen_phone_session, workspace)


def _staff_with(permissions: list[str], username: str) -> Client:
    from django.contrib.auth.models import Permission

    staff = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    client = Client()
    client.force_login(staff)
    return client


def test_staff_who_may_only_view_users_cannot_reset_two_factor(viewer: User) -> None:
    enable(viewer)
    client = _staff_with(["view_user"], "auditor")
    changelist = reverse("admin:connectors_user_changelist")
    assert "reset_two_factor" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "reset_two_factor", "_selected_action": [viewer.pk]})
    assert services.two_factor_device_confirmed(user=viewer) is not None


def test_only_a_superuser_resets_the_two_factor_of_staff(viewer: User) -> None:
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    enable(root)
    helpdesk = _staff_with(["view_user", "change_user"], "helpdesk")
    changelist = reverse("admin:connectors_user_changelist")

    refused = helpdesk.post(
        changelist, {"action": "reset_two_factor", "_selected_action": [root.pk]}, follow=True
    )

    assert "Only a superuser" in refused.content.decode()
    assert services.two_factor_device_confirmed(user=root) is not None
    enable(viewer)
    helpdesk.post(changelist, {"action": "reset_two_factor", "_selected_action": [viewer.pk]})
    assert services.two_factor_device_confirmed(user=viewer) is None


def test_two_factor_devices_have_no_admin_page() -> None:
    assert TwoFactorDevice not in site._registry


# The Security page -----------------------------------------------------------------------------


def test_enrolment_from_the_page_shows_the_codes_once_and_never_the_secret_again(
    viewer: User,
) -> None:
    client = Client()
    client.force_login(viewer)
    page = client.get(SECURITY).content.decode()
    key = re.search(r'id="two-factor-key">([A-Z2-7 ]+)<', page)
    assert key is not None and 'class="qr-code"' in page
    secret = key.group(1).replace(" ", "")
    code = totp.totp(totp.secret_bytes(secret), time.time())

    response = client.post(reverse("two_factor_enable"), {"code": code})

    assert response.status_code == 200
    shown = re.findall(
        r"<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code>", response.content.decode()
    )
    assert len(shown) == services.RECOVERY_CODE_COUNT
    after = client.get(SECURITY)  # still signed in: enrolling verified this session
    assert after.status_code == 200
    html = after.content.decode()
    assert secret not in html and 'class="qr-code"' not in html
    assert not any(code in html for code in shown)
    assert "10 recovery codes left" in html
    [enabled] = audited(AuditAction.AUTH_TWO_FACTOR_ENABLED, viewer)
    assert secret not in str(enabled.changes) and code not in str(enabled.changes)


def test_a_wrong_enrolment_code_keeps_two_factor_off(viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    client.get(SECURITY)
    device = TwoFactorDevice.objects.get(user=viewer)
    wrong = str((int(code_at(device, time.time())) + 500_000) % 1_000_000).zfill(6)
    response = client.post(reverse("two_factor_enable"), {"code": wrong})
    assert response.status_code == 400
    assert "current code. Check the key" in response.content.decode()
    assert services.two_factor_device_confirmed(user=viewer) is None


def test_disabling_asks_the_password_or_a_code(viewer: User) -> None:
    device, _codes = enable(viewer)
    client = verified_client(viewer, device)
    url = reverse("two_factor_disable")

    refused = client.post(url, {"disable-confirmation": "not-my-password"})
    assert refused.status_code == 400
    assert "neither your password nor a current code" in refused.content.decode()
    assert services.two_factor_device_confirmed(user=viewer) is not None

    assert audited(AuditAction.AUTH_TWO_FACTOR_DISABLED, viewer) == []
    done = client.post(url, {"disable-confirmation": PASSWORD})
    assert done.status_code == 302
    assert services.two_factor_device_confirmed(user=viewer) is None
    assert len(audited(AuditAction.AUTH_TWO_FACTOR_DISABLED, viewer)) == 1


def test_disabling_with_a_current_code(viewer: User) -> None:
    device, _codes = enable(viewer)
    client = verified_client(viewer, device)
    code = code_at(device, time.time())
    client.post(reverse("two_factor_disable"), {"disable-confirmation": code})
    assert services.two_factor_device_confirmed(user=viewer) is None


def test_new_recovery_codes_need_the_password(viewer: User) -> None:
    device, old = enable(viewer)
    client = verified_client(viewer, device)
    url = reverse("two_factor_recovery_codes")
    assert client.post(url, {"codes-confirmation": "wrong"}).status_code == 400
    response = client.post(url, {"codes-confirmation": PASSWORD})
    assert response.status_code == 200
    assert old[0] not in response.content.decode()
    assert not services.recovery_code_use(device=device, code=old[0])
    assert len(audited(AuditAction.AUTH_RECOVERY_CODES_RENEWED, viewer)) == 1


def test_the_user_menu_links_to_the_security_page(viewer: User, workspace: Workspace) -> None:
    client = Client()
    client.force_login(viewer)
    assert f'href="{SECURITY}"' in client.get(f"/w/{workspace.slug}/").content.decode()


# Required for admins -------------------------------------------------------------------------


def test_admins_without_two_factor_are_sent_to_enrol_when_required(
    settings: Any, workspace: Workspace, member_factory: Callable[..., User], viewer: User
) -> None:
    settings.REQUIRE_2FA_FOR_ADMINS = True
    admin = member_factory(workspace, Role.ADMIN)
    client = Client()
    client.force_login(admin)

    for url in (f"/w/{workspace.slug}/", f"/w/{workspace.slug}/posts/", "/password/change/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == SECURITY, url
    page = client.get(SECURITY)
    assert page.status_code == 200 and "Your role requires two-factor" in page.content.decode()
    assert client.get("/healthz").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "fr", "next": "/"}).status_code == 302
    # Other roles are not concerned.
    other = Client()
    other.force_login(viewer)
    assert signed_in(other, workspace)
    # Log-out stays open.
    assert client.post("/logout/")["Location"] == LOGIN
    # Enrolled, the admin gets through.
    device = TwoFactorDevice.objects.get(user=admin)
    now = time.time()
    services.two_factor_enable(user=admin, code=code_at(device, now), unix_time=now)
    assert signed_in(verified_client(admin, device), workspace)


def test_staff_without_two_factor_are_sent_to_enrol_when_required(settings: Any, db: None) -> None:
    settings.REQUIRE_2FA_FOR_ADMINS = True
    staff = User.objects.create_user("root", password=PASSWORD, is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/")["Location"] == SECURITY


def test_nobody_is_sent_to_enrol_when_the_setting_is_off(
    settings: Any, workspace: Workspace, admin_member: User
) -> None:
    settings.REQUIRE_2FA_FOR_ADMINS = False
    client = Client()
    client.force_login(admin_member)
    assert signed_in(client, workspace)


def test_codes_and_secrets_are_never_logged(viewer: User, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client()
    client.force_login(viewer)
    page = client.get(SECURITY).content.decode()
    match = re.search(r'id="two-factor-key">([A-Z2-7 ]+)<', page)
    assert match is not None
    secret = match.group(1).replace(" ", "")
    key = totp.secret_bytes(secret)
    wrong = str((int(totp.totp(key, time.time())) + 500_000) % 1_000_000).zfill(6)
    client.post(reverse("two_factor_enable"), {"code": wrong})  # a 400, logged
    enabled = client.post(reverse("two_factor_enable"), {"code": totp.totp(key, time.time())})
    codes = re.findall(r"<code>([a-z2-7-]{14})</code>", enabled.content.decode())
    client.post("/logout/")
    second = Client()
    password_step(second, viewer)
    second.post(CODE, {"code": codes[0]})

    logged = caplog.text
    assert secret not in logged
    assert not any(code in logged for code in codes)
