"""The limits on one report render: time, memory (the process and its Chromium), pages.

A render past a limit ends FAILED with a message that names the limit; the process goes on and
the next render is unaffected.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from connectors.models import Workspace
from dashboards.reports import render_pdf, services, sharing, tasks
from dashboards.reports.build import report_build
from dashboards.reports.limits import (
    RenderLimitExceeded,
    descendants,
    render_limits,
    tree_memory_mb,
)
from dashboards.reports.services import report_run_create, report_run_render
from dashboards.reports.sharing import share_link_create
from reporting.report_models import (
    ReportFormat,
    ReportRun,
    ReportTemplate,
    RunStatus,
    ShareKind,
)
from tests.factories import AccountMetricFactory, SocialAccountFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 25)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def template(workspace: Workspace) -> ReportTemplate:
    account = SocialAccountFactory.create(workspace=workspace, display_name="Acme IG")
    for day in range(1, 31):
        AccountMetricFactory.create(
            account=account, day=dt.date(2026, 10, day), metric="reach", value=100 + day
        )
    return ReportTemplate.objects.create(
        workspace=workspace,
        key="limits",
        name="Limits",
        sections=[
            {"type": "cover"},
            {"type": "summary", "kpis": ["reach"]},
            {"type": "kpi_chart", "kpi": "reach", "by": "platform"},
        ],
    )


def new_run(template: ReportTemplate, fmt: str = ReportFormat.XLSX) -> ReportRun:
    run, _created = report_run_create(template=template, fmt=fmt, today=TODAY)
    return run


def busy(seconds: float) -> None:
    """Pure-Python work, like WeasyPrint laying out pages."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        sum(range(1000))


