from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command

from connectors.demo import demo_workspace_seed
from connectors.demo.profiles import DEMO_LOGINS
from connectors.models import User, Workspace
from reporting.insights import Insight, insights_generate, recommendations_generate
from reporting.insights.generate import InsightContext, num
from tests.factories import SocialAccountFactory
from tests.reporting.analysis_data import END, START, posts_make

DEMO_END = dt.date(2026, 11, 24)


def _spread(center: float, n: int) -> list[float]:
    return [center * (0.8 + 0.4 * i / (n - 1)) for i in range(n)]


def _of(kind: str, found: list[Insight]) -> list[Insight]:
    return [i for i in found if i.kind == kind]


@pytest.mark.django_db
def test_reels_three_times_photos_give_a_format_insight(workspace: Workspace) -> None:
    account = SocialAccountFactory.create(workspace=workspace, display_name="Shop")
    posts_make(account, fmt="reel", reaches=_spread(3000, 20))
    posts_make(account, fmt="photo", reaches=_spread(1000, 20))
    found = _of(
        "format_effect", insights_generate(workspace=workspace, start=START, end=END, language="en")
    )
    assert len(found) == 1
    insight = found[0]
    assert insight.significant and insight.evidence["ratio"] == pytest.approx(3.0)
    assert (insight.evidence["n"], insight.evidence["n_against"]) == (20, 20)
    assert insight.evidence["test"] == "Mann-Whitney U" and insight.evidence["p_value"] < 0.05
    assert "3.0\u00d7" in insight.text and "20" in insight.text
    assert insight.link["view"] == "content" and insight.link["params"]["by"] == "format"
    recommendations = recommendations_generate(
        workspace=workspace, start=START, end=END, language="en", goals=[]
    )
    assert any(r.key == f"more:{insight.key}" and r.why == insight.text for r in recommendations)
    more = next(r for r in recommendations if r.key == f"more:{insight.key}")
    assert more.title == "Post more Reel posts on Shop (Instagram)"


@pytest.mark.django_db
def test_a_kept_context_gives_the_same_findings_and_must_be_of_the_period(
    workspace: Workspace, django_assert_num_queries: Any
) -> None:
    account = SocialAccountFactory.create(workspace=workspace, display_name="Shop")
    posts_make(account, fmt="reel", reaches=_spread(3000, 20), hour=19)
    posts_make(account, fmt="photo", reaches=_spread(1000, 20), hour=9)
    context = InsightContext(workspace=workspace, start=START, end=END)
    kept = insights_generate(
        workspace=workspace, start=START, end=END, language="en", context=context
    )
    assert kept == insights_generate(workspace=workspace, start=START, end=END, language="en")
    # What the findings read is kept: the charts read it again without a query.
    with django_assert_num_queries(0):
        context.values("reach")
        context.best_times(account=account, metric="reach", min_posts=5)
    with pytest.raises(ValueError):
        insights_generate(
            workspace=workspace,
            start=START + dt.timedelta(days=1),
            end=END,
            language="en",
            context=context,
        )


@pytest.mark.django_db
def test_equal_formats_give_no_insight_unless_weak_ones_are_asked(workspace: Workspace) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    posts_make(account, fmt="reel", reaches=_spread(1000, 20))
    posts_make(account, fmt="photo", reaches=_spread(1000, 20))
    assert not _of(
        "format_effect", insights_generate(workspace=workspace, start=START, end=END, language="en")
    )
    weak = _of(
        "format_effect",
        insights_generate(
            workspace=workspace, start=START, end=END, language="en", include_weak=True
        ),
    )
    assert weak and not weak[0].significant


@pytest.mark.django_db
def test_three_posts_give_no_best_time_recommendation(workspace: Workspace) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    posts_make(account, fmt="photo", reaches=[100, 5000, 9000], hour=19)
    found = insights_generate(
        workspace=workspace, start=START, end=END, language="en", include_weak=True
    )
    assert not _of("best_time", found)
    recommendations = recommendations_generate(
        workspace=workspace, start=START, end=END, language="en", goals=[]
    )
    assert not [r for r in recommendations if r.key.startswith("when:")]


