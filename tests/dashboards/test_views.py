from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import permission_denied, server_error

from connectors.models import Platform, Role, SocialAccount, User, Workspace
from connectors.services import posts_published_refresh
from tests.factories import (
    PASSWORD,
    AccountMetricFactory,
    MembershipFactory,
    PostFactory,
    SocialAccountFactory,
    UserFactory,
)

NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)
# Default period for NOW in Europe/Paris: 15 December 2025 to 14 March 2026 (90 days);
# the previous period runs from 16 September to 14 December 2025.
D = dt.date
NBSP = "\u00a0"
EN_DASH = "\u2013"
APOSTROPHE = "\u2019"


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def account(workspace: Workspace, platform: str, name: str) -> SocialAccount:
    return cast(
        SocialAccount,
        SocialAccountFactory(workspace=workspace, platform=platform, display_name=name),
    )


def fact(account: SocialAccount, day: dt.date, metric: str, value: float) -> None:
    AccountMetricFactory(account=account, day=day, metric=metric, value=value)


@pytest.fixture
def facts(workspace: Workspace, other_workspace: Workspace) -> dict[str, SocialAccount]:
    instagram = account(workspace, Platform.INSTAGRAM, "Acme on Instagram")
    facebook = account(workspace, Platform.FACEBOOK, "Acme on Facebook")
    fact(instagram, D(2025, 12, 14), "followers", 900)  # the day before the period
    fact(instagram, D(2025, 12, 15), "followers", 1000)
    fact(instagram, D(2026, 3, 10), "followers", 1500)  # no row after 10 March: not zero
    fact(facebook, D(2025, 12, 20), "followers", 2000)
    fact(facebook, D(2026, 3, 14), "followers", 2600)
    fact(instagram, D(2026, 1, 10), "impressions", 10000)
    fact(facebook, D(2026, 3, 14), "impressions", 2500)
    fact(instagram, D(2025, 10, 1), "impressions", 10000)
    fact(instagram, D(2026, 2, 1), "engagements", 1234)
    for published in [D(2026, 1, 5), D(2026, 2, 5), D(2026, 3, 5), D(2025, 11, 1), D(2025, 11, 2)]:
        PostFactory(
            account=instagram,
            published_at=dt.datetime.combine(published, dt.time(10), tzinfo=dt.UTC),
        )
    # Posts published is a daily fact derived from the stored posts, as a sync or import does.
    posts_published_refresh(
        account=instagram,
        days=[D(2025, 11, 1) + dt.timedelta(days=n) for n in range(134)],
    )
    intruder = account(other_workspace, Platform.INSTAGRAM, "Globex on Instagram")
    fact(intruder, D(2026, 3, 1), "followers", 99999)
    fact(intruder, D(2026, 3, 1), "impressions", 77777)
    fact(intruder, D(2026, 3, 1), "engagements", 55555)
    return {"instagram": instagram, "facebook": facebook}


def overview_url(workspace: Workspace, query: str = "") -> str:
    return reverse("overview", kwargs={"workspace_slug": workspace.slug}) + query


def login(client: Client, user: User) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def kpi_cards(html: str) -> dict[str, tuple[str, str]]:
    """Each KPI card's displayed value and change badge, whitespace collapsed."""
    cards = {}
    for key, body in re.findall(r'data-kpi="(\w+)">(.*?)</li>', html, re.S):
        text = re.sub(r"<[^>]+>", " ", body)
        text = re.sub(r"[ \t\r\n]+", " ", text).strip()
        value = re.search(r'kpi__value">\s*(.*?)\s*</p>', body, re.S)
        assert value is not None
        cards[key] = (re.sub(r"<[^>]+>", "", value.group(1)).strip(), text)
    return cards


def embedded_figure(html: str, element_id: str) -> dict[str, Any]:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html)
    assert match, f"no {element_id} in the page"
    return cast(dict[str, Any], json.loads(match.group(1)))


def test_overview_shows_kpis_computed_from_the_facts(
    client: Client, viewer: User, workspace: Workspace, facts: dict[str, SocialAccount]
) -> None:
    response = login(client, viewer).get(overview_url(workspace))

    assert response.status_code == 200
    html = response.content.decode()
    cards = kpi_cards(html)
    # Followers: 1500 (Instagram's last count, 10 March) + 2600 = 4100, against the previous
    # period's last counts: 900 (Instagram, 14 December; Facebook had none).
    assert cards["followers"][0] == "4,100"
    assert "+355.6%" in cards["followers"][1]
    assert "vs 900" in cards["followers"][1]
    # Impressions: 10000 + 2500 against 10000 in the previous 90 days.
    assert cards["impressions"][0] == "12,500"
    assert "+25.0%" in cards["impressions"][1]
    # Engagements: nothing in the previous period, so no comparison.
    assert cards["engagements"][0] == "1,234"
    assert "n/a" in cards["engagements"][1]
    # Posts: three in the period, two in the previous one.
    assert cards["posts_published"][0] == "3"
    assert "+50.0%" in cards["posts_published"][1]
    assert "99,999" not in html and "77,777" not in html


