from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

import pytest
from django.db.models import Sum

from connectors import imports
from connectors.importers import ImportFileError
from connectors.imports import ImportSummary, account_external_id, file_import_run
from connectors.models import AccountMetric, Post, PostMetric, SocialAccount, Workspace
from tests.factories import SocialAccountFactory

from .conftest import FIXTURES, SAMPLES, TODAY, fixture_bytes

pytestmark = pytest.mark.django_db

TWEETS = "x/tweet_activity_metrics_acmehq_20240301_20240401_en.csv"
OVERVIEW = "tiktok/Overview.csv"


def run(workspace: Workspace, name: str, account: str = "Acme", **options: Any) -> ImportSummary:
    options.setdefault("today", TODAY)
    return file_import_run(
        workspace=workspace,
        content=options.pop("content", None) or fixture_bytes(name),
        filename=name.rsplit("/", 1)[-1],
        account_name=account,
        **options,
    )


def facts(workspace: Workspace) -> dict[str, set[tuple[Any, ...]]]:
    return {
        "accounts": set(
            SocialAccount.objects.filter(workspace=workspace).values_list(
                "platform", "external_id", "display_name"
            )
        ),
        "posts": set(
            Post.objects.filter(account__workspace=workspace).values_list(
                "id", "external_id", "published_at", "format", "is_paid", "text", "permalink"
            )
        ),
        "post_metrics": set(
            PostMetric.objects.filter(post__account__workspace=workspace).values_list()
        ),
        "account_metrics": set(
            AccountMetric.objects.filter(account__workspace=workspace).values_list()
        ),
    }


def test_import_creates_the_account_and_writes_posts_and_counters(workspace: Workspace) -> None:
    summary = run(workspace, TWEETS, account="Acme HQ")

    account = SocialAccount.objects.get(workspace=workspace)
    assert (account.platform, account.display_name, account.timezone) == (
        "x",
        "Acme HQ",
        "Europe/Paris",
    )
    assert account.external_id == account_external_id("acme hq")
    assert summary.account_created
    assert (summary.format, summary.platform, summary.account) == (
        "x_tweet_activity",
        "x",
        "Acme HQ",
    )
    assert (summary.rows_read, summary.posts_written, summary.post_metric_rows_written) == (
        3,
        3,
        21,
    )
    assert (summary.days_written, summary.account_metric_rows_written) == (0, 0)
    assert summary.period == (dt.date(2024, 3, 2), dt.date(2024, 3, 30))
    assert "impressions" in summary.metrics
    assert Post.objects.filter(account=account).count() == 3


def test_importing_the_same_file_twice_changes_nothing(workspace: Workspace) -> None:
    run(workspace, TWEETS)
    run(workspace, OVERVIEW)
    before = facts(workspace)

    again = run(workspace, TWEETS)
    daily_again = run(workspace, OVERVIEW)

    assert facts(workspace) == before
    assert not again.account_created
    assert (again.posts_written, again.post_metric_rows_written) == (0, 0)
    assert (daily_again.days_written, daily_again.account_metric_rows_written) == (0, 0)


def test_numbers_read_back_equal_the_file(workspace: Workspace) -> None:
    run(workspace, TWEETS)
    run(workspace, OVERVIEW)

    per_post = dict(
        PostMetric.objects.filter(metric="impressions").values_list("post__external_id", "value")
    )
    assert per_post == {
        "1774000000000000001": 1777.0,
        "1772000000000000002": 820.0 + 4500.0,
        "1770000000000000003": 2718.0,
    }
    by_day: dict[str, dict[dt.date, float]] = defaultdict(dict)
    for day, metric, value in AccountMetric.objects.values_list("day", "metric", "value"):
        by_day[metric][day] = value
    assert by_day["video_views"] == {
        dt.date(2024, 12, 30): 1204.0,
        dt.date(2024, 12, 31): 980.0,
        dt.date(2025, 1, 1): 1544.0,
        dt.date(2025, 1, 3): 760.0,
    }
    file_likes = 96.0 + 71.0 + 130.0 + 52.0
    assert AccountMetric.objects.filter(metric="likes").aggregate(total=Sum("value"))["total"] == (
        file_likes
    )
    # "undefined" is missing, not zero: no profile visits on January 3.
    assert not AccountMetric.objects.filter(
        day=dt.date(2025, 1, 3), metric="profile_visits"
    ).exists()