@pytest.mark.django_db
def test_goal_off_track_becomes_a_recommendation(workspace: Workspace) -> None:
    progress = SimpleNamespace(
        goal=SimpleNamespace(pk=7, name="Reach 50k"),
        actual=20_000.0,
        target=50_000.0,
        pace_needed=1_500.0,
        projection=SimpleNamespace(value=40_000.0),
        status="off_track",
    )
    on_track = SimpleNamespace(**{**vars(progress), "status": "on_track"})
    found = recommendations_generate(
        workspace=workspace, start=START, end=END, language="en", goals=[progress, on_track]
    )
    assert len(found) == 1 and found[0].priority == 1 and found[0].key == "goal:7"
    assert "10,000" in found[0].text and "1,500" in found[0].text
    assert "1,500.00" not in found[0].text  # a count has no decimals


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[Workspace]:
    with django_db_blocker.unblock():
        workspace = demo_workspace_seed(end=DEMO_END, days=200).workspace
        yield workspace
        # Committed outside the tests' transactions: leave nothing for the next module.
        workspace.delete()
        User.objects.filter(username__in=[login.username for login in DEMO_LOGINS]).delete()


@pytest.fixture(scope="module")
def demo_findings(demo: Workspace, django_db_blocker: Any) -> dict[str, list[Insight]]:
    with django_db_blocker.unblock():
        return {
            lang: insights_generate(
                workspace=demo, start=dt.date(2026, 5, 26), end=DEMO_END, language=lang
            )
            for lang in ("en", "fr")
        }


def test_demo_reels_and_videos_beat_photos(demo_findings: dict[str, list[Insight]]) -> None:
    formats = _of("format_effect", demo_findings["en"])
    pairs = {
        (i.evidence["format"], i.evidence["against"]) for i in formats if i.evidence["ratio"] > 1
    }
    assert ("reel", "photo") in pairs
    assert any(f in {"video", "reel", "short"} for f, _ in pairs if _ != "reel")


def test_demo_summer_launch_campaign(demo_findings: dict[str, list[Insight]]) -> None:
    tags = {i.evidence["tag"]: i for i in _of("tag_effect", demo_findings["en"])}
    assert "summer-launch" in tags and tags["summer-launch"].evidence["ratio"] > 1.2


def test_demo_facebook_outage(demo_findings: dict[str, list[Insight]]) -> None:
    outages = [i for i in _of("anomaly", demo_findings["en"]) if i.evidence["anomaly"] == "outage"]
    assert [
        (i.evidence["platform"], i.evidence["first_day"], i.evidence["last_day"]) for i in outages
    ] == [("facebook", "2026-10-14", "2026-10-17")]


@pytest.mark.django_db
def test_demo_without_june_or_october_has_no_campaign_or_outage(demo: Workspace) -> None:
    found = insights_generate(
        workspace=demo, start=dt.date(2026, 7, 15), end=dt.date(2026, 9, 30), language="en"
    )
    assert not [i for i in found if i.kind == "tag_effect" and i.evidence["tag"] == "summer-launch"]
    assert not [i for i in found if i.kind == "anomaly" and i.evidence["anomaly"] == "outage"]


def test_demo_texts_in_english_and_french_quote_the_same_numbers(
    demo_findings: dict[str, list[Insight]],
) -> None:
    en, fr = demo_findings["en"], demo_findings["fr"]
    assert [i.key for i in en] == [i.key for i in fr]
    for english, french in zip(en, fr, strict=True):
        assert english.evidence == french.evidence and english.text and french.text
        if english.kind == "format_effect":
            ratio = english.evidence["ratio"]
            assert f"{ratio:.1f}\u00d7" in english.text
            assert f"{ratio:.1f}".replace(".", ",") + "\u00d7" in french.text


@pytest.mark.django_db
def test_number_formatting_follows_the_language() -> None:
    from django.utils import translation

    with translation.override("fr"):
        assert num(2.45, 1) in {"2,5", "2,4"}
    with translation.override("en"):
        assert num(12300) == "12,300"


@pytest.mark.django_db
def test_insights_command_prints_json(demo: Workspace) -> None:
    out = StringIO()
    call_command(
        "insights",
        workspace="demo",
        start="2026-10-01",
        end="2026-10-31",
        lang="fr",
        json=True,
        stdout=out,
    )
    payload = json.loads(out.getvalue())
    assert payload["language"] == "fr"
    assert any(i["kind"] == "anomaly" for i in payload["insights"])
