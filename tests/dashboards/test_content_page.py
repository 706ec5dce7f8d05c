from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import numpy as np
import pytest
import time_machine
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import include, path, reverse

from connectors.models import Platform, Post, PostFormat, Role, SocialAccount, User, Workspace
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    PostFactory,
    PostMetricFactory,
    SocialAccountFactory,
    UserFactory,
)

# The lead includes dashboards.urls_content in config/urls.py; until then the tests add it here.
urlpatterns = [path("", include("config.urls")), path("", include("dashboards.urls_content"))]
pytestmark = pytest.mark.urls(__name__)

NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)
TIMES = "\u00d7"
REAL_NOW = dt.datetime.now(dt.UTC)  # the demo is seeded up to the real today
# Monday 2 March 2026, 10:00 in Paris (the workspace's timezone): inside the default 90 days.
MONDAY_10 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
SNAPSHOT = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def page_url(workspace: Workspace, query: str = "") -> str:
    return reverse("content:page", kwargs={"workspace_slug": workspace.slug}) + query


def login(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def post(
    account: SocialAccount,
    *,
    format: str,
    engagements: float,
    impressions: float,
    text: str = "",
    tags: list[str] | None = None,
    published: dt.datetime = MONDAY_10,
) -> Post:
    made: Post = PostFactory.create(
        account=account, format=format, text=text, tags=tags or [], published_at=published
    )
    PostMetricFactory.create(post=made, day=SNAPSHOT, metric="engagements", value=engagements)
    PostMetricFactory.create(post=made, day=SNAPSHOT, metric="impressions", value=impressions)
    # An older snapshot: the page reads the latest one only.
    PostMetricFactory.create(
        post=made, day=SNAPSHOT - dt.timedelta(days=3), metric="engagements", value=1
    )
    return made


@pytest.fixture
def accounts(workspace: Workspace, other_workspace: Workspace) -> dict[str, SocialAccount]:
    instagram = SocialAccountFactory.create(
        workspace=workspace, platform=Platform.INSTAGRAM, display_name="Acme IG"
    )
    facebook = SocialAccountFactory.create(
        workspace=workspace, platform=Platform.FACEBOOK, display_name="Acme FB"
    )
    # Reels: engagements 10..50 on 1,000 impressions (median 30, rate 3%), tagged, hashtags.
    for value in (10, 20, 30, 40, 50):
        post(
            instagram,
            format=PostFormat.REEL,
            engagements=value,
            impressions=1000,
            text="Short #Launch #été",
            tags=["launch"],
        )
    # Photos: median 10 engagements, 1%; no tag, no hashtag, 60-character texts.
    for value in (5, 5, 10, 10, 10):
        post(
            instagram,
            format=PostFormat.PHOTO,
            engagements=value,
            impressions=1000,
            text="x" * 60,
            published=MONDAY_10 + dt.timedelta(days=1, hours=8),
        )
    # Facebook links: 100 engagements on 1,000 impressions, 10%.
    for _ in range(5):
        post(
            facebook,
            format=PostFormat.LINK,
            engagements=100,
            impressions=1000,
            text="y" * 200,
            published=MONDAY_10 + dt.timedelta(days=2),
        )
    # Published before the period: never counted.
    post(
        instagram,
        format=PostFormat.REEL,
        engagements=9999,
        impressions=1000,
        published=dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
    )
    stranger = SocialAccountFactory.create(workspace=other_workspace, platform=Platform.FACEBOOK)
    for _ in range(5):
        post(stranger, format=PostFormat.VIDEO, engagements=5000, impressions=1000)
    return {"instagram": instagram, "facebook": facebook, "stranger": stranger}


def takeaways(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r'<p class="takeaway">(.*?)</p>', html, re.S)
    ]


def figure(html: str, chart_id: str) -> dict[str, Any]:
    match = re.search(
        rf'<script id="figure-{chart_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"no chart {chart_id}"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def array(value: Any) -> list[Any]:
    """A trace's data as a list; plotly.py sends numpy arrays as base64 typed arrays."""
    if isinstance(value, dict) and "bdata" in value:
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(size) for size in str(value.get("shape", len(data))).split(",")]
        return (
            [None if np.isnan(v) else float(v) for v in data.astype("float64")]
            if len(shape) == 1
            else [
                [None if np.isnan(v) else float(v) for v in row]
                for row in data.astype("float64").reshape(shape)
            ]
        )
    return list(value)


def bars(html: str, chart_id: str) -> dict[str, float]:
    trace = figure(html, chart_id)["data"][0]
    return dict(zip(array(trace["y"]), array(trace["x"]), strict=True))


