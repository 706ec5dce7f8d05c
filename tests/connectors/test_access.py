from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from connectors.models import Role, SocialAccount
from connectors.permissions import PERMISSIONS, Action, role_can
from tests.factories import PASSWORD


def test_every_action_has_roles() -> None:
    assert set(PERMISSIONS) == set(Action)
    assert all(Role.ADMIN in roles for roles in PERMISSIONS.values())


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        (Role.VIEWER, Action.VIEW, True),
        (Role.VIEWER, Action.EDIT_TAGS, False),
        (Role.ANALYST, Action.EDIT_ANNOTATIONS, True),
        (Role.ANALYST, Action.MANAGE_REPORTS, False),
        (Role.MANAGER, Action.MANAGE_REPORTS, True),
        (Role.MANAGER, Action.MANAGE_ACCOUNTS, False),
        (Role.ADMIN, Action.MANAGE_KPIS, True),
    ],
)
def test_role_can(role: str, action: Action, allowed: bool) -> None:
    assert role_can(role, action) is allowed


def test_anonymous_is_sent_to_login(client: Client, workspace) -> None:
    url = reverse("overview", kwargs={"workspace_slug": workspace.slug})
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_viewer_of_one_workspace_gets_404_on_another(
    client: Client, viewer, other_workspace
) -> None:
    client.login(username=viewer.username, password=PASSWORD)
    url = reverse("overview", kwargs={"workspace_slug": other_workspace.slug})
    assert client.get(url).status_code == 404


def test_member_sees_own_workspace(client: Client, viewer, workspace) -> None:
    client.login(username=viewer.username, password=PASSWORD)
    url = reverse("overview", kwargs={"workspace_slug": workspace.slug})
    assert client.get(url).status_code == 200


def test_credentials_are_not_stored_in_clear(workspace) -> None:
    account = SocialAccount(workspace=workspace, platform="x", external_id="1", display_name="X")
    account.credentials = {"access_token": "super-secret-token"}
    account.save()
    stored = SocialAccount.objects.values_list("credentials_encrypted", flat=True).get()
    assert "super-secret-token" not in stored
    assert SocialAccount.objects.get().credentials == {"access_token": "super-secret-token"}
