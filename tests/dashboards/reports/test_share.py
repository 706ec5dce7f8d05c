"""Share links: the token, the public pages (expired, revoked, password, throttle, headers),
what each kind shows, and who may manage them."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from connectors.models import Platform, Role, User, Workspace
from dashboards.reports.sharing import (
    PASSWORD_LINK_MAX_TRIES,
    PASSWORD_MAX_TRIES,
    ShareState,
    dashboard_query_clean,
    share_link_create,
    share_link_lookup,
    share_link_resolve,
    share_link_revoke,
)
from reporting.report_models import (
    ReportFormat,
    ReportRun,
    ReportTemplate,
    RunStatus,
    ShareKind,
    ShareLink,
)
from tests.factories import AccountMetricFactory, SocialAccountFactory

pytestmark = pytest.mark.django_db

D = dt.date
NOW = dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.7\nAcme quarterly\n%%EOF"
PRIVATE_HEADERS = {
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "private, no-store",
}


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def make_run(workspace: Workspace, *, title: str = "October report") -> ReportRun:
    run = ReportRun(
        workspace=workspace,
        title=title,
        template_snapshot={
            "sections": [
                {"type": "cover", "title": ""},
                {"type": "summary"},
                {"type": "commentary", "title": "A word from the team", "text": "x"},
            ]
        },
        period_start=D(2026, 10, 1),
        period_end=D(2026, 10, 31),
        language="en",
        format=ReportFormat.PDF,
        status=RunStatus.SENT,
        file_size=len(PDF),
    )
    run.file.save("october.pdf", ContentFile(PDF), save=False)
    run.save()
    return run


def open_url(token: str) -> str:
    return reverse("share:open", args=[token])


def manage_url(name: str, workspace: Workspace, **kwargs: Any) -> str:
    return reverse(f"share:{name}", kwargs={"workspace_slug": workspace.slug, **kwargs})


def text(response: Any) -> str:
    return response.content.decode()


def period(page: str) -> tuple[str, str]:
    found = re.search(
        r'class="period"><time datetime="([\d-]+)">.*?<time datetime="([\d-]+)">', page
    )
    assert found, "no period on the page"
    return found.group(1), found.group(2)


def live_period(page: str) -> tuple[str, str]:
    found = re.search(r'data-period="([\d-]+)/([\d-]+)"', page)
    assert found, "no period on the page"
    return found.group(1), found.group(2)


# The token --------------------------------------------------------------------------------------


def test_token_is_stored_only_as_its_hash(workspace: Workspace) -> None:
    link, token = share_link_create(
        workspace=workspace, kind=ShareKind.RUN, run=make_run(workspace)
    )

    assert len(token) >= 40
    row = ShareLink.objects.values().get(pk=link.pk)
    assert token not in {str(value) for value in row.values()}
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert row["token_prefix"] == token[:8]
    assert share_link_resolve(token=token) == link
    assert share_link_resolve(token=row["token_hash"]) is None


def test_manager_sees_the_address_once_and_no_table_keeps_it(
    client: Client, workspace: Workspace, member_factory: Callable[..., User]
) -> None:
    run = make_run(workspace)
    client.force_login(member_factory(workspace, Role.MANAGER))

    response = client.post(
        manage_url("create", workspace),
        {"kind": "run", "run": run.pk, "expiry": "30", "label": "For the board"},
    )

    assert response.status_code == 200
    found = re.search(r'value="(http://[^"]+/s/([^/"]+)/)"', text(response))
    assert found, "the full address is shown"
    token = found.group(2)
    link = ShareLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert link.expires_at == NOW + dt.timedelta(days=30)
    assert response["Cache-Control"] == "private, no-store"
    assert all(token not in str(s.get_decoded()) for s in Session.objects.all())
    listing = text(client.get(manage_url("manage", workspace)))
    assert "For the board" in listing and token[:8] in listing and token not in listing


# Public pages: unknown, expired, revoked ------------------------------------------------------


def test_unknown_token_is_404_without_workspace_data(client: Client, workspace: Workspace) -> None:
    response = client.get(open_url("not-a-token"))
    assert response.status_code == 404
    assert "This link does not exist." in text(response)
    assert "Acme" not in text(response)


def test_expired_link_is_410_without_the_workspace_name(
    client: Client, workspace: Workspace, frozen_time: time_machine.Traveller
) -> None:
    workspace.report_footer = "Acme Corp, confidential"
    workspace.save()
    _link, token = share_link_create(
        workspace=workspace,
        kind=ShareKind.RUN,
        run=make_run(workspace),
        expires_at=NOW + dt.timedelta(days=7),
    )
    assert client.get(open_url(token)).status_code == 200

    frozen_time.move_to(NOW + dt.timedelta(days=7, seconds=1))
    response = client.get(open_url(token))

    assert response.status_code == 410
    page = text(response)
    assert "This link has expired." in page
    assert "Acme" not in page and "October report" not in page
    assert client.get(reverse("share:file", args=[token])).status_code == 410
    assert share_link_lookup(token=token).state is ShareState.EXPIRED


def test_revoked_link_is_410_without_the_workspace_name(
    client: Client, workspace: Workspace, member_factory: Callable[..., User]
) -> None:
    link, token = share_link_create(
        workspace=workspace, kind=ShareKind.RUN, run=make_run(workspace)
    )
    manager = Client()
    manager.force_login(member_factory(workspace, Role.MANAGER))
    revoked = manager.post(manage_url("revoke", workspace, link_id=link.pk))
    assert revoked.status_code == 302

    response = client.get(open_url(token))

    assert response.status_code == 410
    assert "This link was revoked." in text(response)
    assert "Acme" not in text(response)
    assert client.get(reverse("share:file", args=[token])).status_code == 410
    first = ShareLink.objects.get().revoked_at
    share_link_revoke(link=link)  # twice: the first time stays
    assert ShareLink.objects.get().revoked_at == first


# Password and throttle ------------------------------------------------------------------------


@pytest.fixture
def locked(workspace: Workspace) -> tuple[ShareLink, str]:
    return share_link_create(
        workspace=workspace,
        kind=ShareKind.RUN,
        run=make_run(workspace),
        password="open sesame",
    )


def test_wrong_password_shows_an_error_and_nothing_of_the_report(
    client: Client, locked: tuple[ShareLink, str]
) -> None:
    _link, token = locked
    first = client.get(open_url(token))
    assert first.status_code == 200 and "Password required" in text(first)

    response = client.post(open_url(token), {"password": "open sesam"})

    page = text(response)
    assert "Wrong password." in page
    assert "October report" not in page and "Acme" not in page
    assert client.get(reverse("share:file", args=[token])).status_code == 302
    assert ShareLink.objects.get().view_count == 0


def test_right_password_opens_the_report_for_this_browser_only(
    client: Client, locked: tuple[ShareLink, str]
) -> None:
    _link, token = locked

    response = client.post(open_url(token), {"password": "open sesame"})

    assert response.status_code == 302 and response["Location"] == open_url(token)
    page = text(client.get(open_url(token)))
    assert "October report" in page and "Acme" in page
    download = client.get(reverse("share:file", args=[token]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert "Password required" in text(Client().get(open_url(token)))


def test_ten_wrong_passwords_block_that_address_even_for_the_right_one(
    client: Client, locked: tuple[ShareLink, str], frozen_time: time_machine.Traveller
) -> None:
    _link, token = locked
    for _try in range(PASSWORD_MAX_TRIES - 1):
        assert client.post(open_url(token), {"password": "guess"}).status_code == 200

    blocked = client.post(open_url(token), {"password": "guess"})

    assert blocked.status_code == 429
    assert "Too many wrong passwords" in text(blocked)
    # Another browser at the same address, the right password: refused while the block lasts.
    other = Client()
    refused = other.post(open_url(token), {"password": "open sesame"})
    assert refused.status_code == 429
    assert "October report" not in text(other.get(open_url(token)))

    frozen_time.move_to(NOW + dt.timedelta(minutes=16))
    assert other.post(open_url(token), {"password": "open sesame"}).status_code == 302


def test_wrong_passwords_from_one_address_do_not_lock_out_another(
    client: Client, locked: tuple[ShareLink, str], frozen_time: time_machine.Traveller
) -> None:
    """Whoever else holds the link cannot lock its real recipient out."""
    _link, token = locked
    for _try in range(PASSWORD_MAX_TRIES):
        client.post(open_url(token), {"password": "guess"}, REMOTE_ADDR="198.51.100.7")
    assert (
        client.post(open_url(token), {"password": "guess"}, REMOTE_ADDR="198.51.100.7").status_code
        == 429
    )

    recipient = Client(REMOTE_ADDR="203.0.113.9")
    assert recipient.post(open_url(token), {"password": "open sesame"}).status_code == 302


def test_wrong_passwords_from_many_addresses_block_everyone(
    client: Client, locked: tuple[ShareLink, str], frozen_time: time_machine.Traveller
) -> None:
    """Spreading guesses over many addresses does not lift the link's own limit."""
    _link, token = locked
    addresses = [f"198.51.100.{n}" for n in range(PASSWORD_LINK_MAX_TRIES // PASSWORD_MAX_TRIES)]
    for address in addresses:
        for _try in range(PASSWORD_MAX_TRIES - 1):  # each address stays under its own limit
            client.post(open_url(token), {"password": "guess"}, REMOTE_ADDR=address)
    remaining = PASSWORD_LINK_MAX_TRIES - len(addresses) * (PASSWORD_MAX_TRIES - 1)
    for n in range(remaining):
        client.post(open_url(token), {"password": "guess"}, REMOTE_ADDR=f"192.0.2.{n + 1}")

    fresh = Client(REMOTE_ADDR="203.0.113.9")
    assert fresh.post(open_url(token), {"password": "open sesame"}).status_code == 429
    frozen_time.move_to(NOW + dt.timedelta(minutes=16))
    assert fresh.post(open_url(token), {"password": "open sesame"}).status_code == 302


def test_wrong_tries_further_apart_than_the_window_do_not_block(
    client: Client, locked: tuple[ShareLink, str], frozen_time: time_machine.Traveller
) -> None:
    _link, token = locked
    for _try in range(PASSWORD_MAX_TRIES - 1):
        client.post(open_url(token), {"password": "guess"})
    frozen_time.move_to(NOW + dt.timedelta(minutes=16))

    assert client.post(open_url(token), {"password": "guess"}).status_code == 200
    assert client.post(open_url(token), {"password": "open sesame"}).status_code == 302


# Headers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["run", "file", "password", "expired", "unknown"])
def test_public_responses_are_private_unframed_and_unreferred(
    client: Client, workspace: Workspace, case: str
) -> None:
    run = make_run(workspace)
    _open, token = share_link_create(workspace=workspace, kind=ShareKind.RUN, run=run)
    _locked, locked_token = share_link_create(
        workspace=workspace, kind=ShareKind.RUN, run=run, password="open sesame"
    )
    _old, old_token = share_link_create(
        workspace=workspace, kind=ShareKind.RUN, run=run, expires_at=NOW - dt.timedelta(hours=1)
    )
    url = {
        "run": open_url(token),
        "file": reverse("share:file", args=[token]),
        "password": open_url(locked_token),
        "expired": open_url(old_token),
        "unknown": open_url("nope"),
    }[case]

    response = client.get(url)

    for name, value in PRIVATE_HEADERS.items():
        assert response[name] == value, name
    if case != "file":
        assert '<meta name="robots" content="noindex, nofollow">' in text(response)
        assert 'class="workspace-nav' not in text(response)
        assert 'href="/w/' not in text(response)


# What each kind shows ------------------------------------------------------------------------


def test_run_link_shows_the_archive_and_streams_its_file(
    client: Client, workspace: Workspace
) -> None:
    workspace.primary_color = "#aa3300"
    workspace.report_footer = "Acme Corp, confidential"
    workspace.save()
    _link, token = share_link_create(
        workspace=workspace, kind=ShareKind.RUN, run=make_run(workspace)
    )

    page = text(client.get(open_url(token)))
    download = client.get(reverse("share:file", args=[token]))

    assert "October report" in page and "A word from the team" in page
    assert "Executive summary" in page
    assert "--brand: #aa3300" in page and "Acme Corp, confidential" in page
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "october-report-2026-10-01-2026-10-31.pdf" in download["Content-Disposition"]
    assert ShareLink.objects.get().view_count == 2  # the page and the download


def test_every_visit_is_counted_with_its_time(client: Client, workspace: Workspace) -> None:
    _link, token = share_link_create(
        workspace=workspace, kind=ShareKind.RUN, run=make_run(workspace)
    )
    for _visit in range(3):
        client.get(open_url(token))
    link = ShareLink.objects.get()
    assert link.view_count == 3
    assert link.last_viewed_at == NOW


@pytest.fixture
def two_workspaces(workspace: Workspace, other_workspace: Workspace) -> None:
    mine = SocialAccountFactory(
        workspace=workspace, platform=Platform.INSTAGRAM, display_name="Acme IG"
    )
    theirs = SocialAccountFactory(
        workspace=other_workspace, platform=Platform.INSTAGRAM, display_name="Globex IG"
    )
    for day in (D(2026, 10, 5), D(2026, 10, 20)):
        AccountMetricFactory(account=mine, day=day, metric="followers", value=4321)
        AccountMetricFactory(account=theirs, day=day, metric="followers", value=98765)
    AccountMetricFactory(account=mine, day=D(2026, 10, 5), metric="reach", value=2500)
    AccountMetricFactory(account=theirs, day=D(2026, 10, 5), metric="reach", value=77777)


def test_dashboard_link_shows_only_its_workspaces_numbers(
    client: Client, workspace: Workspace, two_workspaces: None
) -> None:
    _link, token = share_link_create(
        workspace=workspace, kind=ShareKind.DASHBOARD, dashboard_query="range=last_month"
    )

    response = client.get(open_url(token))

    page = text(response)
    assert response.status_code == 200
    assert "4,321" in page and "2,500" in page
    assert "98,765" not in page and "77,777" not in page and "Globex" not in page
    assert period(page) == ("2026-10-01", "2026-10-31")
    assert 'src="/static/vendor/plotly.min.js"' in page
    assert 'id="figure-reach"' in page


def test_dashboard_link_to_another_workspaces_account_shows_nothing(
    client: Client, workspace: Workspace, other_workspace: Workspace, two_workspaces: None
) -> None:
    stranger = other_workspace.accounts.get()
    _link, token = share_link_create(
        workspace=workspace,
        kind=ShareKind.DASHBOARD,
        dashboard_query=f"range=last_month&account={stranger.pk}",
    )

    response = client.get(open_url(token))

    # Neither the other workspace's numbers nor, in their place, the whole of this one's.
    assert response.status_code == 404
    page = text(response)
    assert "98,765" not in page and "Globex" not in page
    assert "4,321" not in page


def test_dashboard_link_rolls_its_period_forward(
    client: Client,
    workspace: Workspace,
    two_workspaces: None,
    frozen_time: time_machine.Traveller,
) -> None:
    _link, token = share_link_create(
        workspace=workspace, kind=ShareKind.DASHBOARD, dashboard_query="range=last_month"
    )
    october = text(client.get(open_url(token)))
    assert period(october) == ("2026-10-01", "2026-10-31")
    assert 'href="/w/' not in october  # no link into the app from a public page
    frozen_time.move_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC))
    assert period(text(client.get(open_url(token)))) == ("2026-11-01", "2026-11-30")


