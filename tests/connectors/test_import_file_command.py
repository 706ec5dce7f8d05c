from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connections

from connectors.models import AccountMetric, Post, PostMetric, SocialAccount, Workspace

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
TWEETS = FIXTURES / "x" / "tweet_activity_metrics_acmehq_20240301_20240401_en.csv"
GENERIC = FIXTURES / "generic" / "posts_with_ids.csv"


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_file", *args, stdout=out)
    return out.getvalue()


def test_import_prints_a_summary_and_writes(workspace: Workspace) -> None:
    output = run(str(TWEETS), "--workspace", "acme", "--account", "Acme HQ")

    assert "Imported tweet_activity_metrics_acmehq_20240301_20240401_en.csv" in output
    assert "posts written                3" in output
    assert Post.objects.filter(account__display_name="Acme HQ").count() == 3
    assert PostMetric.objects.count() == 21


def test_json_prints_one_parseable_line(workspace: Workspace) -> None:
    output = run(str(TWEETS), "--workspace", "acme", "--account", "Acme HQ", "--json")

    lines = output.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["rows_read"] == 3
    assert summary["posts_written"] == 3
    assert summary["days_written"] == 0
    assert "impressions" in summary["metrics"]
    assert summary["skipped"] == []


def test_json_lists_skipped_rows_with_reasons(workspace: Workspace) -> None:
    output = run(
        str(GENERIC),
        "--workspace", "acme", "--account", "Shop", "--json",
        "--map", "ID=post_id", "--map", "Posted on=published_at", "--map", "Views=video_views",
    )  # fmt: skip
    summary = json.loads(output)
    assert summary["format"] == "generic" and summary["platform"] == "import"
    assert summary["skipped"][0]["row"] == 4
    assert "Total" in summary["skipped"][0]["reason"]


def test_dry_run_writes_nothing_and_says_what_it_would_write(workspace: Workspace) -> None:
    output = run(str(TWEETS), "--workspace", "acme", "--account", "Acme HQ", "--dry-run")

    assert "Would import" in output
    assert "posts written                3" in output
    assert "Dry run: nothing was written." in output
    assert not SocialAccount.objects.exists()
    assert not PostMetric.objects.exists()


def test_a_second_import_writes_nothing(workspace: Workspace) -> None:
    run(str(TWEETS), "--workspace", "acme", "--account", "Acme HQ")
    summary = json.loads(run(str(TWEETS), "--workspace", "acme", "--account", "Acme HQ", "--json"))
    assert summary["posts_written"] == summary["post_metric_rows_written"] == 0
    assert summary["account_created"] is False


def test_a_bad_file_is_an_error_with_row_and_column_and_nothing_written(
    workspace: Workspace, tmp_path: Path
) -> None:
    bad = tmp_path / TWEETS.name
    bad.write_bytes(TWEETS.read_bytes().replace(b'"2718.0"', b'"n/a?"'))

    with pytest.raises(CommandError, match=r"Row 4, column “impressions”: “n/a\?” is not a number"):
        run(str(bad), "--workspace", "acme", "--account", "Acme HQ")
    assert not SocialAccount.objects.exists()
    assert not AccountMetric.objects.exists()


def test_errors_exit_non_zero_from_the_command_line(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unknown = tmp_path / "scores.csv"
    unknown.write_text("Name,Score\nAda,3\n")
    # run_from_argv closes the connections when it ends; the test's transaction needs its own.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    with pytest.raises(SystemExit) as caught:
        ManagementUtility(
            ["manage.py", "import_file", str(unknown), "--workspace", "acme", "--account", "X"]
        ).execute()
    assert caught.value.code == 1
    assert not SocialAccount.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workspace", "nope", "--account", "A"], "No workspace 'nope'. Workspaces: acme"),
        (["--workspace", "acme", "--account", "A", "--map", "Views"], "Source column=field"),
        (["--workspace", "acme", "--account", "A", "--format", "tiktok_csv"], "not a format"),
        (["--workspace", "acme", "--account", "A", "--platform", "x"], "belongs to YouTube"),
    ],
)
def test_bad_options_are_errors(workspace: Workspace, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(str(FIXTURES / "youtube" / "Totals.csv"), *args)


def test_a_missing_file_is_an_error(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "absent.csv"), "--workspace", "acme", "--account", "A")


def test_year_and_as_of_options(workspace: Workspace) -> None:
    output = run(
        str(FIXTURES / "tiktok" / "Overview.csv"),
        "--workspace", "acme", "--account", "Acme", "--year", "2023", "--json",
    )  # fmt: skip
    summary = json.loads(output)
    assert summary["period"] == ["2023-12-30", "2024-01-03"]
    run(
        str(FIXTURES / "youtube" / "Table data.csv"),
        "--workspace", "acme", "--account", "Acme", "--as-of", "2025-03-09",
    )  # fmt: skip
    assert set(PostMetric.objects.values_list("day", flat=True)) == {dt.date(2025, 3, 9)}
