"""The Reports pages: the list, the builder, the preview, generating a file, the run page, the
download and the archive; who may do what, and nothing of another workspace."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from connectors.models import Role, User, Workspace
from reporting.report_models import (
    DeliveryStatus,
    ReportDelivery,
    ReportFormat,
    ReportRun,
    ReportTemplate,
    RunStatus,
)
from tests.factories import AccountMetricFactory, SocialAccountFactory

pytestmark = pytest.mark.django_db

ROLES = [Role.VIEWER, Role.ANALYST, Role.MANAGER, Role.ADMIN]


def url(name: str, *, workspace: str = "acme", **kwargs: Any) -> str:
    return reverse(f"reports:{name}", kwargs={"workspace_slug": workspace, **kwargs})


@pytest.fixture
def manager(workspace: Workspace, member_factory: Callable[..., User]) -> User:
    return member_factory(workspace, Role.MANAGER)


@pytest.fixture
def as_manager(client: Client, manager: User) -> Client:
    client.force_login(manager)
    return client


@pytest.fixture
def monthly(workspace: Workspace) -> ReportTemplate:
    return ReportTemplate.objects.get(workspace=workspace, key="monthly")


@pytest.fixture
def small(workspace: Workspace) -> ReportTemplate:
    return ReportTemplate.objects.create(
        workspace=workspace,
        key="small",
        name="Small report",
        sections=[{"type": "cover"}, {"type": "summary"}, {"type": "data_notes"}],
    )


def make_run(
    template: ReportTemplate, *, status: str = RunStatus.READY, content: bytes = b"%PDF-1.7 x"
) -> ReportRun:
    run = ReportRun.objects.create(
        workspace=template.workspace,
        template=template,
        title=template.name,
        template_snapshot={"sections": template.sections, "period": template.period},
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
        language="en",
        format=ReportFormat.PDF,
        status=status,
    )
    if content:
        run.file.save("run.pdf", ContentFile(content), save=False)
        run.file_size = len(content)
        run.save()
    return run


def sections_post(client: Client, template: ReportTemplate, **data: Any) -> Any:
    return client.post(url("sections", template_id=template.pk), data)


def move(client: Client, template: ReportTemplate, op: str, index: int) -> Any:
    template.refresh_from_db()
    expect = template.sections[index]["type"]
    return sections_post(client, template, op=op, index=index, expect=expect)


@pytest.mark.parametrize("role", ROLES)
def test_every_member_sees_the_reports_and_the_archive(
    client: Client, workspace: Workspace, member_factory: Callable[..., User], role: str
) -> None:
    make_run(ReportTemplate.objects.get(workspace=workspace, key="weekly"))
    client.force_login(member_factory(workspace, role))

    listing = client.get(url("list"))
    archive = client.get(url("archive"))

    assert listing.status_code == 200
    page = listing.content.decode()
    for name in ("Monthly management report", "Weekly team report", "Client report"):
        assert name in page
    manages = role in (Role.MANAGER, Role.ADMIN)
    assert ("New report" in page) is manages
    assert (">Schedules</a>" in page) is manages
    weekly = ReportTemplate.objects.get(workspace=workspace, key="weekly")
    assert (url("edit", template_id=weekly.pk) in page) is manages
    assert archive.status_code == 200
    assert "Weekly team report" in archive.content.decode()


def test_a_viewer_cannot_compose_reports(
    client: Client, viewer: User, monthly: ReportTemplate
) -> None:
    client.force_login(viewer)
    kept = list(monthly.sections)

    responses = [
        client.get(url("new")),
        client.get(url("edit", template_id=monthly.pk)),
        sections_post(client, monthly, op="remove", index=0, expect="cover"),
        client.post(url("duplicate", template_id=monthly.pk)),
        client.post(url("delete", template_id=monthly.pk)),
    ]

    assert [response.status_code for response in responses] == [403] * 5
    monthly.refresh_from_db()
    assert monthly.sections == kept
    assert ReportTemplate.objects.filter(workspace=monthly.workspace).count() == 3


def test_another_workspaces_reports_are_not_found(
    as_manager: Client, other_workspace: Workspace
) -> None:
    theirs = ReportTemplate.objects.get(workspace=other_workspace, key="monthly")
    run = make_run(theirs)
    template_pages = ("edit", "preview", "delete")
    run_pages = ("run", "run_status", "download", "download_data")

    for name in template_pages:
        assert as_manager.get(url(name, template_id=theirs.pk)).status_code == 404, name
    for name in run_pages:
        assert as_manager.get(url(name, run_id=run.pk)).status_code == 404, name
    generate = as_manager.post(url("generate", template_id=theirs.pk), {"format": "pdf"})
    assert generate.status_code == 404
    assert ReportRun.objects.count() == 1


def test_a_new_report_gets_a_unique_key_and_starter_sections(
    as_manager: Client, workspace: Workspace
) -> None:
    data = {"name": "Monthly management report", "period": "last_quarter", "compare": "year"}

    response = as_manager.post(url("new"), data)

    created = ReportTemplate.objects.exclude(key__in=["monthly", "weekly", "client"]).get()
    assert response.status_code == 302
    assert response["Location"] == url("edit", template_id=created.pk) + "#sections"
    assert created.key == "monthly-management-report"
    assert created.workspace == workspace
    assert [section["type"] for section in created.sections] == ["cover", "summary", "data_notes"]
    assert (created.period, created.compare) == ("last_quarter", "year")


def test_builder_adds_moves_edits_and_removes_sections_in_order(
    as_manager: Client, small: ReportTemplate
) -> None:
    added = sections_post(
        as_manager,
        small,
        op="add",
        **{"add-type": "kpi_chart", "add-kpi": "reach", "add-by": "account"},
    )
    assert added.status_code == 302
    sections_post(
        as_manager,
        small,
        op="add",
        position=1,
        **{"add-type": "commentary", "add-title": "Our view", "add-text": "A good month."},
    )
    small.refresh_from_db()
    assert [s["type"] for s in small.sections] == [
        "cover",
        "commentary",
        "summary",
        "data_notes",
        "kpi_chart",
    ]

    move(as_manager, small, "up", 4)  # the chart before the data notes
    move(as_manager, small, "down", 1)  # the commentary after the summary
    small.refresh_from_db()
    assert [s["type"] for s in small.sections] == [
        "cover",
        "summary",
        "commentary",
        "kpi_chart",
        "data_notes",
    ]

    edited = sections_post(
        as_manager,
        small,
        op="update",
        index=3,
        expect="kpi_chart",
        **{"s3-kpi": "engagements", "s3-by": "platform"},
    )
    assert edited.status_code == 302
    move(as_manager, small, "remove", 0)
    small.refresh_from_db()
    assert small.sections == [
        {"type": "summary"},
        {"type": "commentary", "title": "Our view", "text": "A good month."},
        {"type": "kpi_chart", "kpi": "engagements", "by": "platform"},
        {"type": "data_notes"},
    ]
    page = as_manager.get(url("edit", template_id=small.pk)).content.decode()
    assert page.index("Our view") < page.index("Engagements, by platform")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"add-type": "kpi_chart", "add-kpi": ""}, "Choose a KPI of this workspace for the chart."),
        ({"add-type": "kpi_chart", "add-kpi": "no_such_kpi"}, "Select a valid choice."),
        ({"add-type": "posts", "add-top": "500"}, "less than or equal to 200"),
        ({"add-type": "cover"}, "This report already has a section “Cover”."),
        ({}, "This field is required."),
    ],
)
def test_an_invalid_section_is_refused_with_the_error_shown(
    as_manager: Client, small: ReportTemplate, data: dict[str, str], message: str
) -> None:
    kept = list(small.sections)

    response = sections_post(as_manager, small, op="add", **data)

    assert response.status_code == 200
    assert message in response.content.decode()
    small.refresh_from_db()
    assert small.sections == kept


def test_an_invalid_edit_reopens_that_section_with_its_error(
    as_manager: Client, small: ReportTemplate
) -> None:
    small.sections = [*small.sections, {"type": "posts", "metric": "reach", "top": 5, "bottom": 3}]
    small.save()

    response = sections_post(
        as_manager, small, op="update", index=3, expect="posts", **{"s3-top": "0"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "greater than or equal to 1" in page
    assert 'class="section-item__edit" open' in page
    small.refresh_from_db()
    assert small.sections[3]["top"] == 5


def test_a_stale_page_does_not_move_the_wrong_section(
    as_manager: Client, small: ReportTemplate
) -> None:
    kept = list(small.sections)

    response = sections_post(as_manager, small, op="remove", index=0, expect="summary")

    assert response.status_code == 302
    small.refresh_from_db()
    assert small.sections == kept


def test_settings_are_saved_and_a_fixed_period_needs_its_dates(
    as_manager: Client, small: ReportTemplate, workspace: Workspace
) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    base = {"name": "Renamed", "compare": "none", "language": "fr", "account_ids": [account.pk]}

    refused = as_manager.post(url("edit", template_id=small.pk), {**base, "period": "fixed"})
    assert refused.status_code == 200
    assert "Choose the first day of the report." in refused.content.decode()

    saved = as_manager.post(
        url("edit", template_id=small.pk),
        {**base, "period": "fixed", "fixed_start": "2026-01-01", "fixed_end": "2026-03-31"},
    )
    assert saved.status_code == 302
    small.refresh_from_db()
    assert (small.name, small.key, small.language) == ("Renamed", "small", "fr")
    assert (small.fixed_start, small.fixed_end) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert small.account_ids == [account.pk]


def test_an_account_of_another_workspace_cannot_be_chosen(
    as_manager: Client, small: ReportTemplate, other_workspace: Workspace
) -> None:
    theirs = SocialAccountFactory.create(workspace=other_workspace)

    response = as_manager.post(
        url("edit", template_id=small.pk),
        {"name": "x", "period": "last_month", "compare": "previous", "account_ids": [theirs.pk]},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    small.refresh_from_db()
    assert small.account_ids == []


def test_duplicate_and_delete_keep_the_archive(as_manager: Client, monthly: ReportTemplate) -> None:
    run = make_run(monthly)

    as_manager.post(url("duplicate", template_id=monthly.pk))
    copy = ReportTemplate.objects.get(name="Copy of Monthly management report")
    as_manager.post(url("delete", template_id=monthly.pk))

    assert copy.sections == monthly.sections
    assert copy.key == "copy-of-monthly-management-report"
    assert not ReportTemplate.objects.filter(pk=monthly.pk).exists()
    run.refresh_from_db()
    assert run.template is None
    assert as_manager.get(url("run", run_id=run.pk)).status_code == 200


def test_the_preview_shows_the_report_with_its_charts(
    as_manager: Client, small: ReportTemplate, workspace: Workspace
) -> None:
    account = SocialAccountFactory.create(workspace=workspace)
    for day in range(1, 29):
        AccountMetricFactory.create(
            account=account, day=dt.date(2026, 10, day), metric="reach", value=100 + day
        )
    small.sections = [*small.sections, {"type": "kpi_chart", "kpi": "reach", "by": "platform"}]
    small.save()

    response = as_manager.get(
        url("preview", template_id=small.pk), {"start": "2026-10-01", "end": "2026-10-31"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Small report" in page
    assert "1 October 2026 – 31 October 2026" in page
    assert "data-figure=" in page
    assert "vendor/plotly.min.js" in page


def test_a_viewer_generates_a_file_and_downloads_it(
    client: Client,
    viewer: User,
    small: ReportTemplate,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(viewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("generate", template_id=small.pk),
            {"format": "csv", "start": "2026-10-01", "end": "2026-10-31"},
        )

    run = ReportRun.objects.get()
    assert response["Location"] == url("run", run_id=run.pk)
    assert (run.status, run.requested_by, run.period_start) == (
        RunStatus.READY,
        viewer,
        dt.date(2026, 10, 1),
    )
    status = client.get(url("run_status", run_id=run.pk)).json()
    assert status["settled"] and status["download_url"] == url("download", run_id=run.pk)
    download = client.get(status["download_url"])
    assert download["Content-Type"] == "application/zip"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="small-report-2026-10-01-2026-10-31.zip"' in download["Content-Disposition"]
    body = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert zipfile.ZipFile(io.BytesIO(body)).namelist()
    page = client.get(url("run", run_id=run.pk)).content.decode()
    assert run.file_sha256 in page


def test_half_a_period_is_refused(as_manager: Client, small: ReportTemplate) -> None:
    response = as_manager.post(
        url("generate", template_id=small.pk), {"format": "pdf", "start": "2026-10-01"}, follow=True
    )

    assert "Give both dates, or neither." in response.content.decode()
    assert not ReportRun.objects.exists()


def test_run_status_follows_the_run(as_manager: Client, small: ReportTemplate) -> None:
    run = make_run(small, status=RunStatus.RENDERING, content=b"")
    ReportRun.objects.filter(pk=run.pk).update(progress=40, progress_label="Top posts")

    rendering = as_manager.get(url("run_status", run_id=run.pk))
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error="Chromium died")
    failed = as_manager.get(url("run_status", run_id=run.pk)).json()

    assert rendering["Cache-Control"] == "no-store"
    assert json.loads(rendering.content) | {} == {
        "status": "rendering",
        "status_label": "Rendering",
        "progress": 40,
        "label": "Top posts",
        "settled": False,
        "failed": False,
        "error": "",
        "download_url": None,
    }
    assert (failed["settled"], failed["failed"], failed["error"]) == (True, True, "Chromium died")
    assert failed["download_url"] is None
    assert "Chromium died" in as_manager.get(url("run", run_id=run.pk)).content.decode()


def test_a_run_without_a_file_has_nothing_to_download(
    as_manager: Client, small: ReportTemplate
) -> None:
    run = make_run(small, status=RunStatus.QUEUED, content=b"")

    assert as_manager.get(url("download", run_id=run.pk)).status_code == 404
    assert as_manager.get(url("download_data", run_id=run.pk)).status_code == 404


def test_the_run_page_shows_what_was_produced(as_manager: Client, monthly: ReportTemplate) -> None:
    run = make_run(monthly, status=RunStatus.PARTLY_SENT)
    run.commentary = "Reach <b>grew</b>."
    run.kpi_versions = {"reach": 3}
    run.file_sha256 = "ab" * 32
    run.data_freshness = {
        "7": {
            "name": "Acme Insta",
            "platform": "instagram",
            "last_sync": "2026-11-01T06:00:00+00:00",
            "last_day": "2026-10-31",
        }
    }
    run.save()
    ReportDelivery.objects.create(run=run, email="boss@example.com", status=DeliveryStatus.SENT)
    ReportDelivery.objects.create(
        run=run, email="cfo@example.com", status=DeliveryStatus.FAILED, error="550 no such user"
    )

    page = as_manager.get(url("run", run_id=run.pk)).content.decode()

    for text in (
        "1 October 2026 – 31 October 2026",
        "Reach &lt;b&gt;grew&lt;/b&gt;.",
        'Reach <span class="table__handle">reach</span>',
        "Acme Insta",
        "31 Oct 2026",
        "boss@example.com",
        "550 no such user",
        "ab" * 32,
        "Top and bottom posts",
        "Partly sent",
    ):
        assert text in page, text


def test_the_archive_filters_by_report_and_status(
    as_manager: Client, monthly: ReportTemplate, small: ReportTemplate
) -> None:
    make_run(monthly, status=RunStatus.READY)
    make_run(monthly, status=RunStatus.FAILED)
    make_run(small, status=RunStatus.READY)

    def titles(**query: Any) -> list[tuple[str, str]]:
        page = as_manager.get(url("archive"), query).context["page"]
        return [(run.title, run.status) for run in page.object_list]

    assert len(titles()) == 3
    assert titles(template=monthly.pk) == [
        ("Monthly management report", "failed"),
        ("Monthly management report", "ready"),
    ]
    assert titles(template=small.pk, status="ready") == [("Small report", "ready")]
    assert titles(status="sent") == []
    # A filter of another workspace's template or an unknown status is ignored, not applied.
    assert len(titles(template=999999, status="bogus")) == 3