def test_overview_embeds_both_charts_as_json(
    client: Client, viewer: User, workspace: Workspace, facts: dict[str, SocialAccount]
) -> None:
    html = login(client, viewer).get(overview_url(workspace)).content.decode()

    followers = embedded_figure(html, "figure-followers")
    engagements = embedded_figure(html, "figure-engagements")

    assert [trace["name"] for trace in followers["data"]] == ["Facebook", "Instagram"]
    assert [trace["name"] for trace in engagements["data"]] == ["Instagram"]
    assert 'data-figure="figure-followers"' in html
    assert "vendor/plotly.min.js" in html and "js/charts.js" in html


def test_pages_have_no_inline_scripts(
    client: Client, viewer: User, workspace: Workspace, facts: dict[str, SocialAccount]
) -> None:
    html = login(client, viewer).get(overview_url(workspace)).content.decode()
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "onclick" not in html.lower()


def test_accounts_table_lists_the_workspaces_accounts(
    client: Client, viewer: User, workspace: Workspace, facts: dict[str, SocialAccount]
) -> None:
    html = login(client, viewer).get(overview_url(workspace)).content.decode()
    assert "Acme on Instagram" in html and "Acme on Facebook" in html
    assert "Globex on Instagram" not in html
    assert facts["instagram"].handle in html


def test_workspace_without_accounts_shows_an_empty_state(
    client: Client, viewer: User, workspace: Workspace
) -> None:
    response = login(client, viewer).get(overview_url(workspace))
    html = response.content.decode()
    assert response.status_code == 200
    assert "No social accounts in this workspace yet" in html
    assert "application/json" not in html
    assert 'class="kpi-grid"' not in html


