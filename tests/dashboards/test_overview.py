"""The overview's panels, the platform and account pages, chart notes and cached panels."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from connectors.base import AccountMetricRow
from connectors.models import AccountMetric, Platform, Post, Role, SocialAccount, User, Workspace
from connectors.services import account_metrics_upsert
from reporting.goals.services import goal_create
from reporting.kpis.selectors import kpi_get
from reporting.models import Annotation
from tests.factories import (
    PASSWORD,
    AccountMetricFactory,
    PostFactory,
    PostMetricFactory,
    SocialAccountFactory,
)

D = dt.date
NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)  # default period: Dec 15 – Mar 14


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def login(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def accounts(workspace: Workspace, other_workspace: Workspace) -> dict[str, SocialAccount]:
    insta = cast(
        SocialAccount,
        SocialAccountFactory(
            workspace=workspace, platform=Platform.INSTAGRAM, display_name="Acme IG"
        ),
    )
    face = cast(
        SocialAccount,
        SocialAccountFactory(
            workspace=workspace, platform=Platform.FACEBOOK, display_name="Acme FB"
        ),
    )
    for day, value in [(D(2026, 1, 10), 1000), (D(2026, 3, 10), 1200)]:
        AccountMetricFactory(account=insta, day=day, metric="followers", value=value)
    AccountMetricFactory(account=face, day=D(2026, 3, 1), metric="followers", value=500)
    AccountMetricFactory(account=insta, day=D(2026, 2, 1), metric="reach", value=4000)
    AccountMetricFactory(account=face, day=D(2026, 2, 1), metric="reach", value=600)
    AccountMetricFactory(account=insta, day=D(2026, 2, 1), metric="engagements", value=300)
    stranger = SocialAccountFactory(workspace=other_workspace, platform=Platform.INSTAGRAM)
    AccountMetricFactory(account=stranger, day=D(2026, 3, 1), metric="followers", value=98765)
    return {"instagram": insta, "facebook": face, "stranger": cast(SocialAccount, stranger)}


def cards(html: str) -> dict[str, str]:
    found = {}
    for key, body in re.findall(r'data-kpi="(\w+)">(.*?)</li>', html, re.S):
        value = re.search(r'kpi__value">(.*?)</p>', body, re.S)
        assert value is not None
        found[key] = re.sub(r"<[^>]+>", "", value.group(1)).strip()
    return found


def figure(html: str, chart_id: str) -> dict[str, Any]:
    match = re.search(
        rf'<script id="figure-{chart_id}" type="application/json">(.*?)</script>', html
    )
    assert match, f"no figure {chart_id}"
    return cast(dict[str, Any], json.loads(match.group(1)))


def test_cards_sum_the_workspace_and_explain_how(
    workspace: Workspace, viewer: User, accounts: dict[str, SocialAccount]
) -> None:
    html = login(viewer).get(reverse("overview", args=[workspace.slug])).content.decode()
    shown = cards(html)
    assert shown["followers"] == "1,700"  # 1200 (Instagram's latest) + 500
    assert shown["reach"] == "4,600"
    assert "98,765" not in html
    # The popover names the formula and an account left out, with the reason.
    assert "<code>engagements</code>" in html
    assert "Acme FB (Facebook): Facebook does not report engagements." in html


def test_platform_page_shows_only_that_platform_and_its_metrics(
    workspace: Workspace, viewer: User, accounts: dict[str, SocialAccount]
) -> None:
    url = reverse("platform_dashboard", args=[workspace.slug, "instagram"])
    html = login(viewer).get(url).content.decode()
    assert cards(html)["followers"] == "1,200"
    assert cards(html)["reach"] == "4,000"
    assert "Every metric of this platform" in html
    assert "Acme FB" not in html.split("Every metric of this platform")[1]


def test_platform_page_without_accounts_on_it_is_404(
    workspace: Workspace, viewer: User, accounts: dict[str, SocialAccount]
) -> None:
    client = login(viewer)
    assert (
        client.get(reverse("platform_dashboard", args=[workspace.slug, "tiktok"])).status_code
        == 404
    )
    assert (
        client.get(reverse("platform_dashboard", args=[workspace.slug, "myspace"])).status_code
        == 404
    )


def test_account_page_and_another_workspaces_account(
    workspace: Workspace, viewer: User, accounts: dict[str, SocialAccount]
) -> None:
    client = login(viewer)
    face = accounts["facebook"]
    html = client.get(reverse("account_dashboard", args=[workspace.slug, face.pk])).content.decode()
    assert cards(html)["followers"] == "500"
    assert "Acme FB" in html
    stranger = accounts["stranger"].pk
    assert (
        client.get(reverse("account_dashboard", args=[workspace.slug, stranger])).status_code == 404
    )


def test_scoped_overview_and_a_stranger_account_in_the_address(
    workspace: Workspace, viewer: User, accounts: dict[str, SocialAccount]
) -> None:
    client = login(viewer)
    base = reverse("overview", args=[workspace.slug])
    scoped = client.get(f"{base}?platform=facebook").content.decode()
    assert cards(scoped)["followers"] == "500"
    intruding = client.get(f"{base}?account={accounts['stranger'].pk}").content.decode()
    assert "98,765" not in intruding
    assert "is not in this workspace and was left out" in intruding
    assert cards(intruding)["followers"] == "1,700"


def test_comparison_can_be_turned_off(
    workspace: Workspace, viewer: User, accounts: dict[str, SocialAccount]
) -> None:
    html = login(viewer).get(reverse("overview", args=[workspace.slug]) + "?compare=none")
    text = html.content.decode()
    assert "compared with" not in text
    trend = figure(text, "reach")
    assert [trace.get("name") for trace in trend["data"]] == ["Reach"]


def test_same_period_last_year_is_the_comparison(
    workspace: Workspace, viewer: User, accounts: dict[str, SocialAccount]
) -> None:
    AccountMetricFactory(
        account=accounts["instagram"], day=D(2025, 2, 1), metric="reach", value=2300
    )
    html = (
        login(viewer)
        .get(reverse("overview", args=[workspace.slug]) + "?compare=year")
        .content.decode()
    )
    assert "compared with Dec. 15, 2024" in html
    assert "vs 2,300" in html


def test_a_new_fact_is_shown_at_once_despite_the_cache(
    workspace: Workspace, viewer: User, accounts: dict[str, SocialAccount]
) -> None:
    client = login(viewer)
    url = reverse("overview", args=[workspace.slug])
    assert cards(client.get(url).content.decode())["reach"] == "4,600"
    account_metrics_upsert(
        account=accounts["facebook"],
        rows=[AccountMetricRow(day=D(2026, 2, 2), metric="reach", value=400)],
    )
    assert cards(client.get(url).content.decode())["reach"] == "5,000"
    # A write that changes nothing does not clear the cache.
    version = Workspace.objects.get(pk=workspace.pk).data_version
    account_metrics_upsert(
        account=accounts["facebook"],
        rows=[AccountMetricRow(day=D(2026, 2, 2), metric="reach", value=400)],
    )
    assert Workspace.objects.get(pk=workspace.pk).data_version == version
    assert AccountMetric.objects.filter(account=accounts["facebook"], metric="reach").count() == 2


def test_analyst_adds_a_note_drawn_on_the_time_charts(
    workspace: Workspace,
    member_factory: Callable[..., User],
    accounts: dict[str, SocialAccount],
) -> None:
    analyst = member_factory(workspace, Role.ANALYST)
    client = login(analyst)
    overview = reverse("overview", args=[workspace.slug])
    response = client.post(
        reverse("annotations:add", args=[workspace.slug]),
        {"day": "2026-02-01", "text": "  Campaign   launch ", "next": overview},
    )
    assert response.status_code == 302 and response["Location"] == overview
    note = Annotation.objects.get(workspace=workspace)
    assert note.text == "Campaign launch" and note.created_by == analyst
    html = client.get(overview).content.decode()
    assert "Campaign launch" in html
    reach = figure(html, "reach")
    marks = [t for t in reach["data"] if t.get("meta", {}).get("rapport") == "annotations"]
    assert len(marks) == 1 and marks[0]["customdata"] == ["Campaign launch"]
    # Submitting twice stores one note.
    client.post(
        reverse("annotations:add", args=[workspace.slug]),
        {"day": "2026-02-01", "text": "Campaign launch"},
    )
    assert Annotation.objects.filter(workspace=workspace).count() == 1
    client.post(reverse("annotations:delete", args=[workspace.slug, note.pk]))
    assert not Annotation.objects.filter(workspace=workspace).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"day": "", "text": "x"}, "Choose the date of the note."),
        ({"day": "2026-02-01", "text": "   "}, "Write a short note."),
        ({"day": "2026-02-01", "text": "x" * 141}, "Keep the note to 140 characters."),
        ({"day": "0001-01-01", "text": "x"}, "Choose the date of the note."),
    ],
)
def test_bad_notes_are_refused_with_a_message(
    workspace: Workspace,
    member_factory: Callable[..., User],
    data: dict[str, str],
    message: str,
) -> None:
    client = login(member_factory(workspace, Role.ANALYST))
    response = client.post(reverse("annotations:add", args=[workspace.slug]), data, follow=True)
    assert message in response.content.decode()
    assert not Annotation.objects.exists()


def test_viewers_cannot_add_or_delete_notes_nor_touch_another_workspace(
    workspace: Workspace,
    other_workspace: Workspace,
    viewer: User,
    member_factory: Callable[..., User],
    accounts: dict[str, SocialAccount],
) -> None:
    client = login(viewer)
    html = client.get(reverse("overview", args=[workspace.slug])).content.decode()
    assert "Add note" not in html
    assert (
        client.post(
            reverse("annotations:add", args=[workspace.slug]), {"day": "2026-02-01", "text": "x"}
        ).status_code
        == 403
    )
    theirs = Annotation.objects.create(workspace=other_workspace, day=D(2026, 2, 1), text="theirs")
    analyst = login(member_factory(workspace, Role.ANALYST))
    analyst.post(reverse("annotations:delete", args=[workspace.slug, theirs.pk]))
    assert Annotation.objects.filter(pk=theirs.pk).exists()


def test_best_posts_link_to_their_post_page(
    workspace: Workspace, viewer: User, accounts: dict[str, SocialAccount]
) -> None:
    insta = accounts["instagram"]
    post = cast(
        Post,
        PostFactory(
            account=insta,
            text="Our best post",
            published_at=dt.datetime(2026, 2, 3, 10, tzinfo=dt.UTC),
        ),
    )

    for metric, value in [("likes", 80), ("comments", 5), ("shares", 3)]:
        PostMetricFactory(post=post, day=D(2026, 2, 5), metric=metric, value=value)
    html = login(viewer).get(reverse("overview", args=[workspace.slug])).content.decode()
    assert reverse("posts:detail", args=[workspace.slug, post.pk]) in html
    assert "Our best post" in html


def test_empty_workspace_shows_an_empty_state_on_every_dashboard_page(
    workspace: Workspace, viewer: User
) -> None:
    client = login(viewer)
    for name in ("overview", "posts:list", "content:page", "insights:list", "health:page"):
        response = client.get(reverse(name, args=[workspace.slug]))
        assert response.status_code == 200, name
        assert "No social accounts in this workspace yet" in response.content.decode(), name


def test_goal_progress_shows_on_its_kpi_card_only_where_it_applies(
    workspace: Workspace, viewer: User, accounts: dict[str, SocialAccount]
) -> None:
    followers = kpi_get(workspace=workspace, key="followers")
    goal_create(
        workspace=workspace,
        kpi=followers,
        name="Grow to 2,000",
        period_kind="quarter",
        start=D(2026, 1, 1),
        end=D(2026, 3, 31),
        target=2000,
    )
    client = login(viewer)
    overview = client.get(reverse("overview", args=[workspace.slug])).content.decode()
    card = re.search(r'data-kpi="followers">(.*?)</li>', overview, re.S)
    assert card is not None and "Goal 2,000" in card.group(1)
    # A workspace goal is not compared with one platform's part of the audience.
    platform = client.get(reverse("platform_dashboard", args=[workspace.slug, "instagram"]))
    assert "Goal 2,000" not in platform.content.decode()
