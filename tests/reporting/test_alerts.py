"""Alert rules: each kind fires once per occurrence, resolves, fires again; delivery by email
and webhook, with retries that stop at the bound and never block the other deliveries."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
import responses
import time_machine
from django.core.mail import EmailMessage
from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns
from connectors.models import AccountMetric, AccountStatus, Role, SocialAccount, User, Workspace
from reporting.alert_models import (
    AlertChannel,
    AlertComparison,
    AlertDelivery,
    AlertEvent,
    AlertKind,
    AlertRule,
    DeliveryStatus,
)
from reporting.alerts import conditions
from reporting.alerts.services import MAX_ATTEMPTS, alert_rule_evaluate, alerts_evaluate
from reporting.kpis.selectors import kpi_get
from reporting.tasks import alerts_evaluate_task
from tests.factories import SocialAccountFactory

# The Alerts pages (linked from every alert), mounted here until config/urls.py includes them.
urlpatterns = list(project_urlpatterns)
if "alerts" not in {getattr(pattern, "namespace", None) for pattern in urlpatterns}:
    urlpatterns.append(path("", include("dashboards.urls_alerts")))
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

# Noon in Paris: "today" is March 10 and the last complete day March 9.
NOW = dt.datetime(2026, 3, 10, 11, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 10)
HOOK = "https://hooks.example.com/services/T0/B0/secret"
HOOK_IP = "93.184.216.34"
PINNED_HOOK = f"https://{HOOK_IP}/services/T0/B0/secret"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """There is no DNS here: names resolve through this table, anything else is unknown."""
    table = {"hooks.example.com.": HOOK_IP}

    def fake_getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    return table


@pytest.fixture
def account(workspace: Workspace) -> SocialAccount:
    return SocialAccountFactory.create(workspace=workspace, display_name="Acme Insta")


def facts(
    account: SocialAccount, *, days: range, value: float, metric: str = "impressions"
) -> None:
    for offset in days:
        AccountMetric.objects.update_or_create(
            account=account,
            metric=metric,
            day=TODAY - dt.timedelta(days=offset),
            defaults={"value": value},
        )


def rule_make(workspace: Workspace, kind: str, **fields: Any) -> AlertRule:
    return AlertRule.objects.create(workspace=workspace, name=f"{kind} rule", kind=kind, **fields)


def kpi_rule(workspace: Workspace, **fields: Any) -> AlertRule:
    defaults: dict[str, Any] = {
        "kpi": kpi_get(workspace=workspace, key="impressions"),
        "comparison": AlertComparison.BELOW,
        "threshold": 1000.0,
        "window_days": 7,
    }
    return rule_make(workspace, AlertKind.KPI_THRESHOLD, **(defaults | fields))


def test_kpi_threshold_fires_once_resolves_and_fires_again(
    workspace: Workspace,
    account: SocialAccount,
    admin_member: User,
    mailoutbox: list[EmailMessage],
) -> None:
    facts(account, days=range(1, 8), value=100.0)  # 700 impressions over the last 7 days
    rule = kpi_rule(workspace)

    for _ in range(3):
        alerts_evaluate()

    event = AlertEvent.objects.get(rule=rule)
    assert event.resolved_at is None
    assert event.facts["value"] == 700.0
    assert len(mailoutbox) == 1
    assert "Impressions is 700, below 1,000 (all accounts)" in mailoutbox[0].subject

    facts(account, days=range(1, 8), value=500.0)
    assert alert_rule_evaluate(rule=rule).resolved == 1
    event.refresh_from_db()
    assert event.resolved_at is not None

    facts(account, days=range(1, 8), value=100.0)
    alerts_evaluate()
    alerts_evaluate()
    assert AlertEvent.objects.filter(rule=rule).count() == 2
    assert AlertEvent.objects.filter(rule=rule, resolved_at__isnull=True).count() == 1
    assert len(mailoutbox) == 2


def test_kpi_threshold_of_one_account_reads_only_that_account(
    workspace: Workspace, account: SocialAccount, admin_member: User
) -> None:
    other = SocialAccountFactory.create(workspace=workspace)
    facts(account, days=range(1, 8), value=1000.0)
    facts(other, days=range(1, 8), value=1.0)
    rule = kpi_rule(workspace, account=other, comparison=AlertComparison.BELOW, threshold=100.0)

    alerts_evaluate()

    event = AlertEvent.objects.get(rule=rule)
    assert event.facts["value"] == 7.0
    assert event.facts["account_id"] == other.pk


def test_data_stopped_fires_once_resolves_and_fires_on_a_new_stop(
    workspace: Workspace,
    account: SocialAccount,
    admin_member: User,
    mailoutbox: list[EmailMessage],
    frozen: time_machine.Traveller,
) -> None:
    facts(account, days=range(5, 30), value=10.0)  # last day March 5: 4 days missing
    rule = rule_make(workspace, AlertKind.DATA_STOPPED, stale_days=3)

    alerts_evaluate()
    alerts_evaluate()

    event = AlertEvent.objects.get(rule=rule)
    assert event.occurrence_key == f"account:{account.pk}:data@2026-03-06"
    assert event.facts["days_missing"] == 4
    assert len(mailoutbox) == 1
    assert "No new data from Acme Insta (Instagram) since March 5, 2026" in mailoutbox[0].body

    facts(account, days=range(1, 5), value=10.0)
    alerts_evaluate()
    event.refresh_from_db()
    assert event.resolved_at is not None

    frozen.move_to(NOW + dt.timedelta(days=5))
    alerts_evaluate()
    alerts_evaluate()
    keys = set(AlertEvent.objects.filter(rule=rule).values_list("occurrence_key", flat=True))
    assert keys == {
        f"account:{account.pk}:data@2026-03-06",
        f"account:{account.pk}:data@2026-03-10",
    }
    assert len(mailoutbox) == 2


def test_data_stopped_ignores_paused_accounts_and_accounts_without_data(
    workspace: Workspace, account: SocialAccount
) -> None:
    facts(account, days=range(10, 20), value=10.0)
    account.status = AccountStatus.PAUSED
    account.save()
    SocialAccountFactory.create(workspace=workspace)  # never had a row
    rule = rule_make(workspace, AlertKind.DATA_STOPPED, stale_days=2)

    alerts_evaluate()

    assert not AlertEvent.objects.filter(rule=rule).exists()


def test_needs_reauth_fires_once_resolves_and_fires_again(
    workspace: Workspace,
    account: SocialAccount,
    admin_member: User,
    mailoutbox: list[EmailMessage],
    frozen: time_machine.Traveller,
) -> None:
    rule = rule_make(workspace, AlertKind.NEEDS_REAUTH)
    alerts_evaluate()
    assert not AlertEvent.objects.exists()

    SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.NEEDS_REAUTH)
    alerts_evaluate()
    alerts_evaluate()
    assert AlertEvent.objects.filter(rule=rule).count() == 1
    assert "Acme Insta (Instagram) must be reconnected" in mailoutbox[0].subject

    SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.ACTIVE)
    alerts_evaluate()
    assert AlertEvent.objects.get(rule=rule).resolved_at is not None

    frozen.move_to(NOW + dt.timedelta(days=1))
    SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.NEEDS_REAUTH)
    alerts_evaluate()
    assert AlertEvent.objects.filter(rule=rule).count() == 2
    assert len(mailoutbox) == 2


@dataclass
class FakeGoal:
    pk: int
    workspace_id: int
    end: dt.date
    name: str

    def __str__(self) -> str:
        return self.name


def test_goal_off_track_fires_once_per_status_and_resolves(
    workspace: Workspace,
    other_workspace: Workspace,
    admin_member: User,
    mailoutbox: list[EmailMessage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    goal = FakeGoal(7, workspace.pk, dt.date(2026, 3, 31), "March reach")
    foreign = FakeGoal(8, other_workspace.pk, dt.date(2026, 3, 31), "Their goal")
    statuses = {"now": "off_track"}
    calls: list[dict[str, Any]] = []

    def progress(**kwargs: Any) -> list[Any]:
        calls.append(kwargs)
        return [
            SimpleNamespace(goal=g, status=statuses["now"], actual=40.0, target=100.0, unit="count")
            for g in (goal, foreign)
        ]

    monkeypatch.setattr(conditions, "goal_progress_function", lambda: progress)
    rule = rule_make(workspace, AlertKind.GOAL_OFF_TRACK)

    alerts_evaluate()
    alerts_evaluate()
    event = AlertEvent.objects.get(rule=rule)
    assert event.subject == "goal:7:off_track"
    assert calls[0] == {"workspace": rule.workspace, "today": TODAY}
    assert "Goal off track: March reach" in mailoutbox[0].subject
    assert "So far 40 of a target of 100" in mailoutbox[0].body

    statuses["now"] = "on_track"
    alerts_evaluate()
    event.refresh_from_db()
    assert event.resolved_at is not None
    assert len(mailoutbox) == 1


def test_anomaly_fires_once_per_anomalous_day(
    workspace: Workspace,
    account: SocialAccount,
    admin_member: User,
    mailoutbox: list[EmailMessage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    days = {"found": [dt.date(2026, 3, 8)]}

    def detect(**kwargs: Any) -> pd.DataFrame:
        assert kwargs["workspace"] == workspace
        return pd.DataFrame(
            {
                "day": pd.to_datetime(days["found"]),
                "account_id": [account.pk] * len(days["found"]),
                "account": ["Acme Insta"] * len(days["found"]),
                "platform": ["instagram"] * len(days["found"]),
                "value": [0.0] * len(days["found"]),
                "expected": [1200.0] * len(days["found"]),
                "low": [900.0] * len(days["found"]),
                "high": [1500.0] * len(days["found"]),
                "kind": ["outage"] * len(days["found"]),
                "score": [9.0] * len(days["found"]),
            }
        )

    monkeypatch.setattr(conditions, "anomaly_function", lambda: detect)
    rule = rule_make(workspace, AlertKind.ANOMALY, metric="impressions", window_days=3)

    alerts_evaluate()
    alerts_evaluate()
    assert AlertEvent.objects.filter(rule=rule).count() == 1
    assert "Unusual impressions on March 8, 2026 (Acme Insta (Instagram))" in (
        mailoutbox[0].subject
    )
    assert "expected about 1,200 (usual range 900 to 1,500)" in mailoutbox[0].body

    days["found"] = [dt.date(2026, 3, 8), dt.date(2026, 3, 9)]
    alerts_evaluate()
    assert AlertEvent.objects.filter(rule=rule).count() == 2

    days["found"] = []
    alerts_evaluate()
    assert not AlertEvent.objects.filter(rule=rule, resolved_at__isnull=True).exists()
    assert len(mailoutbox) == 2


def test_a_rule_never_reads_another_workspace(
    workspace: Workspace, other_workspace: Workspace, admin_member: User
) -> None:
    theirs = SocialAccountFactory.create(workspace=other_workspace)
    facts(theirs, days=range(10, 20), value=1.0)
    SocialAccount.objects.filter(pk=theirs.pk).update(status=AccountStatus.NEEDS_REAUTH)
    rules = [
        rule_make(workspace, AlertKind.DATA_STOPPED, stale_days=1),
        rule_make(workspace, AlertKind.NEEDS_REAUTH),
        kpi_rule(workspace, comparison=AlertComparison.ABOVE, threshold=0.0),
    ]

    run = alerts_evaluate()

    assert run.rules == 3
    assert not AlertEvent.objects.filter(rule__in=rules).exists()


def test_emails_go_to_admins_by_default_in_their_language(
    workspace: Workspace,
    account: SocialAccount,
    member_factory: Callable[..., User],
    mailoutbox: list[EmailMessage],
) -> None:
    english = member_factory(workspace, Role.ADMIN, username="ann")
    french = member_factory(workspace, Role.ADMIN, username="amelie")
    french.language = "fr"
    french.save()
    member_factory(workspace, Role.VIEWER, username="vic")
    facts(account, days=range(5, 30), value=10.0)
    rule_make(workspace, AlertKind.DATA_STOPPED, stale_days=3)

    alerts_evaluate()

    by_recipient = {message.to[0]: message for message in mailoutbox}
    assert set(by_recipient) == {english.email, french.email}
    english_mail = by_recipient[english.email]
    assert english_mail.subject == (
        "[Rapport] No new data from Acme Insta (Instagram) since March 5, 2026"
    )
    assert "Hello ann," in english_mail.body
    assert "The latest day with numbers is March 5, 2026: 4 days are missing since." in (
        english_mail.body
    )
    assert "Alert “data_stopped rule” in Acme." in english_mail.body
    # Dates are written the French way for the French admin (Django's own French formats).
    assert "5 mars 2026" in by_recipient[french.email].body
    assert "March" not in by_recipient[french.email].body


def test_chosen_recipients_replace_the_admins(
    workspace: Workspace,
    other_workspace: Workspace,
    account: SocialAccount,
    admin_member: User,
    member_factory: Callable[..., User],
    mailoutbox: list[EmailMessage],
) -> None:
    analyst = member_factory(workspace, Role.ANALYST)
    outsider = member_factory(other_workspace, Role.ADMIN)
    SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.NEEDS_REAUTH)
    rule = rule_make(workspace, AlertKind.NEEDS_REAUTH)
    rule.recipients.set([analyst, outsider])

    alerts_evaluate()

    assert [message.to for message in mailoutbox] == [[analyst.email]]


def test_email_link_points_to_the_alerts_page(
    workspace: Workspace,
    account: SocialAccount,
    admin_member: User,
    mailoutbox: list[EmailMessage],
    settings: Any,
) -> None:
    settings.SITE_URL = "https://rapport.example.org"
    SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.NEEDS_REAUTH)
    rule_make(workspace, AlertKind.NEEDS_REAUTH)

    alerts_evaluate()

    assert "https://rapport.example.org/w/acme/alerts/" in mailoutbox[0].body


@responses.activate
def test_webhook_gets_a_slack_payload_at_the_vetted_address(
    workspace: Workspace, account: SocialAccount, dns: dict[str, str]
) -> None:
    responses.add(responses.POST, PINNED_HOOK, json={"ok": True})
    SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.NEEDS_REAUTH)
    rule = rule_make(workspace, AlertKind.NEEDS_REAUTH, email_enabled=False, webhook_url=HOOK)

    alerts_evaluate()
    alerts_evaluate()

    assert len(responses.calls) == 1
    request = responses.calls[0].request
    assert request.headers["Host"] == "hooks.example.com"
    body = json.loads(request.body or b"{}")
    assert body["text"].startswith("Acme Insta (Instagram) must be reconnected")
    assert body["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Acme Insta (Instagram) must be reconnected"},
    }
    assert body["blocks"][2]["elements"][0]["url"].endswith("/w/acme/alerts/")
    delivery = AlertDelivery.objects.get(event__rule=rule)
    assert (delivery.channel, delivery.status, delivery.attempts) == (
        AlertChannel.WEBHOOK,
        DeliveryStatus.SENT,
        1,
    )
    assert delivery.sent_at is not None


@responses.activate
def test_failing_webhook_is_retried_up_to_the_bound_without_blocking_email(
    workspace: Workspace,
    account: SocialAccount,
    admin_member: User,
    dns: dict[str, str],
    mailoutbox: list[EmailMessage],
) -> None:
    responses.add(responses.POST, PINNED_HOOK, status=500)
    SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.NEEDS_REAUTH)
    rule = rule_make(workspace, AlertKind.NEEDS_REAUTH, webhook_url=HOOK)

    for _ in range(MAX_ATTEMPTS + 2):
        alerts_evaluate()

    webhook = AlertDelivery.objects.get(event__rule=rule, channel=AlertChannel.WEBHOOK)
    assert webhook.status == DeliveryStatus.FAILED
    assert webhook.attempts == MAX_ATTEMPTS
    assert webhook.error == "The webhook refused the message (HTTP 500)."
    assert len(responses.calls) == MAX_ATTEMPTS
    email = AlertDelivery.objects.get(event__rule=rule, channel=AlertChannel.EMAIL)
    assert (email.status, email.attempts) == (DeliveryStatus.SENT, 1)
    assert len(mailoutbox) == 1


@responses.activate
def test_webhook_recovering_on_a_retry_is_sent(
    workspace: Workspace, account: SocialAccount, dns: dict[str, str]
) -> None:
    responses.add(responses.POST, PINNED_HOOK, status=503)
    responses.add(responses.POST, PINNED_HOOK, json={"ok": True})
    SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.NEEDS_REAUTH)
    rule = rule_make(workspace, AlertKind.NEEDS_REAUTH, email_enabled=False, webhook_url=HOOK)

    alerts_evaluate()
    alerts_evaluate()
    alerts_evaluate()

    delivery = AlertDelivery.objects.get(event__rule=rule)
    assert (delivery.status, delivery.attempts, delivery.error) == (DeliveryStatus.SENT, 2, "")
    assert len(responses.calls) == 2


@responses.activate
def test_webhook_redirect_is_a_failed_delivery(
    workspace: Workspace, account: SocialAccount, dns: dict[str, str]
) -> None:
    responses.add(
        responses.POST,
        PINNED_HOOK,
        status=302,
        headers={"Location": "http://169.254.169.254/latest/meta-data/"},
    )
    SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.NEEDS_REAUTH)
    rule = rule_make(workspace, AlertKind.NEEDS_REAUTH, email_enabled=False, webhook_url=HOOK)

    alerts_evaluate()

    delivery = AlertDelivery.objects.get(event__rule=rule)
    assert delivery.status == DeliveryStatus.FAILED
    assert "redirect (HTTP 302)" in delivery.error
    assert len(responses.calls) == 1


@responses.activate
def test_webhook_host_that_now_resolves_privately_is_not_contacted(
    workspace: Workspace, account: SocialAccount, dns: dict[str, str]
) -> None:
    SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.NEEDS_REAUTH)
    rule = rule_make(workspace, AlertKind.NEEDS_REAUTH, email_enabled=False, webhook_url=HOOK)
    dns["hooks.example.com."] = "10.1.2.3"  # checked at save time, rebound since

    alerts_evaluate()

    delivery = AlertDelivery.objects.get(event__rule=rule)
    assert delivery.status == DeliveryStatus.FAILED
    assert "private or local network address (10.1.2.3)" in delivery.error
    assert len(responses.calls) == 0


def test_inactive_rules_are_not_evaluated(workspace: Workspace, account: SocialAccount) -> None:
    SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.NEEDS_REAUTH)
    rule_make(workspace, AlertKind.NEEDS_REAUTH, is_active=False)

    assert alerts_evaluate().rules == 0
    assert not AlertEvent.objects.exists()


def test_task_evaluates_and_reports_counts(
    workspace: Workspace, account: SocialAccount, admin_member: User
) -> None:
    SocialAccount.objects.filter(pk=account.pk).update(status=AccountStatus.NEEDS_REAUTH)
    rule_make(workspace, AlertKind.NEEDS_REAUTH)

    first = alerts_evaluate_task.apply().get()
    second = alerts_evaluate_task.apply().get()

    assert alerts_evaluate_task.name == "reporting.alerts_evaluate"
    assert first == {"rules": 1, "fired": 1, "resolved": 0, "sent": 1, "failed": 0}
    assert second == {"rules": 1, "fired": 0, "resolved": 0, "sent": 0, "failed": 0}
