"""Who sees what of a run (drafts and recipients are for managers), and runs whose worker died."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connectors.models import Role, User, Workspace
from dashboards.reports import services
from dashboards.reports.delivery import report_runs_recover
from reporting.report_models import (
    DeliveryStatus,
    ReportDelivery,
    ReportFormat,
    ReportRun,
    RunStatus,
)

PDF = b"%PDF-1.7\ndraft\n%%EOF"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def run_with(workspace: Workspace, status: str) -> ReportRun:
    run = ReportRun(
        workspace=workspace,
        title="October report",
        template_snapshot={"sections": [{"type": "summary"}]},
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
        language="en",
        format=ReportFormat.PDF,
        status=status,
    )
    run.file.save("october.pdf", ContentFile(PDF), save=False)
    run.save()
    ReportDelivery.objects.create(run=run, email="ceo@client.example", status=DeliveryStatus.SENT)
    return run


def page(run: ReportRun, name: str = "run") -> str:
    return reverse(f"reports:{name}", kwargs={"workspace_slug": "acme", "run_id": run.pk})


@pytest.mark.parametrize(
    ("status", "viewer_may_download"),
    [
        (RunStatus.AWAITING_REVIEW, False),
        (RunStatus.SENDING, False),
        (RunStatus.SENT, True),
        (RunStatus.READY, True),
    ],
)
def test_a_draft_is_for_managers_until_approved(
    client: Client,
    workspace: Workspace,
    member_factory: Callable[..., User],
    status: str,
    viewer_may_download: bool,
) -> None:
    run = run_with(workspace, status)
    client.force_login(member_factory(workspace, Role.VIEWER))
    assert client.get(page(run, "download")).status_code == (200 if viewer_may_download else 403)
    client.force_login(member_factory(workspace, Role.MANAGER))
    assert client.get(page(run, "download")).status_code == 200


def test_recipients_are_listed_to_managers_only(
    client: Client, workspace: Workspace, member_factory: Callable[..., User]
) -> None:
    run = run_with(workspace, RunStatus.SENT)
    client.force_login(member_factory(workspace, Role.VIEWER))
    assert "ceo@client.example" not in client.get(page(run)).content.decode()
    client.force_login(member_factory(workspace, Role.MANAGER))
    assert "ceo@client.example" in client.get(page(run)).content.decode()


def test_a_run_whose_worker_died_is_made_again(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(services, "ChartRenderer", nullcontext)
    monkeypatch.setattr(
        services,
        "report_file_render",
        lambda *, document, fmt, charts=None: services.RenderedFile(PDF, "application/pdf", "r"),
    )
    template = workspace.report_templates.get(key="weekly")
    run, _created = services.report_run_create(
        template=template, fmt=ReportFormat.PDF, today=dt.date(2026, 11, 25)
    )
    long_ago = timezone.now() - dt.timedelta(hours=2)
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.RENDERING, claimed_at=long_ago)
    # A run rendering right now is left alone.
    busy, _created = services.report_run_create(template=template, fmt=ReportFormat.PDF)
    ReportRun.objects.filter(pk=busy.pk).update(
        status=RunStatus.RENDERING, claimed_at=timezone.now()
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert report_runs_recover(now=timezone.now()) == 1

    run.refresh_from_db()
    busy.refresh_from_db()
    assert run.status == RunStatus.READY and run.file.read() == PDF
    assert busy.status == RunStatus.RENDERING