def test_range_without_data_shows_an_empty_state_with_the_available_dates(
    client: Client, viewer: User, workspace: Workspace, facts: dict[str, SocialAccount]
) -> None:
    response = login(client, viewer).get(
        overview_url(workspace, "?start=2024-01-01&end=2024-01-31")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "No data for these dates" in html
    assert "This workspace has data from Oct. 1, 2025 to March 14, 2026." in html
    assert "application/json" not in html


@pytest.mark.parametrize(
    "query",
    [
        "?range=forever",
        "?start=2026-02-30&end=2026-03-01",
        "?start=2026-03-10",
        "?end=%00",
        "?start=0001-01-01&end=0001-01-02",
        "?start=2026-01-01&end=9999-12-31",
    ],
)
def test_bad_filter_values_fall_back_to_the_default_range_with_a_message(
    client: Client, viewer: User, workspace: Workspace, facts: dict[str, SocialAccount], query: str
) -> None:
    response = login(client, viewer).get(overview_url(workspace, query))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Part of the address could not be used." in html
    assert "Showing Dec. 15, 2025" in html
    assert f"Dec. 15, 2025 {EN_DASH} March 14, 2026" in html
    assert kpi_cards(html)["followers"][0] == "4,100"


def test_custom_range_is_applied(
    client: Client, viewer: User, workspace: Workspace, facts: dict[str, SocialAccount]
) -> None:
    html = (
        login(client, viewer)
        .get(overview_url(workspace, "?range=custom&start=2026-01-01&end=2026-01-31"))
        .content.decode()
    )
    assert f"Jan. 1, 2026 {EN_DASH} Jan. 31, 2026" in html
    assert kpi_cards(html)["impressions"][0] == "10,000"
    assert "could not be used" not in html


def test_french_user_sees_french_text_and_number_formats(
    client: Client, viewer: User, workspace: Workspace, facts: dict[str, SocialAccount]
) -> None:
    viewer.language = "fr"
    viewer.save()

    response = login(client, viewer).get(overview_url(workspace))
    html = response.content.decode()
    cards = kpi_cards(html)

    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in html
    assert f"Croissance de l{APOSTROPHE}audience" in html
    assert "Comment ces chiffres sont calculés" in html
    assert cards["followers"][0] == f"4{NBSP}100"
    assert f"+355,6{NBSP}%" in cards["followers"][1]
    assert "n.d." in cards["engagements"][1]
    assert f"15 décembre 2025 {EN_DASH} 14 mars 2026" in html
    followers = embedded_figure(html, "figure-followers")
    assert followers["layout"]["separators"] == f",{NBSP}"


def test_language_set_saves_the_language_on_the_user(
    client: Client, viewer: User, workspace: Workspace
) -> None:
    next_url = overview_url(workspace, "?range=28d")
    response = login(client, viewer).post(
        reverse("language_set"), {"language": "fr", "next": next_url}
    )

    assert response.status_code == 302
    assert response["Location"] == next_url
    viewer.refresh_from_db()
    assert viewer.language == "fr"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert f"Vue d{APOSTROPHE}ensemble" in client.get(next_url).content.decode()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", ""])
def test_language_set_never_redirects_off_site(client: Client, viewer: User, next_url: str) -> None:
    response = login(client, viewer).post(
        reverse("language_set"), {"language": "fr", "next": next_url}
    )
    assert response["Location"] == reverse("home")


def test_language_set_ignores_unknown_languages(client: Client, viewer: User) -> None:
    login(client, viewer).post(reverse("language_set"), {"language": "xx", "next": "/"})
    viewer.refresh_from_db()
    assert viewer.language == "en"


def test_language_set_needs_post(client: Client, viewer: User) -> None:
    assert login(client, viewer).get(reverse("language_set")).status_code == 405


def test_anonymous_language_choice_is_kept_in_a_cookie(client: Client) -> None:
    response = client.post(reverse("language_set"), {"language": "fr", "next": reverse("login")})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert "Se connecter" in client.get(reverse("login")).content.decode()


def test_anonymous_is_sent_to_login(client: Client, workspace: Workspace) -> None:
    response = client.get(overview_url(workspace))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_member_of_another_workspace_gets_404(
    client: Client,
    workspace: Workspace,
    other_workspace: Workspace,
    member_factory: Callable[..., User],
) -> None:
    outsider = member_factory(other_workspace, Role.ADMIN)
    response = login(client, outsider).get(overview_url(workspace))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_home_sends_a_single_workspace_member_to_its_overview(
    client: Client, viewer: User, workspace: Workspace
) -> None:
    response = login(client, viewer).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == overview_url(workspace)


def test_home_lists_several_workspaces_with_role_and_account_count(
    client: Client,
    workspace: Workspace,
    other_workspace: Workspace,
    member_factory: Callable[..., User],
    facts: dict[str, SocialAccount],
) -> None:
    user = member_factory(workspace, Role.ANALYST, username="both")
    MembershipFactory(user=user, workspace=other_workspace, role=Role.ADMIN)
    html = login(client, user).get(reverse("home")).content.decode()
    assert "Your workspaces" in html
    assert "Acme" in html and "Globex" in html
    assert "Analyst" in html and "Admin" in html
    assert "2 social accounts" in html and "1 social account" in html


def test_home_without_workspace_explains_what_to_do(
    client: Client, db: None, member_factory: Callable[..., User]
) -> None:
    loner = cast(User, UserFactory(username="loner"))
    html = login(client, loner).get(reverse("home")).content.decode()
    assert "You are not in any workspace yet" in html
    assert "loner" in html


def test_demo_workspace_is_labelled_as_demo(
    client: Client, viewer: User, workspace: Workspace
) -> None:
    workspace.is_demo = True
    workspace.save()
    html = login(client, viewer).get(overview_url(workspace)).content.decode()
    assert 'class="demo-banner"' in html
    assert "generated sample data" in html


def test_real_workspace_has_no_demo_banner(
    client: Client, viewer: User, workspace: Workspace
) -> None:
    html = login(client, viewer).get(overview_url(workspace)).content.decode()
    assert 'class="demo-banner"' not in html


def test_admin_link_only_for_staff(client: Client, viewer: User, workspace: Workspace) -> None:
    login(client, viewer)
    assert reverse("admin:index") not in client.get(overview_url(workspace)).content.decode()
    viewer.is_staff = True
    viewer.save()
    assert reverse("admin:index") in client.get(overview_url(workspace)).content.decode()


def test_user_menu_logs_out_with_a_post_form(
    client: Client, viewer: User, workspace: Workspace
) -> None:
    html = login(client, viewer).get(overview_url(workspace)).content.decode()
    assert re.search(rf'<form method="post" action="{reverse("logout")}">', html)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(overview_url(workspace)).status_code == 302


@pytest.mark.parametrize(
    "name",
    ["login", "password_reset", "password_reset_done", "password_reset_complete"],
)
def test_auth_pages_render_for_anonymous(client: Client, db: None, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert 'href="/static/css/app.css"' in response.content.decode()


def test_login_page_links_to_password_reset(client: Client, db: None) -> None:
    html = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in html


def test_password_reset_sends_an_email_with_a_working_link(
    client: Client, viewer: User, mailoutbox: list[EmailMessage]
) -> None:
    response = client.post(reverse("password_reset"), {"email": viewer.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.subject == "Reset your Rapport password"
    link = re.search(r"http://testserver(/password/reset/\S+/)", str(message.body))
    assert link, message.body
    form = client.get(link.group(1), follow=True)
    assert "Choose a new password" in form.content.decode()


def test_password_change_page_renders(client: Client, viewer: User) -> None:
    html = login(client, viewer).get(reverse("password_change")).content.decode()
    assert "Change your password" in html
    assert 'autocomplete="current-password"' in html


def test_error_pages_render(rf: RequestFactory, db: None) -> None:
    request = rf.get("/somewhere/")
    request.user = AnonymousUser()
    forbidden = permission_denied(request, PermissionDenied())
    failure = server_error(request)
    assert forbidden.status_code == 403
    assert "You do not have access to this page" in forbidden.content.decode()
    assert failure.status_code == 500
    assert "Something went wrong on our side" in failure.content.decode()
