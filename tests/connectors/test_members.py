"""The Members page: adding by address (with an invitation for a new one), roles, removal, the
last-admin rule, and the Django admin's membership changes in the audit log."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from connectors.members import MemberError, member_remove, member_role_change
from connectors.models import AuditEvent, Membership, Role, User, Workspace
from tests.factories import PASSWORD, UserFactory


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def url(workspace: Workspace, name: str = "members", **kwargs: Any) -> str:
    return reverse(f"connectors:{name}", kwargs={"workspace_slug": workspace.slug, **kwargs})


def membership(user: User, workspace: Workspace) -> Membership:
    return Membership.objects.get(user=user, workspace=workspace)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_the_page_lists_members_with_role_and_last_login(
    workspace: Workspace, admin_member: User, viewer: User
) -> None:
    response = client_for(admin_member).get(url(workspace))

    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-member="{viewer.username}"' in page
    assert f'data-member="{admin_member.username}"' in page
    assert "Never" in page  # the viewer never logged in
    assert "Last admin" in page  # the only admin cannot be removed from the page


def test_an_existing_user_is_added_at_once_without_an_email(
    workspace: Workspace, admin_member: User
) -> None:
    someone = UserFactory.create(username="sam", email="Sam@Example.com")

    response = client_for(admin_member).post(
        url(workspace), {"email": "sam@example.com", "role": Role.ANALYST}
    )

    assert response.status_code == 302
    assert membership(someone, workspace).role == Role.ANALYST
    assert mail.outbox == []
    (event,) = events("member.added")
    assert (event.workspace, event.actor, event.target_id) == (
        workspace,
        admin_member,
        str(someone.pk),
    )
    assert event.changes == {"role": [None, "analyst"], "invited": False}
    assert client_for(someone).get(reverse("overview", args=[workspace.slug])).status_code == 200


def test_an_unknown_address_is_invited_and_the_link_sets_a_password_then_logs_in(
    workspace: Workspace, admin_member: User, settings: Any
) -> None:
    settings.SITE_URL = "https://rapport.example.com"
    response = client_for(admin_member).post(
        url(workspace), {"email": "new.person@client.example", "role": Role.VIEWER}
    )

    assert response.status_code == 302
    invited = User.objects.get(email="new.person@client.example")
    assert invited.username == "new.person@client.example"
    assert not invited.has_usable_password()
    assert membership(invited, workspace).role == Role.VIEWER
    (message,) = mail.outbox
    assert message.to == ["new.person@client.example"]
    assert "Acme" in message.subject
    link = re.search(r"https://rapport\.example\.com(/password/reset/\S+/)", str(message.body))
    assert link, message.body
    assert "new.person@client.example" in message.body  # the user name to log in with
    assert events("member.added")[0].changes["invited"] is True

    anonymous = Client()
    form_page = anonymous.get(link.group(1), follow=True)
    assert form_page.context["validlink"]
    chosen = "A-first-passphrase-77"
    done = anonymous.post(
        form_page.redirect_chain[-1][0], {"new_password1": chosen, "new_password2": chosen}
    )
    assert done.status_code == 302
    assert Client().login(username="new.person@client.example", password=chosen)
    # The link works once.
    assert not anonymous.get(link.group(1), follow=True).context["validlink"]
    (changed,) = events("auth.password_changed")
    assert changed.actor == invited and chosen not in str(changed.changes)


def test_a_mail_failure_adds_nobody(
    workspace: Workspace, admin_member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("mail server down")

    monkeypatch.setattr("connectors.members.send_mail", broken)
    response = client_for(admin_member).post(
        url(workspace), {"email": "x@client.example", "role": Role.VIEWER}
    )

    assert response.status_code == 200
    assert "could not be sent, so nobody was added" in response.content.decode()
    assert not User.objects.filter(email="x@client.example").exists()
    assert not events("member.added")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not an address", "role": Role.VIEWER}, "Enter a valid email address."),
        ({"email": "a@b.example", "role": "owner"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_with_a_message(
    workspace: Workspace, admin_member: User, data: dict[str, str], message: str
) -> None:
    response = client_for(admin_member).post(url(workspace), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Membership.objects.filter(workspace=workspace).count() == 1


def test_adding_a_member_twice_says_so(
    workspace: Workspace, admin_member: User, viewer: User
) -> None:
    response = client_for(admin_member).post(
        url(workspace), {"email": viewer.email, "role": Role.ADMIN}
    )

    assert "is already a member of this workspace" in response.content.decode()
    assert membership(viewer, workspace).role == Role.VIEWER


def test_an_address_shared_by_two_users_is_refused(
    workspace: Workspace, admin_member: User
) -> None:
    UserFactory.create(username="one", email="shared@example.com")
    UserFactory.create(username="two", email="SHARED@example.com")

    response = client_for(admin_member).post(
        url(workspace), {"email": "shared@example.com", "role": Role.VIEWER}
    )

    assert "Several users have this address" in response.content.decode()


def test_changing_a_role_is_recorded_and_applies_at_once(
    workspace: Workspace, admin_member: User, viewer: User
) -> None:
    viewer_client = client_for(viewer)
    kpi_new = reverse("kpis:kpi_new", args=[workspace.slug])
    assert viewer_client.get(kpi_new).status_code == 403

    response = client_for(admin_member).post(
        url(workspace, "member_role", membership_id=membership(viewer, workspace).pk),
        {"role": Role.ADMIN},
    )

    assert response.status_code == 302
    assert viewer_client.get(kpi_new).status_code == 200
    (event,) = events("member.role_changed")
    assert event.changes == {"role": ["viewer", "admin"]}


def test_removing_a_member_ends_their_access_at_once(
    workspace: Workspace, admin_member: User, viewer: User
) -> None:
    viewer_client = client_for(viewer)
    overview = reverse("overview", args=[workspace.slug])
    assert viewer_client.get(overview).status_code == 200
    remove = url(workspace, "member_remove", membership_id=membership(viewer, workspace).pk)
    admin = client_for(admin_member)

    assert admin.get(remove).status_code == 200  # asks first
    assert viewer_client.get(overview).status_code == 200
    response = admin.post(remove)

    assert response.status_code == 302
    assert viewer_client.get(overview).status_code == 404
    assert User.objects.filter(pk=viewer.pk).exists()
    (event,) = events("member.removed")
    assert event.target_label == viewer.username and event.changes == {"role": ["viewer", None]}


def test_the_last_admin_can_be_neither_demoted_nor_removed(
    workspace: Workspace, admin_member: User
) -> None:
    client = client_for(admin_member)
    own = membership(admin_member, workspace)

    demoted = client.post(
        url(workspace, "member_role", membership_id=own.pk), {"role": Role.VIEWER}, follow=True
    )
    removed = client.post(url(workspace, "member_remove", membership_id=own.pk), follow=True)

    for response in (demoted, removed):
        assert "is the last admin of this workspace" in response.content.decode()
    assert membership(admin_member, workspace).role == Role.ADMIN
    assert not events("member.role_changed") and not events("member.removed")
    with pytest.raises(MemberError):
        member_role_change(membership=own, role=Role.MANAGER)
    with pytest.raises(MemberError):
        member_remove(membership=own)


def test_with_a_second_admin_an_admin_may_step_down(
    workspace: Workspace, admin_member: User, member_factory: Callable[..., User]
) -> None:
    member_factory(workspace, Role.ADMIN, username="second")
    client = client_for(admin_member)

    response = client.post(
        url(workspace, "member_role", membership_id=membership(admin_member, workspace).pk),
        {"role": Role.MANAGER},
    )

    # No longer an admin: sent to a page they may still open.
    assert response["Location"] == reverse("overview", args=[workspace.slug])
    assert client.get(url(workspace)).status_code == 403


def test_a_member_of_another_workspace_cannot_be_touched(
    workspace: Workspace,
    other_workspace: Workspace,
    admin_member: User,
    member_factory: Callable[..., User],
) -> None:
    theirs = membership(member_factory(other_workspace, Role.VIEWER), other_workspace)
    client = client_for(admin_member)

    role = client.post(url(workspace, "member_role", membership_id=theirs.pk), {"role": Role.ADMIN})
    remove = client.post(url(workspace, "member_remove", membership_id=theirs.pk))

    assert (role.status_code, remove.status_code) == (404, 404)
    assert Membership.objects.get(pk=theirs.pk).role == Role.VIEWER


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ANALYST, Role.VIEWER])
def test_only_admins_manage_members(
    workspace: Workspace, admin_member: User, member_factory: Callable[..., User], role: str
) -> None:
    client = client_for(member_factory(workspace, role))
    own = membership(admin_member, workspace)

    assert client.get(url(workspace)).status_code == 403
    assert client.post(url(workspace), {"email": "a@b.example", "role": "admin"}).status_code == 403
    assert (
        client.post(url(workspace, "member_role", membership_id=own.pk), {"role": "viewer"})
    ).status_code == 403
    assert client.post(url(workspace, "member_remove", membership_id=own.pk)).status_code == 403
    assert membership(admin_member, workspace).role == Role.ADMIN


def test_posts_need_the_csrf_token(workspace: Workspace, admin_member: User, viewer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_member)

    response = client.post(
        url(workspace, "member_remove", membership_id=membership(viewer, workspace).pk)
    )

    assert response.status_code == 403
    assert Membership.objects.filter(user=viewer).exists()


def test_the_invitation_can_be_sent_again_until_a_password_is_set(
    workspace: Workspace, admin_member: User
) -> None:
    client = client_for(admin_member)
    client.post(url(workspace), {"email": "late@client.example", "role": Role.VIEWER})
    invited = User.objects.get(email="late@client.example")
    again = url(workspace, "member_invite", membership_id=membership(invited, workspace).pk)

    client.post(again)
    assert len(mail.outbox) == 2
    invited.set_password("now-chosen-123")
    invited.save()
    client.post(again)
    assert len(mail.outbox) == 2


# The Django admin -------------------------------------------------------------------------------


@pytest.fixture
def staff(db: None, django_user_model: Any) -> User:
    user: User = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    return user


def test_membership_changes_in_the_django_admin_are_recorded(
    workspace: Workspace, viewer: User, staff: User
) -> None:
    client = client_for(staff)
    own = membership(viewer, workspace)
    change = reverse("admin:connectors_membership_change", args=[own.pk])

    client.post(change, {"user": viewer.pk, "workspace": workspace.pk, "role": Role.MANAGER})
    client.post(reverse("admin:connectors_membership_delete", args=[own.pk]), {"post": "yes"})
    client.post(
        reverse("admin:connectors_membership_add"),
        {"user": viewer.pk, "workspace": workspace.pk, "role": Role.ANALYST},
    )

    recorded = [
        (e.action, e.actor, e.workspace, e.changes["role"])
        for e in AuditEvent.objects.filter(action__startswith="member.").order_by("pk")
    ]
    assert recorded == [
        ("member.role_changed", staff, workspace, ["viewer", "manager"]),
        ("member.removed", staff, workspace, ["manager", None]),
        ("member.added", staff, workspace, [None, "analyst"]),
    ]


def test_memberships_edited_inline_on_a_workspace_are_recorded(
    workspace: Workspace, viewer: User, admin_member: User, staff: User
) -> None:
    client = client_for(staff)
    viewer_m, admin_m = membership(viewer, workspace), membership(admin_member, workspace)
    newcomer = UserFactory.create(username="newcomer")
    prefix = "memberships"
    data = {
        "name": workspace.name,
        "slug": workspace.slug,
        "timezone": workspace.timezone,
        "language": workspace.language,
        "primary_color": workspace.primary_color,
        "report_footer": "",
        f"{prefix}-TOTAL_FORMS": "3",
        f"{prefix}-INITIAL_FORMS": "2",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-id": viewer_m.pk,
        f"{prefix}-0-workspace": workspace.pk,
        f"{prefix}-0-user": viewer.pk,
        f"{prefix}-0-role": Role.ANALYST,
        f"{prefix}-1-id": admin_m.pk,
        f"{prefix}-1-workspace": workspace.pk,
        f"{prefix}-1-user": admin_member.pk,
        f"{prefix}-1-role": Role.ADMIN,
        f"{prefix}-2-workspace": workspace.pk,
        f"{prefix}-2-user": newcomer.pk,
        f"{prefix}-2-role": Role.VIEWER,
    }

    response = client.post(reverse("admin:connectors_workspace_change", args=[workspace.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    recorded = sorted(
        (e.action, e.target_id, e.changes["role"][0], e.changes["role"][1])
        for e in AuditEvent.objects.filter(action__startswith="member.")
    )
    assert recorded == sorted(
        [
            ("member.role_changed", str(viewer.pk), "viewer", "analyst"),
            ("member.added", str(newcomer.pk), None, "viewer"),
        ]
    )