def test_a_changed_value_is_rewritten_on_its_day_only(workspace: Workspace) -> None:
    run(workspace, OVERVIEW)
    changed = fixture_bytes(OVERVIEW).replace(b'"980"', b'"985"')

    summary = run(workspace, OVERVIEW, content=changed)

    assert (summary.days_written, summary.account_metric_rows_written) == (1, 1)
    assert AccountMetric.objects.get(day=dt.date(2024, 12, 31), metric="video_views").value == 985.0


def test_a_bad_cell_in_the_last_row_writes_nothing(workspace: Workspace) -> None:
    content = fixture_bytes(TWEETS).replace(b'"2718.0"', b'"27x8"')
    assert content != fixture_bytes(TWEETS)

    with pytest.raises(ImportFileError) as caught:
        run(workspace, TWEETS, content=content)

    assert (caught.value.row, caught.value.column) == (4, "impressions")
    assert "Row 4" in caught.value.message and "“27x8” is not a number" in caught.value.message
    assert facts(workspace) == {
        "accounts": set(),
        "posts": set(),
        "post_metrics": set(),
        "account_metrics": set(),
    }


def test_a_failure_while_writing_rolls_everything_back(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> int:
        raise ValueError("Unknown metric 'likez'")

    monkeypatch.setattr(imports, "post_metrics_upsert", broken)
    with pytest.raises(ImportFileError, match="could not be stored"):
        run(workspace, TWEETS)
    assert not SocialAccount.objects.exists()
    assert not Post.objects.exists()


def test_dry_run_reports_what_it_would_write_and_writes_nothing(workspace: Workspace) -> None:
    summary = run(workspace, TWEETS, dry_run=True)

    assert summary.dry_run and summary.account_created
    assert (summary.posts_written, summary.post_metric_rows_written) == (3, 21)
    assert not SocialAccount.objects.exists()
    assert not Post.objects.exists()


@pytest.mark.parametrize("name", ["acme shop", "@acmeshop", "acmeshop", "ACME SHOP"])
def test_the_account_is_found_by_name_or_handle(workspace: Workspace, name: str) -> None:
    account = SocialAccountFactory.create(
        workspace=workspace, platform="x", display_name="Acme Shop", handle="@acmeshop"
    )
    summary = run(workspace, TWEETS, account=name)
    assert not summary.account_created
    assert Post.objects.filter(account=account).count() == 3


def test_a_native_file_goes_to_the_account_of_its_platform(workspace: Workspace) -> None:
    instagram = SocialAccountFactory.create(
        workspace=workspace, platform="instagram", display_name="Acme"
    )
    x = SocialAccountFactory.create(workspace=workspace, platform="x", display_name="Acme")

    run(workspace, TWEETS, account="Acme")
    summary = run(workspace, "youtube/Table data.csv", account="Acme")

    assert Post.objects.filter(account=x).count() == 3
    assert not Post.objects.filter(account=instagram).exists()
    assert summary.account_created and summary.platform == "youtube"


def test_times_without_an_offset_are_read_in_the_accounts_timezone(workspace: Workspace) -> None:
    SocialAccountFactory.create(
        workspace=workspace,
        platform="facebook",
        display_name="Acme",
        timezone="America/Los_Angeles",
    )
    run(workspace, "facebook/Facebook Insights Data Export (Post Level) - Acme - 2024-02-15.csv")
    post = Post.objects.get(external_id="111222333_444555666")
    assert post.published_at == dt.datetime(2024, 2, 15, 1, 30, tzinfo=dt.UTC)


def test_a_generic_file_goes_to_the_one_account_of_that_name(workspace: Workspace) -> None:
    account = SocialAccountFactory.create(
        workspace=workspace, platform="instagram", display_name="Acme"
    )
    mapping = {"Day": "date", "Visits": "profile_visits"}

    summary = run(workspace, "generic/daily.csv", mapping=mapping)

    assert (summary.platform, summary.account_created) == ("instagram", False)
    assert AccountMetric.objects.filter(account=account).count() == 2


def test_a_generic_file_with_several_accounts_of_that_name_asks_for_the_platform(
    workspace: Workspace,
) -> None:
    SocialAccountFactory.create(workspace=workspace, platform="instagram", display_name="Acme")
    SocialAccountFactory.create(workspace=workspace, platform="facebook", display_name="Acme")
    with pytest.raises(ImportFileError, match="Several accounts"):
        run(workspace, "generic/daily.csv", mapping={"Day": "date", "Visits": "profile_visits"})
    summary = run(
        workspace,
        "generic/daily.csv",
        mapping={"Day": "date", "Visits": "profile_visits"},
        platform="facebook",
    )
    assert summary.platform == "facebook" and not summary.account_created


def test_a_new_generic_account_is_an_imported_file_account(workspace: Workspace) -> None:
    summary = run(
        workspace,
        "generic/report.xlsx",
        account="Newsletter",
        mapping={"Day": "date", "Reach": "reach"},
    )
    account = SocialAccount.objects.get(workspace=workspace)
    assert (account.platform, account.display_name) == ("import", "Newsletter")
    assert summary.days_written == 3
    # Found again by its name, and by its stable external id after a rename.
    account.display_name = "Newsletter (old)"
    account.save()
    again = run(
        workspace,
        "generic/report.xlsx",
        account="Newsletter",
        mapping={"Day": "date", "Reach": "reach"},
    )
    assert not again.account_created and again.account_metric_rows_written == 0


def test_an_empty_account_name_is_refused(workspace: Workspace) -> None:
    with pytest.raises(ImportFileError, match="name of the account"):
        run(workspace, TWEETS, account="  ")


def test_summary_to_dict_is_json_ready(workspace: Workspace) -> None:
    summary = run(workspace, "youtube/Table data.csv")
    data = json.loads(json.dumps(summary.to_dict()))
    assert data["skipped"] == [{"row": 2, "reason": summary.skipped[0].reason}]
    assert data["period"] == ["2024-09-27", "2025-03-01"]
    assert data["posts_written"] == 3 and data["dry_run"] is False


def test_every_fixture_imports_twice_without_change(workspace: Workspace) -> None:
    names = sorted(
        str(path.relative_to(FIXTURES))
        for path in FIXTURES.rglob("*")
        if path.suffix in (".csv", ".xlsx") and "generic" not in path.parts
    )
    for name in names:
        first = run(workspace, name, account=name)
        second = run(workspace, name, account=name)
        assert first.posts_written + first.account_metric_rows_written > 0, name
        assert (second.posts_written, second.post_metric_rows_written) == (0, 0), name
        assert second.account_metric_rows_written == 0, name


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is absent")
def test_real_samples_read_back_from_the_database_as_in_the_files(workspace: Workspace) -> None:
    for name, account in (
        ("x/tweet_activity_metrics_rOpenSci_20190101_20190201_en.csv", "rOpenSci"),
        ("youtube/buildwithadi__Table_data.csv", "buildwithadi"),
    ):
        file_import_run(
            workspace=workspace,
            content=(SAMPLES / name).read_bytes(),
            filename=name.rsplit("/", 1)[-1],
            account_name=account,
        )

    def total(platform: str, metric: str) -> float:
        rows = PostMetric.objects.filter(post__account__platform=platform, metric=metric)
        return rows.aggregate(total=Sum("value"))["total"]

    assert Post.objects.filter(account__platform="x").count() == 31
    assert total("x", "impressions") == 199256.0
    assert (
        PostMetric.objects.get(post__external_id="1091020490066382850", metric="impressions").value
        == 13849.0
    )
    assert Post.objects.filter(account__platform="youtube").count() == 24
    assert total("youtube", "video_views") == 61503.0
