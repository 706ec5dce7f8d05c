"""Alerts pages: who may see and manage them, the form per kind, the test button."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
import responses
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import include, path, reverse

from config.urls import urlpatterns as project_urlpatterns
from connectors.models import AccountStatus, Role, User, Workspace
from reporting.alert_models import AlertEvent, AlertKind, AlertRule
from reporting.alerts.services import alerts_evaluate
from reporting.kpis.selectors import kpi_get
from tests.factories import SocialAccountFactory

# The Alerts pages (linked from every alert), mounted here until config/urls.py includes them.
urlpatterns = list(project_urlpatterns)
if "alerts" not in {getattr(pattern, "namespace", None) for pattern in urlpatterns}:
    urlpatterns.append(path("", include("dashboards.urls_alerts")))
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

HOOK = "https://hooks.example.com/services/T/B/secret"


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host != "hooks.example.com.":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)


def url(name: str, *, workspace: str = "acme", **kwargs: Any) -> str:
    return reverse(f"alerts:{name}", kwargs={"workspace_slug": workspace, **kwargs})


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def rule(workspace: Workspace) -> AlertRule:
    return AlertRule.objects.create(
        workspace=workspace,
        name="Lost access",
        kind=AlertKind.NEEDS_REAUTH,
        webhook_url=HOOK,
    )


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST, Role.MANAGER, Role.ADMIN])
def test_every_member_sees_rules_and_history_without_the_webhook_secret(
    client: Client,
    workspace: Workspace,
    rule: AlertRule,
    member_factory: Callable[..., User],
    role: str,
) -> None:
    account = SocialAccountFactory.create(workspace=workspace, display_name="Acme Insta")
    account.status = AccountStatus.NEEDS_REAUTH
    account.save()
    alerts_evaluate(workspace=workspace)

    response = login(client, member_factory(workspace, role)).get(url("list"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Lost access" in page
    assert "Webhook to hooks.example.com" in page
    assert "Acme Insta (Instagram) must be reconnected" in page
    assert "secret" not in page
    assert (url("create") in page) is (role == Role.ADMIN)
    assert (url("edit", rule_id=rule.pk) in page) is (role == Role.ADMIN)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST, Role.MANAGER])
def test_only_admins_manage_alerts(
    client: Client,
    workspace: Workspace,
    rule: AlertRule,
    member_factory: Callable[..., User],
    role: str,
) -> None:
    login(client, member_factory(workspace, role))

    assert client.get(url("create") + "?kind=needs_reauth").status_code == 403
    assert client.post(url("create"), {"kind": "needs_reauth", "name": "x"}).status_code == 403
    assert client.get(url("edit", rule_id=rule.pk)).status_code == 403
    assert client.post(url("delete", rule_id=rule.pk)).status_code == 403
    assert client.post(url("test", rule_id=rule.pk)).status_code == 403
    assert AlertRule.objects.filter(pk=rule.pk).exists()


def test_non_members_get_404_and_rules_of_other_workspaces_are_404(
    client: Client,
    workspace: Workspace,
    other_workspace: Workspace,
    rule: AlertRule,
    member_factory: Callable[..., User],
) -> None:
    outsider = member_factory(other_workspace, Role.ADMIN)
    login(client, outsider)

    assert client.get(url("list")).status_code == 404
    # Their own workspace's URL with our rule's id: the rule is not found there.
    assert client.get(url("edit", workspace="globex", rule_id=rule.pk)).status_code == 404
    assert client.post(url("delete", workspace="globex", rule_id=rule.pk)).status_code == 404
    assert client.post(url("test", workspace="globex", rule_id=rule.pk)).status_code == 404


def test_admin_creates_a_kpi_threshold_rule_with_a_percent_threshold(
    client: Client, workspace: Workspace, admin_member: User, dns: None
) -> None:
    login(client, admin_member)
    kpi = kpi_get(workspace=workspace, key="engagement_rate_reach")
    account = SocialAccountFactory.create(workspace=workspace)

    page = client.get(url("create") + "?kind=kpi_threshold").content.decode()
    assert 'name="kpi"' in page and 'name="stale_days"' not in page

    response = client.post(
        url("create"),
        {
            "kind": "kpi_threshold",
            "name": "Engagement dips",
            "kpi": kpi.pk,
            "account": account.pk,
            "comparison": "below",
            "threshold": "2.5",
            "window_days": "7",
            "email_enabled": "on",
            "recipients": [admin_member.pk],
            "webhook_url": HOOK,
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    rule = AlertRule.objects.get(name="Engagement dips")
    assert (rule.workspace, rule.kind, rule.kpi, rule.account) == (
        workspace,
        AlertKind.KPI_THRESHOLD,
        kpi,
        account,
    )
    assert rule.threshold == pytest.approx(0.025)
    assert list(rule.recipients.all()) == [admin_member]
    assert rule.created_by == admin_member
    listing = client.get(url("list")).content.decode()
    assert "below 2.50% over the last 7 days" in listing


def test_form_refuses_unsafe_webhooks_and_other_workspaces_objects(
    client: Client,
    workspace: Workspace,
    other_workspace: Workspace,
    admin_member: User,
) -> None:
    login(client, admin_member)
    foreign_account = SocialAccountFactory.create(workspace=other_workspace)

    response = client.post(
        url("create"),
        {
            "kind": "data_stopped",
            "name": "Quiet",
            "account": foreign_account.pk,
            "stale_days": "3",
            "webhook_url": "https://169.254.169.254/latest",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "points to a private or local network address (169.254.169.254)" in page
    assert "Select a valid choice" in page
    assert not AlertRule.objects.exists()


def test_a_rule_needs_a_channel(client: Client, admin_member: User) -> None:
    login(client, admin_member)
    response = client.post(url("create"), {"kind": "needs_reauth", "name": "Nobody"})
    assert "Choose at least one way to be told" in response.content.decode()


def test_unknown_kind_is_404(client: Client, admin_member: User) -> None:
    login(client, admin_member)
    assert client.get(url("create") + "?kind=nonsense").status_code == 404


def test_admin_edits_and_deletes_a_rule(
    client: Client, workspace: Workspace, rule: AlertRule, admin_member: User, dns: None
) -> None:
    login(client, admin_member)
    response = client.post(
        url("edit", rule_id=rule.pk),
        {"name": "Renamed", "email_enabled": "on", "webhook_url": ""},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.webhook_url, rule.is_active) == ("Renamed", "", False)

    assert "Delete the alert" in client.get(url("delete", rule_id=rule.pk)).content.decode()
    assert client.post(url("delete", rule_id=rule.pk)).status_code == 302
    assert not AlertRule.objects.filter(pk=rule.pk).exists()


@responses.activate
def test_send_a_test_reports_each_channel(
    client: Client,
    workspace: Workspace,
    rule: AlertRule,
    admin_member: User,
    mailoutbox: list[EmailMessage],
    dns: None,
) -> None:
    responses.add(responses.POST, "https://93.184.216.34/services/T/B/secret", status=404)
    login(client, admin_member)

    response = client.post(url("test", rule_id=rule.pk), follow=True)

    page = response.content.decode()
    assert f"A test was sent to {admin_member.email}." in page
    assert "The test to hooks.example.com failed: The webhook refused the message (HTTP 404)." in (
        page
    )
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "[Rapport] Test of the alert “Lost access”"
    assert not AlertEvent.objects.exists()


def test_french_page(client: Client, workspace: Workspace, rule: AlertRule, viewer: User) -> None:
    viewer.language = "fr"
    viewer.save()
    login(client, viewer)
    response = client.get(url("list"), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()