def test_a_render_past_the_time_limit_fails_with_a_clear_message_and_the_next_one_works(
    template: ReportTemplate, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.REPORT_RENDER_TIMEOUT = 1
    real = services.report_file_render

    def slow(**kwargs: Any) -> services.RenderedFile:
        busy(30)
        raise AssertionError("the render was not stopped")

    monkeypatch.setattr(services, "report_file_render", slow)
    started = time.monotonic()
    run = report_run_render(run=new_run(template))

    assert time.monotonic() - started < 10
    assert run.status == RunStatus.FAILED
    stored = ReportRun.objects.get(pk=run.pk)
    assert stored.status == RunStatus.FAILED and not stored.file
    assert "took longer than the limit of 1 s (RAPPORT_REPORT_RENDER_TIMEOUT)" in stored.error

    # The same process renders the next run, through the task, within the default limit.
    settings.REPORT_RENDER_TIMEOUT = 600
    monkeypatch.setattr(services, "report_file_render", real)
    again = new_run(template)
    assert tasks.run_render(again.pk) == RunStatus.READY
    busy(0.6)  # nothing posted by the first watchdog lands later
    assert ReportRun.objects.get(pk=again.pk).file


def test_a_render_past_the_memory_limit_fails_with_a_clear_message(
    template: ReportTemplate, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = int(tree_memory_mb(os.getpid())) + 150
    settings.REPORT_RENDER_MAX_MEMORY_MB = limit
    held: list[bytearray] = []

    def greedy(**kwargs: Any) -> services.RenderedFile:
        # 10 MB every 50 ms, written so that the pages are really resident; stops at 1.2 GB
        # should the watchdog fail, so that a broken limit does not eat the machine.
        for _ in range(120):
            held.append(bytearray(b"x" * (10 * 1024 * 1024)))
            time.sleep(0.05)
        raise AssertionError("the render was not stopped")

    monkeypatch.setattr(services, "report_file_render", greedy)
    run = report_run_render(run=new_run(template))

    assert run.status == RunStatus.FAILED
    assert f"needed more than {limit} MB of memory" in run.error
    assert "RAPPORT_REPORT_RENDER_MAX_MEMORY_MB" in run.error
    assert len(held) < 60  # stopped near the limit, not at the safety stop
    held.clear()


def test_the_memory_limit_counts_chromium_and_stops_it_and_a_normal_pdf_is_unaffected(
    template: ReportTemplate, settings: Any
) -> None:
    before = descendants(os.getpid())
    # Chromium alone needs far more than 40 MB on top of this process.
    settings.REPORT_RENDER_MAX_MEMORY_MB = int(tree_memory_mb(os.getpid())) + 40
    run = report_run_render(run=new_run(template, ReportFormat.PDF))

    assert run.status == RunStatus.FAILED, run.error
    assert "RAPPORT_REPORT_RENDER_MAX_MEMORY_MB" in run.error
    deadline = time.monotonic() + 10
    while descendants(os.getpid()) - before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not descendants(os.getpid()) - before  # no Chromium left behind

    settings.REPORT_RENDER_MAX_MEMORY_MB = 4096
    done = report_run_render(run=new_run(template, ReportFormat.PDF))
    assert done.status == RunStatus.READY, done.error
    assert done.file.read(5) == b"%PDF-"


def test_the_tasks_own_time_limit_also_fails_the_run_clearly(
    template: ReportTemplate, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stuck(**kwargs: Any) -> Any:
        raise SoftTimeLimitExceeded()

    settings.REPORT_RENDER_TIMEOUT = 900
    monkeypatch.setattr(services, "report_build", stuck)
    run = report_run_render(run=new_run(template))

    assert run.status == RunStatus.FAILED
    assert "took longer than the limit of 15 min" in run.error


def test_the_task_limits_sit_above_the_render_timeout_and_below_the_visibility_timeout() -> None:
    soft, hard = tasks.run_render.soft_time_limit, tasks.run_render.time_limit
    assert soft is not None and hard is not None
    assert django_settings.REPORT_RENDER_TIMEOUT < soft < hard
    assert hard < django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


def test_a_pdf_past_the_page_limit_is_refused_with_a_clear_message(
    template: ReportTemplate, monkeypatch: pytest.MonkeyPatch
) -> None:
    template.sections = [{"type": "cover"}, {"type": "commentary", "text": "Long\n\n" * 50}]
    template.save()
    document = report_build(template=template, today=TODAY)
    monkeypatch.setattr(render_pdf, "MAX_PAGES", 1)

    with pytest.raises(render_pdf.ReportRenderError, match=r"would have \d+ pages; .* at most 1"):
        render_pdf.pdf_render(document, charts=None)


def test_the_watchdog_stops_pure_python_work_and_leaves_nothing_behind() -> None:
    started = time.monotonic()
    with pytest.raises(RenderLimitExceeded) as caught, render_limits(timeout=1, max_memory_mb=0):
        busy(30)
    assert time.monotonic() - started < 5
    assert "RAPPORT_REPORT_RENDER_TIMEOUT" in caught.value.message

    with render_limits(timeout=1, max_memory_mb=0):
        busy(0.5)
    busy(1.5)  # past the timeout of the block that ended: nothing is raised here


def test_a_live_pdf_of_a_public_link_past_the_limit_is_a_503_with_a_message(
    template: ReportTemplate, settings: Any, monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    settings.REPORT_RENDER_TIMEOUT = 1

    def slow(**kwargs: Any) -> services.RenderedFile:
        busy(30)
        raise AssertionError("the render was not stopped")

    monkeypatch.setattr(sharing, "report_file_render", slow)
    _link, token = share_link_create(
        workspace=template.workspace, kind=ShareKind.TEMPLATE, template=template
    )
    response = client.get(reverse("share:pdf", args=[token]))

    assert response.status_code == 503
    assert "too large to be made as a PDF now" in response.content.decode()


def test_the_render_command_is_held_to_the_limits_too(
    template: ReportTemplate, settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from dashboards.management.commands import render_report

    def slow(**kwargs: Any) -> services.RenderedFile:
        busy(30)
        raise AssertionError("the render was not stopped")

    settings.REPORT_RENDER_TIMEOUT = 1
    monkeypatch.setattr(render_report, "report_file_render", slow)
    target = tmp_path / "report.xlsx"
    with pytest.raises(CommandError, match="took longer than the limit of 1 s"):
        call_command(
            "render_report",
            f"--workspace={template.workspace.slug}",
            f"--template={template.key}",
            "--format=xlsx",
            f"--out={target}",
        )
    assert not target.exists()
