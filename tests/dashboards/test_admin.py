from __future__ import annotations

from typing import cast

import pytest
from django.test import Client
from django.urls import reverse

from connectors.models import AccountMetric, SocialAccount, User, Workspace
from tests.factories import PASSWORD, AccountMetricFactory, SocialAccountFactory, UserFactory


@pytest.fixture
def staff_client(client: Client, db: None) -> Client:
    user = cast(User, UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def account(workspace: Workspace) -> SocialAccount:
    account = cast(SocialAccount, SocialAccountFactory(workspace=workspace))
    account.credentials = {"access_token": "super-secret-token"}
    account.save()
    return account


def test_account_admin_never_shows_credentials(
    staff_client: Client, account: SocialAccount
) -> None:
    change = staff_client.get(
        reverse("admin:connectors_socialaccount_change", args=[account.pk])
    ).content.decode()
    listing = staff_client.get(
        reverse("admin:connectors_socialaccount_changelist")
    ).content.decode()

    for html in (change, listing):
        assert "credentials_encrypted" not in html
        assert account.credentials_encrypted not in html
        assert "super-secret-token" not in html
    assert "Credentials set" in listing
    assert 'alt="True"' in listing


def test_facts_are_read_only_in_the_admin(staff_client: Client, account: SocialAccount) -> None:
    fact = cast(AccountMetric, AccountMetricFactory(account=account))
    assert staff_client.get(reverse("admin:connectors_accountmetric_add")).status_code == 403
    change = staff_client.get(
        reverse("admin:connectors_accountmetric_change", args=[fact.pk])
    ).content.decode()
    assert 'name="value"' not in change


@pytest.mark.parametrize(
    "name",
    [
        "connectors_workspace",
        "connectors_membership",
        "connectors_user",
        "connectors_socialaccount",
        "connectors_post",
        "connectors_accountmetric",
        "connectors_postmetric",
        "reporting_reporttemplate",
        "reporting_reportschedule",
        "reporting_reportrun",
        "reporting_sharelink",
    ],
)
def test_admin_changelists_render(staff_client: Client, account: SocialAccount, name: str) -> None:
    assert staff_client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_user_admin_edits_the_language(staff_client: Client, workspace: Workspace) -> None:
    user = cast(User, UserFactory(username="someone"))
    html = staff_client.get(
        reverse("admin:connectors_user_change", args=[user.pk])
    ).content.decode()
    assert 'name="language"' in html
    assert 'name="memberships-TOTAL_FORMS"' in html