def test_dashboard_query_keeps_only_the_filters() -> None:
    cleaned = dashboard_query_clean("?range=last_month&sort=x&account=3&account=4&page=2&evil=1")
    assert cleaned == "range=last_month&account=3&account=4"


def test_live_template_link_rolls_its_period_forward(
    client: Client, workspace: Workspace, two_workspaces: None
) -> None:
    template = ReportTemplate.objects.get(workspace=workspace, key="monthly")
    _link, token = share_link_create(
        workspace=workspace, kind=ShareKind.TEMPLATE, template=template
    )

    november = text(client.get(open_url(token)))
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        december = text(client.get(open_url(token)))

    assert live_period(november) == ("2026-10-01", "2026-10-31")
    assert live_period(december) == ("2026-11-01", "2026-11-30")
    assert "1 October 2026 – 31 October 2026" in november  # the report's own period label
    assert "98,765" not in november and "Globex" not in november
    assert 'src="/static/vendor/plotly.min.js"' in november
    assert f'href="{reverse("share:pdf", args=[token])}"' in november


# Sharing rules and management ----------------------------------------------------------------


def test_another_workspaces_object_cannot_be_shared(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    foreign_run = make_run(other_workspace)
    foreign_template = ReportTemplate.objects.filter(workspace=other_workspace).first()
    with pytest.raises(ValueError):
        share_link_create(workspace=workspace, kind=ShareKind.RUN, run=foreign_run)
    with pytest.raises(ValueError):
        share_link_create(workspace=workspace, kind=ShareKind.TEMPLATE, template=foreign_template)
    with pytest.raises(ValueError):
        share_link_create(workspace=workspace, kind=ShareKind.RUN)
    assert not ShareLink.objects.exists()


def test_the_form_refuses_another_workspaces_run(
    client: Client,
    workspace: Workspace,
    other_workspace: Workspace,
    member_factory: Callable[..., User],
) -> None:
    foreign = make_run(other_workspace)
    foreign_template = ReportTemplate.objects.filter(workspace=other_workspace).first()
    assert foreign_template is not None
    client.force_login(member_factory(workspace, Role.MANAGER))

    assert client.get(manage_url("create", workspace) + f"?run={foreign.pk}").status_code == 404
    prefill = f"?template={foreign_template.pk}"
    assert client.get(manage_url("create", workspace) + prefill).status_code == 404
    posted = client.post(
        manage_url("create", workspace), {"kind": "run", "run": foreign.pk, "expiry": "7"}
    )

    assert posted.status_code == 200
    assert "Select a valid choice" in text(posted)
    assert not ShareLink.objects.exists()


def test_the_form_makes_a_dashboard_link_from_the_overview_address(
    client: Client, workspace: Workspace, member_factory: Callable[..., User], two_workspaces: None
) -> None:
    client.force_login(member_factory(workspace, Role.ADMIN))
    address = f"http://testserver/w/{workspace.slug}/?range=last_month&platform=instagram&sort=x"
    prefilled = text(client.get(manage_url("create", workspace) + "?" + urlencode({"q": address})))
    assert f'value="{escape(address)}"' in prefilled

    response = client.post(
        manage_url("create", workspace),
        {
            "kind": "dashboard",
            "dashboard_query": address,
            "expiry": "date",
            "expires_on": "2026-11-30",
            "password": "long enough",
        },
    )

    assert response.status_code == 200, text(response)
    link = ShareLink.objects.get()
    assert link.dashboard_query == "range=last_month&platform=instagram"
    # The end of the chosen day in the workspace's timezone (Europe/Paris, UTC+1 in winter).
    assert link.expires_at == dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)
    assert link.password_hash and "long enough" not in link.password_hash


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"kind": "run", "expiry": "30"}, "Choose the report to share."),
        ({"kind": "dashboard", "dashboard_query": "platform=myspace", "expiry": "30"}, "left out"),
        ({"kind": "dashboard", "expiry": "date", "expires_on": "2026-11-09"}, "a later day"),
        ({"kind": "dashboard", "expiry": "date"}, "Choose the last day"),
        ({"kind": "dashboard", "expiry": "30", "password": "short"}, "at least 8"),
    ],
)
def test_the_form_explains_what_is_wrong(
    client: Client,
    workspace: Workspace,
    member_factory: Callable[..., User],
    data: dict[str, str],
    field_error: str,
) -> None:
    client.force_login(member_factory(workspace, Role.MANAGER))
    response = client.post(manage_url("create", workspace), data)
    assert response.status_code == 200
    assert field_error in text(response)
    assert not ShareLink.objects.exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST])
