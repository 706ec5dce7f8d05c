from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from connectors.exports import (
    ACCOUNT_COLUMNS,
    POST_COLUMNS,
    ExportFormat,
    ExportLevel,
    ExportQuery,
    cell_safe,
    export_csv_lines,
    export_filename,
    export_rows,
    export_xlsx_write,
)
from connectors.models import AccountMetric, Platform, PostFormat, PostMetric, Workspace
from tests.factories import (
    AccountMetricFactory,
    PostFactory,
    PostMetricFactory,
    SocialAccountFactory,
)

D = dt.date


@pytest.fixture
def data(workspace: Workspace, other_workspace: Workspace) -> dict[str, object]:
    insta = SocialAccountFactory.create(
        workspace=workspace, platform=Platform.INSTAGRAM, display_name="Acme Insta"
    )
    fb = SocialAccountFactory.create(
        workspace=workspace, platform=Platform.FACEBOOK, display_name="=HYPERLINK(1)"
    )
    for day, metric, value in [
        (D(2026, 3, 2), "followers", 1200.0),
        (D(2026, 3, 1), "followers", 1190.0),
        (D(2026, 3, 1), "impressions", 5400.5),
        (D(2026, 2, 27), "impressions", 5000.0),
    ]:
        AccountMetricFactory.create(account=insta, day=day, metric=metric, value=value)
    AccountMetricFactory.create(account=fb, day=D(2026, 3, 1), metric="followers", value=-3.0)

    post = PostFactory.create(
        account=insta,
        external_id="-17890001",
        published_at=dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC),
        format=PostFormat.REEL,
        is_paid=True,
    )
    PostMetricFactory.create(post=post, day=D(2026, 3, 1), metric="likes", value=10)
    PostMetricFactory.create(post=post, day=D(2026, 3, 8), metric="likes", value=42)
    PostMetricFactory.create(post=post, day=D(2026, 3, 3), metric="likes", value=30)
    PostMetricFactory.create(post=post, day=D(2026, 3, 1), metric="comments", value=2)
    older = PostFactory.create(
        account=insta,
        external_id="p-old",
        published_at=dt.datetime(2026, 1, 5, 23, 30, tzinfo=dt.UTC),
        format=PostFormat.PHOTO,
    )
    PostMetricFactory.create(post=older, day=D(2026, 1, 6), metric="likes", value=7)

    intruder = SocialAccountFactory.create(
        workspace=other_workspace, platform=Platform.INSTAGRAM, display_name="Acme Insta"
    )
    AccountMetricFactory.create(
        account=intruder, day=D(2026, 3, 1), metric="followers", value=99999
    )
    intruder_post = PostFactory.create(account=intruder, external_id="intruder")
    PostMetricFactory.create(post=intruder_post, day=D(2026, 3, 1), metric="likes", value=99999)
    return {"insta": insta, "fb": fb, "post": post, "older": older}


def read_csv(query: ExportQuery) -> list[list[str]]:
    text = "".join(export_csv_lines(query))
    return list(csv.reader(io.StringIO(text)))


def test_account_level_csv_equals_the_database(workspace, data) -> None:
    rows = read_csv(ExportQuery(workspace=workspace, level=ExportLevel.ACCOUNT))
    assert rows[0] == list(ACCOUNT_COLUMNS)
    # Facebook sorts before Instagram; days then metrics in order; integral floats as integers.
    assert rows[1:] == [
        ["facebook", "'=HYPERLINK(1)", "2026-03-01", "followers", "-3"],
        ["instagram", "Acme Insta", "2026-02-27", "impressions", "5000"],
        ["instagram", "Acme Insta", "2026-03-01", "followers", "1190"],
        ["instagram", "Acme Insta", "2026-03-01", "impressions", "5400.5"],
        ["instagram", "Acme Insta", "2026-03-02", "followers", "1200"],
    ]
    exported = {(r[1].lstrip("'"), r[2], r[3]): float(r[4]) for r in rows[1:]}
    stored = {
        (name, day.isoformat(), metric): value
        for name, day, metric, value in AccountMetric.objects.filter(
            account__workspace=workspace
        ).values_list("account__display_name", "day", "metric", "value")
    }
    assert exported == stored


def test_post_level_has_the_latest_snapshot_of_each_metric(workspace, data) -> None:
    rows = read_csv(ExportQuery(workspace=workspace, level=ExportLevel.POST))
    assert rows[0] == list(POST_COLUMNS)
    assert rows[1:] == [
        ["instagram", "Acme Insta", "p-old", "2026-01-05T23:30:00Z", "photo", "false", "likes",
         "7", "2026-01-06"],
        ["instagram", "Acme Insta", "'-17890001", "2026-03-01T09:30:00Z", "reel", "true",
         "comments", "2", "2026-03-01"],
        ["instagram", "Acme Insta", "'-17890001", "2026-03-01T09:30:00Z", "reel", "true",
         "likes", "42", "2026-03-08"],
    ]  # fmt: skip
    latest = PostMetric.objects.filter(post=data["post"], metric="likes").order_by("-day").first()
    assert latest is not None and latest.value == 42