def test_formats_tags_hashtags_and_lengths_match_hand_computed_medians(
    viewer: User, workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    html = login(viewer).get(page_url(workspace)).content.decode()

    assert bars(html, "formats") == pytest.approx({"Link": 0.10, "Reel": 0.03, "Photo": 0.01})
    # Untagged: the photos and the links, median of five at 1% and five at 10% = 5.5%.
    assert bars(html, "tags") == pytest.approx({"launch": 0.03, "No tag": 0.055})
    # "#Launch" and "#launch" are one hashtag; photos and links have none (10 posts, 1% and 10%).
    assert bars(html, "hashtags") == pytest.approx(
        {"#launch": 0.03, "#été": 0.03, "No hashtag": 0.055}
    )
    assert bars(html, "length") == pytest.approx(
        {"0–49 characters": 0.03, "50–149 characters": 0.01, "150–299 characters": 0.10}
    )
    said = takeaways(html)
    assert (
        f"Link posts get 10.0{TIMES} the median engagement rate of photo posts (5 vs 5 posts)."
        in said
    )
    assert (
        f"Posts without a tag get 1.8{TIMES} the median engagement rate of posts tagged launch "
        "(10 vs 5 posts)." in said
    )
    assert "15 posts published in the period." in re.sub(r"\s+", " ", html)
    assert "9999" not in html


def test_heatmap_uses_the_workspace_clock_and_leaves_small_cells_grey(
    viewer: User, workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    html = login(viewer).get(page_url(workspace)).content.decode()

    pale, coloured = (array(trace["z"]) for trace in figure(html, "timing")["data"])
    # Monday 10:00 Paris (09:00 UTC): the five reels, median 3%.
    assert coloured[0][10] == pytest.approx(0.03)
    assert coloured[2][10] == pytest.approx(0.10)  # Wednesday: the links
    assert coloured[1][18] == pytest.approx(0.01)  # Tuesday 18:00: the photos
    assert pale[0][10] is None
    assert sum(cell is not None for row in coloured for cell in row) == 3
    assert any("Wednesday, 10:00–11:00" in text for text in takeaways(html))


def test_metric_chooser_keeps_the_filters(
    viewer: User, workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    html = (
        login(viewer)
        .get(page_url(workspace, "?metric=engagements&range=28d&platform=instagram"))
        .content.decode()
    )

    assert bars(html, "formats") == pytest.approx({"Reel": 30, "Photo": 10})
    assert '<option value="engagements" selected>' in html
    assert '<input type="hidden" name="range" value="28d">' in html
    assert '<input type="hidden" name="platform" value="instagram">' in html
    assert any(
        f"Reel posts get 3.0{TIMES} the median engagements" in text for text in takeaways(html)
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?platform=instagram", {"Reel": 0.03, "Photo": 0.01}),
        ("?account={facebook}", {"Link": 0.10}),
        ("?tag=launch", {"Reel": 0.03}),
        # Another workspace's account is dropped with a notice: everything is shown.
        ("?account={stranger}", {"Link": 0.10, "Reel": 0.03, "Photo": 0.01}),
    ],
)
def test_scope_changes_the_numbers(
    viewer: User,
    workspace: Workspace,
    accounts: dict[str, SocialAccount],
    query: str,
    expected: dict[str, float],
) -> None:
    ids = {key: account.pk for key, account in accounts.items()}
    html = login(viewer).get(page_url(workspace, query.format(**ids))).content.decode()

    assert bars(html, "formats") == pytest.approx(expected)
    assert "5000" not in html and "5,000" not in html


def test_unknown_metric_falls_back_with_a_notice(
    viewer: User, workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    html = login(viewer).get(page_url(workspace, "?metric=nope")).content.decode()

    assert "Unknown indicator in the address; Engagement rate is shown." in html
    assert bars(html, "formats")["Link"] == pytest.approx(0.10)


def test_metric_without_data_says_which_platforms_do_not_report_it(
    viewer: User, workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    html = login(viewer).get(page_url(workspace, "?metric=reach")).content.decode()

    text = re.sub(r"\s+", " ", html)
    assert "15 of 15 posts have no reach" in text and "Facebook, Instagram" in text
    assert "No post of these dates has this indicator." in html


def test_empty_workspace_and_empty_period_show_empty_states(
    viewer: User, workspace: Workspace, admin_member: User
) -> None:
    as_admin = login(admin_member).get(page_url(workspace)).content.decode()
    assert "No social accounts in this workspace yet" in as_admin
    assert reverse("connectors:accounts", kwargs={"workspace_slug": workspace.slug}) in as_admin

    SocialAccountFactory.create(workspace=workspace)
    html = login(viewer).get(page_url(workspace)).content.decode()
    assert "No posts for these dates" in html
    assert "range=all" in html


def test_too_few_posts_for_a_heatmap(viewer: User, workspace: Workspace) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    for hour in range(2):
        post(
            account,
            format=PostFormat.PHOTO,
            engagements=10,
            impressions=100,
            published=MONDAY_10 + dt.timedelta(hours=hour),
        )

    html = login(viewer).get(page_url(workspace)).content.decode()

    assert "Too few posts for a heatmap" in html
    assert 'id="figure-timing"' not in html
    assert 'id="figure-formats"' in html


def test_strangers_get_404(
    workspace: Workspace, other_workspace: Workspace, member_factory: Callable[..., User]
) -> None:
    stranger = member_factory(other_workspace, Role.ADMIN)
    assert login(stranger).get(page_url(workspace)).status_code == 404


def test_query_count_does_not_grow_with_posts(
    viewer: User,
    workspace: Workspace,
    accounts: dict[str, SocialAccount],
    django_assert_max_num_queries: Any,
) -> None:
    client = login(viewer)
    client.get(page_url(workspace))  # sessions, language: not what is measured
    with django_assert_max_num_queries(14):
        response = client.get(page_url(workspace, "?tag=launch&platform=instagram"))
    assert response.status_code == 200


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[Workspace]:
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
    ):
        call_command("seed_demo", days=120, stdout=StringIO())
        workspace = Workspace.objects.get(slug="demo")
        try:
            yield workspace
        finally:
            workspace.delete()
            User.objects.filter(username__startswith="demo-").delete()


@pytest.mark.django_db
def test_demo_workspace_renders_every_section(demo: Workspace) -> None:
    user = UserFactory.create(username="content-viewer", language="en")
    MembershipFactory(user=user, workspace=demo, role=Role.VIEWER)
    client = Client()

    with time_machine.travel(REAL_NOW, tick=False):
        client.force_login(user)
        html = client.get(page_url(demo)).content.decode()

    for chart_id in ("formats", "tags", "timing", "hashtags", "length"):
        figure(html, chart_id)
    assert len(takeaways(html)) == 5
    assert "#maisonlumiere" in html