def test_only_managers_and_admins_manage_links(
    client: Client, workspace: Workspace, member_factory: Callable[..., User], role: str
) -> None:
    link, _token = share_link_create(
        workspace=workspace, kind=ShareKind.RUN, run=make_run(workspace)
    )
    client.force_login(member_factory(workspace, role))

    assert client.get(manage_url("manage", workspace)).status_code == 403
    assert client.get(manage_url("create", workspace)).status_code == 403
    assert client.post(manage_url("revoke", workspace, link_id=link.pk)).status_code == 403
    assert ShareLink.objects.get().revoked_at is None


def test_a_link_of_another_workspace_cannot_be_revoked_from_here(
    client: Client,
    workspace: Workspace,
    other_workspace: Workspace,
    member_factory: Callable[..., User],
) -> None:
    theirs, _token = share_link_create(
        workspace=other_workspace, kind=ShareKind.RUN, run=make_run(other_workspace)
    )
    client.force_login(member_factory(workspace, Role.ADMIN))

    response = client.post(manage_url("revoke", workspace, link_id=theirs.pk))

    assert response.status_code == 404
    assert ShareLink.objects.get().revoked_at is None
    assert "October report" not in text(client.get(manage_url("manage", workspace)))


def test_the_list_shows_each_links_status(
    client: Client, workspace: Workspace, member_factory: Callable[..., User]
) -> None:
    run = make_run(workspace)
    share_link_create(workspace=workspace, kind=ShareKind.RUN, run=run, label="Active one")
    share_link_create(
        workspace=workspace,
        kind=ShareKind.RUN,
        run=run,
        label="Old one",
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    revoked, _token = share_link_create(
        workspace=workspace, kind=ShareKind.RUN, run=run, label="Gone one"
    )
    share_link_revoke(link=revoked)
    client.force_login(member_factory(workspace, Role.MANAGER))

    page = text(client.get(manage_url("manage", workspace)))

    rows = dict(
        re.findall(
            r"<tr data-link=\"\d+\">\s*<th[^>]*>\s*(\w+ one).*?status--\w+\">(\w+)<", page, re.S
        )
    )
    assert rows == {"Active one": "Active", "Old one": "Expired", "Gone one": "Revoked"}
    assert page.count(">Revoke<") == 1


def test_live_report_is_built_once_until_the_data_changes(
    client: Client, workspace: Workspace, two_workspaces: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectors.versioning import workspace_data_changed
    from dashboards.reports import sharing

    builds: list[dt.date | None] = []
    real_build = sharing.report_build

    def counting_build(**kwargs: Any) -> Any:
        builds.append(kwargs.get("today"))
        return real_build(**kwargs)

    monkeypatch.setattr(sharing, "report_build", counting_build)
    template = ReportTemplate.objects.get(workspace=workspace, key="monthly")
    _link, token = share_link_create(
        workspace=workspace, kind=ShareKind.TEMPLATE, template=template
    )

    client.get(open_url(token))
    client.get(open_url(token))
    assert builds == [D(2026, 11, 10)]
    workspace_data_changed(workspace_id=workspace.pk)
    client.get(open_url(token))
    assert len(builds) == 2
    assert ShareLink.objects.get().view_count == 3


def test_live_report_pdf_is_made_for_todays_period(
    client: Client, workspace: Workspace, two_workspaces: None
) -> None:
    template = ReportTemplate.objects.get(workspace=workspace, key="weekly")
    _link, token = share_link_create(
        workspace=workspace, kind=ShareKind.TEMPLATE, template=template
    )

    response = client.get(reverse("share:pdf", args=[token]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    # Last full week before Tuesday 10 November 2026: Monday 2 to Sunday 8 November.
    assert "20261102-20261108.pdf" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"


def test_a_run_link_has_no_live_pdf_and_a_missing_file_is_a_quiet_404(
    client: Client, workspace: Workspace
) -> None:
    run = make_run(workspace)
    _link, token = share_link_create(workspace=workspace, kind=ShareKind.RUN, run=run)
    assert client.get(reverse("share:pdf", args=[token])).status_code == 404
    run.file.delete(save=False)
    ReportRun.objects.filter(pk=run.pk).update(file="reports/gone.pdf")

    response = client.get(reverse("share:file", args=[token]))

    assert response.status_code == 404
    assert "There is nothing to show at this address." in text(response)
    assert "Acme" not in text(response)
    assert response["Referrer-Policy"] == "same-origin"


def test_the_logo_is_served_to_the_link_only_and_cannot_run_scripts(
    client: Client, workspace: Workspace
) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    workspace.logo.save("acme.svg", ContentFile(svg))
    _link, token = share_link_create(
        workspace=workspace, kind=ShareKind.RUN, run=make_run(workspace)
    )

    page = text(client.get(open_url(token)))
    logo = client.get(reverse("share:logo", args=[token]))

    assert f'src="{reverse("share:logo", args=[token])}"' in page
    assert logo["Content-Type"] == "image/svg+xml"
    assert logo["Content-Security-Policy"].startswith("default-src 'none'")
    assert b"".join(logo.streaming_content) == svg  # type: ignore[attr-defined]
    assert client.get(reverse("share:logo", args=["nope"])).status_code == 404


def test_the_page_speaks_the_reports_language(client: Client, workspace: Workspace) -> None:
    workspace.language = "fr"
    workspace.save()
    run = make_run(workspace)
    _link, token = share_link_create(workspace=workspace, kind=ShareKind.RUN, run=run)
    ReportRun.objects.filter(pk=run.pk).update(language="fr")

    page = text(client.get(open_url(token), HTTP_ACCEPT_LANGUAGE="en"))

    assert '<html lang="fr">' in page
    assert "1 octobre 2026" in page and "31 octobre 2026" in page


def test_a_draft_awaiting_review_cannot_be_shared(
    client: Client, workspace: Workspace, member_factory: Callable[..., User]
) -> None:
    draft = make_run(workspace)
    ReportRun.objects.filter(pk=draft.pk).update(status=RunStatus.AWAITING_REVIEW)
    client.force_login(member_factory(workspace, Role.MANAGER))

    form = client.get(manage_url("create", workspace) + f"?run={draft.pk}")
    posted = client.post(
        manage_url("create", workspace), {"kind": "run", "run": draft.pk, "expiry": "7"}
    )

    assert form.status_code == 200
    assert "cannot be shared yet" in text(form)
    assert "Select a valid choice" in text(posted)
    assert not ShareLink.objects.exists()


def test_the_overview_offers_managers_to_share_its_view(
    client: Client, workspace: Workspace, member_factory: Callable[..., User], two_workspaces: None
) -> None:
    overview = reverse("overview", kwargs={"workspace_slug": workspace.slug})
    client.force_login(member_factory(workspace, Role.MANAGER))
    page = text(client.get(overview + "?range=last_month&platform=instagram"))
    link = re.search(r'href="([^"]+)">Share this view<', page)
    assert link is not None
    prefilled = text(client.get(link.group(1).replace("&amp;", "&")))
    assert "range=last_month" in prefilled and "platform=instagram" in prefilled
    client.force_login(member_factory(workspace, Role.VIEWER, username="v"))
    assert "Share this view" not in text(client.get(overview))


def test_addresses_of_one_ipv6_network_count_together(
    client: Client, locked: tuple[ShareLink, str], frozen_time: time_machine.Traveller
) -> None:
    """A /64 is one household or server: new addresses inside it give no fresh tries."""
    _link, token = locked
    for n in range(PASSWORD_MAX_TRIES):
        client.post(open_url(token), {"password": "guess"}, REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}")
    neighbour = Client(REMOTE_ADDR="2001:db8:1:2::ffff")
    assert neighbour.post(open_url(token), {"password": "open sesame"}).status_code == 429
    elsewhere = Client(REMOTE_ADDR="2001:db8:1:3::1")
    assert elsewhere.post(open_url(token), {"password": "open sesame"}).status_code == 302
