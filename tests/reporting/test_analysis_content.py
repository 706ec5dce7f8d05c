from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from connectors.models import AccountMetric, Post, SocialAccount, Workspace
from reporting.analysis.content import content_breakdown, content_compare
from reporting.analysis.facts import POST_VALUE_COLUMNS, post_values, post_values_many
from reporting.analysis.posts import posts_ranked
from reporting.analysis.timeseries import kpi_timeseries_compare
from reporting.analysis.timing import best_times, seasonality_weekly
from tests.factories import SocialAccountFactory
from tests.reporting.analysis_data import END, START, followers_make, posts_make

pytestmark = pytest.mark.django_db


def _spread(center: float, n: int) -> list[float]:
    return [center * (0.8 + 0.4 * i / (n - 1)) for i in range(n)]


def test_format_breakdown_has_sample_sizes_medians_and_intervals(workspace: Workspace) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    posts_make(account, fmt="reel", reaches=_spread(3000, 20))
    posts_make(account, fmt="photo", reaches=_spread(1000, 20))
    frame = content_breakdown(
        workspace=workspace, start=START, end=END, metric_or_kpi="reach", by="format"
    )
    assert list(frame.columns) == ["group", "label", "n", "median", "mean", "ci_low", "ci_high"]
    assert frame["group"].tolist() == ["reel", "photo"]
    assert frame["n"].tolist() == [20, 20]
    assert frame["median"].tolist() == pytest.approx([3000, 1000])
    assert (frame["ci_low"] <= frame["median"]).all() and (
        frame["median"] <= frame["ci_high"]
    ).all()


def test_compare_reels_three_times_photos_is_significant(workspace: Workspace) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    posts_make(account, fmt="reel", reaches=_spread(3000, 20))
    posts_make(account, fmt="photo", reaches=_spread(1000, 20))
    result = content_compare(
        workspace=workspace,
        start=START,
        end=END,
        metric_or_kpi="reach",
        by="format",
        group="reel",
        against="photo",
    )
    assert result.significant and result.ratio == pytest.approx(3.0)
    assert (result.n, result.n_against) == (20, 20)


def test_tags_hashtags_and_length_buckets(workspace: Workspace) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    posts_make(account, fmt="photo", reaches=[10, 20], tags=["tips"], text="Short #Tips")
    posts_make(account, fmt="photo", reaches=[30], text="x" * 200)
    by_tag = content_breakdown(
        workspace=workspace, start=START, end=END, metric_or_kpi="reach", by="tag"
    )
    assert by_tag["group"].tolist() == ["tips", None] and by_tag["n"].tolist() == [2, 1]
    by_hashtag = content_breakdown(
        workspace=workspace, start=START, end=END, metric_or_kpi="reach", by="hashtag"
    )
    assert by_hashtag.set_index("label")["n"].to_dict() == {"#tips": 2, "(no hashtag)": 1}
    by_length = content_breakdown(
        workspace=workspace, start=START, end=END, metric_or_kpi="reach", by="length_bucket"
    )
    assert set(by_length["group"]) == {"0-49", "150-299"}


