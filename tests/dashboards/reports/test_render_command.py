from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from openpyxl import load_workbook
from pptx import Presentation

from connectors.models import Workspace
from dashboards.management.commands.render_report import file_parts
from reporting.report_models import ReportFormat, ReportRun, ReportTemplate

pytestmark = pytest.mark.django_db

WEEK = ("--start=2026-10-19", "--end=2026-10-25")


@pytest.fixture
def demo() -> None:
    # The demo workspace with its three ready templates and 40 days of facts up to 31 October.
    call_command("seed_demo", "--days=40", "--end=2026-10-31", stdout=StringIO())


def render(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("render_report", "--workspace=demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_weekly_template_renders_as_slides_one_per_section(demo: None, tmp_path: Path) -> None:
    target = tmp_path / "weekly.pptx"

    printed, _ = render("--template=weekly", *WEEK, "--format=pptx", f"--out={target}")

    deck = Presentation(str(target))
    template = ReportTemplate.objects.get(workspace__slug="demo", key="weekly")
    titles = [slide.shapes.title.text_frame.text for slide in deck.slides if slide.shapes.title]
    # The weekly template has no cover section: the slides open with one made from its name.
    assert titles[0] == template.name
    # One slide per section, and a "(continued)" one where a section overflows.
    sections = [title for title in titles[1:] if not title.endswith("(continued)")]
    assert len(sections) == len(template.sections)
    assert f"Wrote {target} (" in printed and f"{len(titles)} slides" in printed
    assert "19 October 2026 – 25 October 2026" in printed
    assert not ReportRun.objects.exists()  # a file only: nothing archived


def test_lang_overrides_the_templates_language(demo: None, tmp_path: Path) -> None:
    target = tmp_path / "monthly.xlsx"

    printed, _ = render(
        "--template=monthly",
        "--start=2026-10-01",
        "--end=2026-10-31",
        "--format=xlsx",
        f"--out={target}",
        "--lang=fr",
    )

    book = load_workbook(target)
    report = {row[0].value: row[1].value for row in book.worksheets[0].iter_rows()}
    assert report["Du"] == dt.datetime(2026, 10, 1) and report["Au"] == dt.datetime(2026, 10, 31)
    assert report["Période"] == "1 octobre 2026 – 31 octobre 2026"
    assert len(book.sheetnames) > 3
    assert f"{len(book.sheetnames)} sheets" in printed


@time_machine.travel(dt.datetime(2026, 11, 10, 9, tzinfo=dt.UTC))
def test_without_dates_the_templates_rolling_period_is_used(demo: None, tmp_path: Path) -> None:
    target = tmp_path / "client.zip"

    printed, _ = render("--template=client", "--format=csv", f"--out={target}")

    archive = zipfile.ZipFile(target)
    rows = csv.reader(io.StringIO(archive.read("report.csv").decode("utf-8-sig")))
    report = {row[0]: row[1] for row in rows if len(row) > 1}
    assert (report["From"], report["To"]) == ("2026-10-01", "2026-10-31")  # last month
    assert f"{len(archive.namelist())} files" in printed


def test_a_period_without_data_is_rendered_with_a_warning(demo: None, tmp_path: Path) -> None:
    target = tmp_path / "empty.xlsx"

    printed, warned = render(
        "--template=weekly",
        "--start=2020-01-06",
        "--end=2020-01-12",
        "--format=xlsx",
        f"--out={target}",
    )

    assert target.stat().st_size > 0 and "Wrote" in printed
    assert "No data for 6 January 2020 – 12 January 2020" in warned


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--workspace=nope", "--template=weekly"), "No workspace 'nope'. Workspaces: acme."),
        (
            ("--workspace=acme", "--template=yearly"),
            "No report template 'yearly' in workspace 'acme'. Templates: client, monthly, weekly.",
        ),
        (
            ("--workspace=acme", "--template=weekly", "--start=2026-10-01"),
            "Give --start and --end together, or neither.",
        ),
        (
            ("--workspace=acme", "--template=weekly", "--start=2026-10-31", "--end=2026-10-01"),
            "--start must be on or before --end.",
        ),
        (
            ("--workspace=acme", "--template=weekly", "--start=31/10/2026", "--end=2026-11-01"),
            "--start '31/10/2026' is not a date in the form YYYY-MM-DD.",
        ),
    ],
)
def test_bad_arguments_fail_with_a_clear_message(
    workspace: Workspace, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    target = tmp_path / "report.pdf"

    with pytest.raises(CommandError) as raised:
        call_command("render_report", *args, "--format=pdf", f"--out={target}", stdout=StringIO())

    assert str(raised.value) == message
    assert not target.exists()


def test_a_missing_output_folder_fails_before_rendering(
    workspace: Workspace, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command(
            "render_report",
            "--workspace=acme",
            "--template=weekly",
            "--format=pdf",
            f"--out={tmp_path / 'no' / 'report.pdf'}",
        )


def test_the_page_count_of_a_weasyprint_pdf_is_read_from_its_compressed_page_tree() -> None:
    from weasyprint import HTML

    pages = "".join(f'<p style="break-after: page">{n}</p>' for n in range(3)) + "<p>end</p>"

    assert file_parts(HTML(string=pages).write_pdf(), ReportFormat.PDF) == "4 pages"
    assert file_parts(b"%PDF-1.7 broken", ReportFormat.PDF) == ""