def test_dates_and_account_filter(workspace, data) -> None:
    query = ExportQuery(
        workspace=workspace,
        level=ExportLevel.ACCOUNT,
        accounts=[data["insta"]],
        start=D(2026, 3, 1),
        end=D(2026, 3, 1),
    )
    assert [r[2:4] for r in read_csv(query)[1:]] == [
        ["2026-03-01", "followers"],
        ["2026-03-01", "impressions"],
    ]
    # Post level: publication day in the workspace's timezone (Paris): 5 January 23:30 UTC is
    # already 6 January there.
    posts = ExportQuery(
        workspace=workspace, level=ExportLevel.POST, start=D(2026, 1, 6), end=D(2026, 1, 6)
    )
    assert [r[2] for r in read_csv(posts)[1:]] == ["p-old"]


def test_another_workspaces_data_is_never_exported(workspace, other_workspace, data) -> None:
    for level in ExportLevel:
        text = "".join(export_csv_lines(ExportQuery(workspace=workspace, level=level)))
        assert "99999" not in text and "intruder" not in text
    # Even when the caller hands over an account of another workspace.
    intruder = other_workspace.accounts.get()
    query = ExportQuery(workspace=workspace, level=ExportLevel.ACCOUNT, accounts=[intruder])
    assert list(export_rows(query)) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6", "'+33 6"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Acme", "Acme"),
        (-2.0, -2.0),
        (3, 3),
        (True, True),
        (D(2026, 1, 1), D(2026, 1, 1)),
    ],
)
def test_cell_safe_neutralises_formulas_but_not_numbers(value, expected) -> None:
    assert cell_safe(value) == expected


def test_xlsx_matches_the_csv_and_holds_no_formula(workspace, data, tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    for level in ExportLevel:
        query = ExportQuery(workspace=workspace, level=level)
        with path.open("wb") as stream:
            written = export_xlsx_write(query, stream)
        sheet = load_workbook(path).worksheets[0]
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        csv_rows = read_csv(query)
        assert written == len(csv_rows) - 1
        assert values[0] == list(csv_rows[0])
        for cells, text in zip(values[1:], csv_rows[1:], strict=True):
            normalised = [
                c.date().isoformat()
                if isinstance(c, dt.datetime)
                else ("true" if c is True else "false" if c is False else str(c))
                for c in cells
            ]
            assert normalised == text
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
    sheet = load_workbook(path).worksheets[0]
    value_column = POST_COLUMNS.index("value") + 1
    assert isinstance(sheet.cell(row=2, column=value_column).value, int)


def test_rows_stream_with_one_query_per_account(workspace, data) -> None:
    for index in range(30):
        PostFactory.create(account=data["insta"], external_id=f"extra-{index}")
    query = ExportQuery(workspace=workspace, level=ExportLevel.POST)
    with CaptureQueriesContext(connection) as queries:
        rows = list(export_rows(query))
    assert len(rows) == 3
    # The accounts, then one query per account: never one per post or per row. A server-side
    # cursor on Postgres adds its own DECLARE/FETCH/CLOSE statements per query.
    selects = [q["sql"] for q in queries.captured_queries if "SELECT" in q["sql"].upper()]
    assert len(selects) <= 3


def test_filename_names_workspace_level_account_and_dates(workspace, data) -> None:
    query = ExportQuery(
        workspace=workspace,
        level=ExportLevel.POST,
        accounts=[data["insta"]],
        start=D(2026, 1, 1),
        end=D(2026, 3, 31),
    )
    assert (
        export_filename(query, ExportFormat.XLSX)
        == "rapport-acme-post-acme-insta-2026-01-01_2026-03-31.xlsx"
    )


def test_export_data_command_prints_csv(workspace, data, capsys) -> None:
    out = io.StringIO()
    call_command(
        "export_data",
        "--workspace=acme",
        "--account=Acme Insta",
        "--level=account",
        "--start=2026-03-01",
        stdout=out,
    )
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [
        list(ACCOUNT_COLUMNS),
        ["instagram", "Acme Insta", "2026-03-01", "followers", "1190"],
        ["instagram", "Acme Insta", "2026-03-01", "impressions", "5400.5"],
        ["instagram", "Acme Insta", "2026-03-02", "followers", "1200"],
    ]


def test_export_data_command_writes_xlsx(workspace, data, tmp_path: Path) -> None:
    path = tmp_path / "posts.xlsx"
    err = io.StringIO()
    call_command("export_data", "--workspace=acme", "--level=post", f"--out={path}", stderr=err)
    sheet = load_workbook(path).worksheets[0]
    assert sheet.max_row == 4
    assert "Wrote 3 rows" in err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workspace=nope", "--level=account"], "No workspace"),
        (["--workspace=acme", "--level=account", "--account=Ghost"], "No account named"),
        (["--workspace=acme", "--level=post", "--format=xlsx"], "--out"),
        (
            ["--workspace=acme", "--level=post", "--start=2026-03-02", "--end=2026-03-01"],
            "--start",
        ),
    ],
)
def test_export_data_command_errors(workspace, data, args, message) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("export_data", *args, stdout=io.StringIO())