def test_content_is_scoped_to_the_workspace(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    posts_make(SocialAccountFactory.create(workspace=other_workspace), fmt="reel", reaches=[5])
    frame = content_breakdown(
        workspace=workspace, start=START, end=END, metric_or_kpi="reach", by="format"
    )
    assert frame.empty


def test_posts_ranked_normalises_by_followers_on_publication_day(workspace: Workspace) -> None:
    big = SocialAccountFactory.create(workspace=workspace, display_name="Big")
    small = SocialAccountFactory.create(workspace=workspace, display_name="Small")
    followers_make(big, 100_000, START - dt.timedelta(days=10))
    followers_make(small, 1_000, START - dt.timedelta(days=10))
    posts_make(big, fmt="photo", reaches=[5000, 4000, 3000])
    posts_make(small, fmt="photo", reaches=[300, 100, 100])
    frame = posts_ranked(
        workspace=workspace, kpi_or_metric="reach", start=START, end=END, top=1, bottom=1
    )
    top = frame.iloc[0]
    assert top["account"] == "Small" and top["per_1k_followers"] == pytest.approx(300)
    assert top["vs_account_median"] == pytest.approx(3.0) and top["rank"] == 1
    assert frame.iloc[1]["position"] == "bottom" and frame.iloc[1]["account"] == "Big"
    raw = posts_ranked(
        workspace=workspace, kpi_or_metric="reach", start=START, end=END, normalise=False
    )
    assert raw.iloc[0]["value"] == 5000


def test_best_times_flags_cells_with_too_few_posts(workspace: Workspace) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    posts_make(account, fmt="photo", reaches=[100, 110, 120], hour=9)
    cells = best_times(
        workspace=workspace, account=account, start=START, end=END, metric="reach", min_posts=5
    )
    assert not cells["enough_data"].any() and not cells["significant"].any()
    assert cells["n"].sum() == 3


def test_best_times_finds_the_evening_slot(workspace: Workspace) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    posts_make(account, fmt="photo", reaches=_spread(1000, 28), hour=9)
    posts_make(account, fmt="photo", reaches=_spread(3000, 28), hour=19)
    cells = best_times(
        workspace=workspace, account=account, start=START, end=END, metric="reach", slot="daypart"
    )
    best = cells.sort_values("lift", ascending=False).iloc[0]
    assert best["slot"] == "evening" and best["n"] == 4 and not best["enough_data"]
    assert set(cells["slot"]) == {"morning", "evening"}


def test_seasonality_weekly_index(workspace: Workspace) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    for i in range(28):
        day = START + dt.timedelta(days=i)
        value = 200.0 if day.weekday() >= 5 else 100.0
        AccountMetric.objects.create(account=account, day=day, metric="impressions", value=value)
    frame = seasonality_weekly(workspace=workspace, metric="impressions", start=START, end=END)
    assert frame["n"].tolist() == [4] * 7
    assert frame["index"].iloc[5] == pytest.approx(200 / (900 / 7))


def test_timeseries_compares_with_previous_period(workspace: Workspace) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    for i in range(56):
        day = START - dt.timedelta(days=28) + dt.timedelta(days=i)
        value = 10.0 if day < START else 15.0
        AccountMetric.objects.create(account=account, day=day, metric="impressions", value=value)
    frame = kpi_timeseries_compare(
        workspace=workspace, kpi="impressions", start=START, end=END, grain="week", by="account"
    )
    assert len(frame) == 4 and frame["group"].tolist() == [account.pk] * 4
    assert frame["value"].tolist() == [105.0] * 4
    assert frame["compare_value"].tolist() == [70.0] * 4
    assert np.allclose(frame["change_pct"], 50.0)


def _two_accounts(workspace: Workspace) -> tuple[SocialAccount, SocialAccount]:
    shop = SocialAccountFactory.create(workspace=workspace, display_name="Shop")
    blog = SocialAccountFactory.create(workspace=workspace, display_name="Blog")
    posts_make(shop, fmt="reel", reaches=_spread(3000, 12), hour=19, tags=["launch"])
    posts_make(shop, fmt="photo", reaches=_spread(1000, 12), hour=9)
    posts_make(blog, fmt="photo", reaches=_spread(50, 10), hour=12, tags=["launch"])
    followers_make(shop, 10_000)
    followers_make(blog, 500)
    return shop, blog


def test_post_values_reads_details_with_the_posts_not_by_a_list_of_ids(
    workspace: Workspace, django_assert_num_queries: Any
) -> None:
    shop, _blog = _two_accounts(workspace)
    # The account ids, the posts with their details, their latest snapshots.
    with django_assert_num_queries(3):
        frame = post_values(workspace=workspace, kpi_or_metric="reach", start=START, end=END)
    assert list(frame.columns) == POST_VALUE_COLUMNS and len(frame) == 34
    first = frame.iloc[0]
    assert (first["account"], first["platform"]) == (shop.display_name, shop.platform)
    assert (first["text"], first["permalink"]) == (
        "Hello",
        Post.objects.get(pk=first["post_id"]).permalink,
    )


def test_post_values_many_gives_each_key_its_post_values_frame(workspace: Workspace) -> None:
    _two_accounts(workspace)
    many = post_values_many(
        workspace=workspace, kpis_or_metrics=["reach", "impressions"], start=START, end=END
    )
    for key in ("reach", "impressions"):
        expected = post_values(workspace=workspace, kpi_or_metric=key, start=START, end=END)
        pd.testing.assert_frame_equal(many[key], expected)
    assert many["impressions"].empty


def test_values_already_read_give_the_same_results_without_a_query(
    workspace: Workspace, django_assert_num_queries: Any
) -> None:
    shop, blog = _two_accounts(workspace)
    values = post_values(workspace=workspace, kpi_or_metric="reach", start=START, end=END)
    common: dict[str, Any] = {"workspace": workspace, "start": START, "end": END}
    with django_assert_num_queries(0):
        cells = best_times(**common, account=shop, metric="reach", slot="daypart", values=values)
        groups = content_breakdown(
            **common, metric_or_kpi="reach", by="format", accounts=[blog], values=values
        )
        relative = content_breakdown(
            **common, metric_or_kpi="reach", by="tag", relative=True, values=values
        )
    pd.testing.assert_frame_equal(
        cells, best_times(**common, account=shop, metric="reach", slot="daypart")
    )
    pd.testing.assert_frame_equal(
        groups,
        content_breakdown(**common, metric_or_kpi="reach", by="format", accounts=[blog]),
    )
    pd.testing.assert_frame_equal(
        relative, content_breakdown(**common, metric_or_kpi="reach", by="tag", relative=True)
    )
    ranked = posts_ranked(
        **common, kpi_or_metric="reach", top=3, bottom=2, tags=["launch"], values=values
    )
    pd.testing.assert_frame_equal(
        ranked, posts_ranked(**common, kpi_or_metric="reach", top=3, bottom=2, tags=["launch"])
    )
