"""The report document: period rules, sections and their numbers, scope, and archived runs."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from typing import Any, cast

import pytest
from django.utils import timezone

from connectors.models import Platform, SocialAccount, Workspace
from dashboards.reports import services
from dashboards.reports.build import report_build
from dashboards.reports.periods import last_week, report_query
from dashboards.reports.sections import section_clean, sections_clean
from dashboards.reports.services import report_run_create, report_run_render
from reporting.goals.services import goal_create
from reporting.kpis.selectors import kpi_get
from reporting.report_defaults import READY_KEYS, report_templates_ensure
from reporting.report_models import ReportFormat, ReportRun, ReportTemplate, RunStatus
from tests.factories import (
    AccountMetricFactory,
    PostFactory,
    PostMetricFactory,
    SocialAccountFactory,
)

D = dt.date
TODAY = D(2026, 11, 25)  # "last month" is October 2026, compared with September


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
    for day in (D(2026, 9, 10), D(2026, 10, 10)):
        reach = 1000 if day.month == 9 else 1500
        AccountMetricFactory(account=insta, day=day, metric="reach", value=reach)
        AccountMetricFactory(account=face, day=day, metric="reach", value=reach / 2)
    AccountMetricFactory(account=insta, day=D(2026, 10, 31), metric="followers", value=4200)
    for index, likes in enumerate([10, 40, 25]):
        post = PostFactory(
            account=insta,
            published_at=dt.datetime(2026, 10, 5 + index, 9, tzinfo=dt.UTC),
            text=f"Post number {index} <b>bold</b>",
        )
        PostMetricFactory(post=post, day=D(2026, 10, 20), metric="likes", value=likes)
        PostMetricFactory(post=post, day=D(2026, 10, 20), metric="comments", value=0)
        PostMetricFactory(post=post, day=D(2026, 10, 20), metric="shares", value=0)
    stranger = SocialAccountFactory(workspace=other_workspace, platform=Platform.INSTAGRAM)
    AccountMetricFactory(account=stranger, day=D(2026, 10, 10), metric="reach", value=987654)
    return {"instagram": insta, "facebook": face}


def template_with(workspace: Workspace, sections: list[dict[str, Any]], **fields: Any) -> Any:
    return ReportTemplate.objects.create(
        workspace=workspace, key="t", name="Board pack", sections=sections, **fields
    )


def section(document: Any, kind: str) -> Any:
    return next(s for s in document.sections if s.type == kind)


def test_every_workspace_gets_the_three_ready_templates(workspace: Workspace) -> None:
    keys = set(workspace.report_templates.values_list("key", flat=True))
    assert keys == set(READY_KEYS)
    assert report_templates_ensure(workspace=workspace) == []  # a second call adds nothing


@pytest.mark.parametrize(
    ("rule", "start", "end"),
    [
        ("last_month", D(2026, 10, 1), D(2026, 10, 31)),
        ("last_quarter", D(2026, 7, 1), D(2026, 9, 30)),
        ("month_to_date", D(2026, 11, 1), D(2026, 11, 24)),
        ("year_to_date", D(2026, 1, 1), D(2026, 11, 24)),
        ("last_week", D(2026, 11, 16), D(2026, 11, 22)),
    ],
)
def test_rolling_periods(workspace: Workspace, rule: str, start: D, end: D) -> None:
    template = template_with(workspace, [], period=rule)
    document = report_build(template=template, today=TODAY)
    assert (document.period_start, document.period_end) == (start, end)


def test_last_month_compares_with_the_calendar_month_before(workspace: Workspace) -> None:
    document = report_build(template=template_with(workspace, []), today=TODAY)
    assert (document.compare_start, document.compare_end) == (D(2026, 9, 1), D(2026, 9, 30))


def test_last_week_is_monday_to_sunday() -> None:
    assert last_week(D(2026, 11, 23)) == (D(2026, 11, 16), D(2026, 11, 22))  # a Monday
    assert last_week(D(2026, 11, 29)) == (D(2026, 11, 16), D(2026, 11, 22))  # a Sunday


def test_fixed_period_and_scope_reach_the_filters(
    workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    template = template_with(
        workspace,
        [],
        period="fixed",
        fixed_start=D(2026, 10, 1),
        fixed_end=D(2026, 10, 15),
        account_ids=[accounts["instagram"].pk],
    )
    query = report_query(template, today=TODAY)
    assert query["range"] == "custom" and query.getlist("account") == [
        str(accounts["instagram"].pk)
    ]
    document = report_build(template=template, today=TODAY)
    assert (document.period_start, document.period_end) == (D(2026, 10, 1), D(2026, 10, 15))
    assert document.scope_lines == ["Accounts: Acme IG"]
    assert list(document.data_freshness) == [str(accounts["instagram"].pk)]


def test_summary_cards_match_hand_sums(
    workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    template = template_with(workspace, [{"type": "summary", "kpis": ["reach"]}])
    document = report_build(template=template, today=TODAY)
    summary = section(document, "summary")
    card = summary.context["cards"][0]
    assert card["display"] == "2,250"  # 1,500 + 750 in October; the stranger's 987,654 is not
    assert card["change"] == "+50.0%"  # against 1,000 + 500 in September
    frame = summary.tables[0].frame
    assert frame.iloc[0]["Value"] == 2250 and frame.iloc[0]["Comparison"] == 1500
    assert document.kpi_versions == {"reach": 1}


def test_kpi_chart_by_platform_has_a_trend_and_a_breakdown(
    workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    template = template_with(workspace, [{"type": "kpi_chart", "kpi": "reach", "by": "platform"}])
    chart = section(report_build(template=template, today=TODAY), "kpi_chart")
    assert chart.title == "Reach by platform"
    assert len(chart.figures) == 2
    values = dict(
        zip(chart.tables[0].frame.iloc[:, 0], chart.tables[0].frame["Reach"], strict=True)
    )
    assert values == {"Instagram": 1500, "Facebook": 750}
    assert "2,250 over the period" in chart.lines[0]


def test_account_kpi_by_format_falls_back_to_platform_with_a_note(
    workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    template = template_with(workspace, [{"type": "kpi_chart", "kpi": "reach", "by": "format"}])
    chart = section(report_build(template=template, today=TODAY), "kpi_chart")
    assert chart.title == "Reach by platform"
    assert "cannot be split by format" in chart.context["note"]


def test_posts_section_ranks_by_the_chosen_metric(
    workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    template = template_with(
        workspace, [{"type": "posts", "metric": "engagements", "top": 2, "bottom": 1}]
    )
    posts = section(report_build(template=template, today=TODAY), "posts")
    assert [row["value"] for row in posts.context["top"]] == [40, 25]
    assert [row["value"] for row in posts.context["bottom"]] == [10]
    assert len(posts.tables[0].frame) == 3


def test_goals_section_lists_goals_overlapping_the_period(
    workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    goal_create(
        workspace=workspace,
        kpi=kpi_get(workspace=workspace, key="reach"),
        account=None,
        name="October reach",
        period_kind="month",
        start=D(2026, 10, 1),
        end=D(2026, 10, 31),
        target=2000,
    )
    goals = section(
        report_build(template=template_with(workspace, [{"type": "goals"}]), today=TODAY), "goals"
    )
    [row] = goals.context["goals"]
    assert row["name"] == "October reach" and row["status"] == "achieved"
    assert goals.figures


def test_commentary_fills_the_section_and_empty_commentary_is_left_out(
    workspace: Workspace,
) -> None:
    template = template_with(workspace, [{"type": "summary"}, {"type": "commentary", "text": ""}])
    assert [s.type for s in report_build(template=template, today=TODAY).sections] == ["summary"]
    document = report_build(template=template, today=TODAY, commentary="Great <b>month</b>")
    assert section(document, "commentary").notes == "Great <b>month</b>"


def test_data_notes_list_every_kpi_used_and_coverage(
    workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    template = template_with(
        workspace,
        [
            {"type": "data_notes"},
            {"type": "kpi_chart", "kpi": "engagements", "by": "account"},
        ],
    )
    notes = section(report_build(template=template, today=TODAY), "data_notes")
    assert [d["name"] for d in notes.context["definitions"]] == ["Engagements"]
    # October: Acme IG has facts on 2 days, Acme FB on 1; both are listed with their gaps.
    days = {row["account"]: row["days"] for row in notes.context["incomplete"]}
    assert days == {"Acme FB": 1, "Acme IG": 2} and notes.context["complete"] == 0
    coverage = notes.tables[0].frame
    assert dict(zip(coverage["Account"], coverage["Days with data"], strict=True)) == days


def test_french_report_speaks_french(
    workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    template = template_with(workspace, [{"type": "summary", "kpis": ["reach"]}], language="fr")
    document = report_build(template=template, today=TODAY)
    assert document.period_label == "1 octobre 2026 – 31 octobre 2026"
    assert section(document, "summary").title == "Synthèse"


def test_section_options_are_validated() -> None:
    with pytest.raises(ValueError, match="KPI"):
        section_clean({"type": "kpi_chart", "kpi": "nope"}, kpi_keys={"reach"})
    cleaned = section_clean({"type": "posts", "top": "999", "bottom": "x"}, kpi_keys=set())
    assert (cleaned["top"], cleaned["bottom"]) == (200, 3)
    kept = sections_clean(
        [{"type": "cover"}, {"type": "cover"}, {"type": "bogus"}, "junk"], kpi_keys=set()
    )
    assert kept == [{"type": "cover", "title": ""}]


def test_scheduled_run_is_made_once_per_period(
    workspace: Workspace, admin_member: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reporting.report_models import ReportSchedule

    template = workspace.report_templates.get(key="monthly")
    schedule = ReportSchedule.objects.create(
        workspace=workspace, template=template, frequency="monthly", send_time=dt.time(8)
    )
    first, created = report_run_create(
        template=template, fmt=ReportFormat.PDF, schedule=schedule, today=TODAY
    )
    again, created_again = report_run_create(
        template=template, fmt=ReportFormat.PDF, schedule=schedule, today=TODAY
    )
    assert created and not created_again and first.pk == again.pk
    assert (first.period_start, first.period_end) == (D(2026, 10, 1), D(2026, 10, 31))


def test_run_render_archives_the_file_and_what_it_used(
    workspace: Workspace, accounts: dict[str, SocialAccount], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        services,
        "report_file_render",
        lambda *, document, fmt, charts: services.RenderedFile(
            f"{document.title}|{document.period_label}".encode(), "text/plain", "r.pdf"
        ),
    )
    monkeypatch.setattr(services, "ChartRenderer", nullcontext)  # no chart is drawn here
    template = template_with(workspace, [{"type": "summary", "kpis": ["reach"]}])
    run, _created = report_run_create(template=template, fmt=ReportFormat.PDF, today=TODAY)
    template.name = "Renamed later"
    template.sections = []
    template.save()
    run = report_run_render(run=run)
    assert run.status == RunStatus.READY and run.progress == 100
    assert run.file.read() == b"Board pack|1 October 2026 \xe2\x80\x93 31 October 2026"
    assert len(run.file_sha256) == 64 and run.file_size > 0
    assert run.kpi_versions == {"reach": 1}
    assert set(run.data_freshness) == {str(a.pk) for a in accounts.values()}
    assert run.rendered_at is not None and run.rendered_at <= timezone.now()
    # The stored name may carry a storage suffix; downloads and e-mails use the clean one.
    assert services.run_filename(run) == "board-pack-2026-10-01-2026-10-31.pdf"
    assert services.run_filename(run, data=True) == "board-pack-2026-10-01-2026-10-31-data.xlsx"


def test_failed_render_is_recorded_and_keeps_nothing_half_written(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(**kwargs: Any) -> Any:
        raise RuntimeError("Chromium went away")

    monkeypatch.setattr(services, "report_build", explode)
    template = workspace.report_templates.get(key="weekly")
    run, _created = report_run_create(template=template, fmt=ReportFormat.PDF, today=TODAY)
    run = report_run_render(run=run)
    stored = ReportRun.objects.get(pk=run.pk)
    assert stored.status == RunStatus.FAILED and "Chromium went away" in stored.error
    assert not stored.file


def test_a_scope_that_no_longer_exists_fails_rather_than_widens(
    workspace: Workspace, other_workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    from dashboards.reports.build import ReportScopeError

    stranger = SocialAccount.objects.get(workspace=other_workspace)
    for scope in ({"account_ids": [stranger.pk]}, {"platforms": ["tiktok"]}, {"tags": ["gone"]}):
        template = template_with(workspace, [{"type": "summary"}], **scope)
        with pytest.raises(ReportScopeError, match="no longer exist"):
            report_build(template=template, today=TODAY)
        template.delete()
    # A run of such a template fails with the reason, and nothing of the workspace is sent.
    template = template_with(workspace, [], account_ids=[accounts["instagram"].pk])
    run, _created = report_run_create(template=template, fmt=ReportFormat.CSV, today=TODAY)
    accounts["instagram"].delete()
    run = report_run_render(run=run)
    assert run.status == RunStatus.FAILED and "no longer exist" in run.error and not run.file


def test_accounts_left_out_are_grouped_by_reason_on_paper(
    workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    for number in range(6):
        linkedin = SocialAccountFactory(
            workspace=workspace, platform=Platform.LINKEDIN, display_name=f"LI {number}"
        )
        AccountMetricFactory(account=linkedin, day=D(2026, 10, 3), metric="impressions", value=9)
    template = template_with(
        workspace, [{"type": "summary", "kpis": ["reach", "impressions"]}, {"type": "data_notes"}]
    )
    notes = section(report_build(template=template, today=TODAY), "data_notes")
    [row] = [r for r in notes.context["left_out"] if r["reason"].startswith("LinkedIn")]
    assert row["kpis"] == "Reach" and row["more"] == 2
    assert row["accounts"] == ", ".join(f"LI {n} (LinkedIn)" for n in range(4))
    pairs = next(t.frame for t in notes.tables if t.name == "Left out of a KPI")
    assert (pairs["Why"].str.startswith("LinkedIn")).sum() == 6  # the export keeps every pair


def test_two_reports_of_the_same_period_keep_their_own_cover(
    workspace: Workspace, accounts: dict[str, SocialAccount]
) -> None:
    # Sections are cached by period, scope and options: the cover's title is the report's own.
    monthly = template_with(workspace, [{"type": "cover"}, {"type": "summary"}])
    client = ReportTemplate.objects.create(
        workspace=workspace, key="c", name="Client pack", sections=monthly.sections
    )
    assert section(report_build(template=monthly, today=TODAY), "cover").title == "Board pack"
    assert section(report_build(template=client, today=TODAY), "cover").title == "Client pack"
