"""Reports pages, scoped to a workspace. Included by config/urls.py under the "reports" namespace.

Schedules (``report_schedules``) and share links (``share``) live under the same
``w/<slug>/reports/`` prefix with words of their own, so no pattern here takes a bare word
after it except ``new/`` and ``runs/``.
"""

from django.urls import path

from dashboards import views_report_runs, views_reports

app_name = "reports"

_W = "w/<slug:workspace_slug>/reports/"
_T = f"{_W}<int:template_id>/"
_R = f"{_W}runs/<int:run_id>/"

urlpatterns = [
    path(_W, views_reports.reports, name="list"),
    path(f"{_W}new/", views_reports.report_new, name="new"),
    path(f"{_T}edit/", views_reports.report_edit, name="edit"),
    path(f"{_T}sections/", views_reports.section_change, name="sections"),
    path(f"{_T}duplicate/", views_reports.report_duplicate, name="duplicate"),
    path(f"{_T}delete/", views_reports.report_delete, name="delete"),
    path(f"{_T}preview/", views_reports.report_preview, name="preview"),
    path(f"{_T}generate/", views_report_runs.report_generate, name="generate"),
    path(f"{_W}runs/", views_report_runs.archive, name="archive"),
    path(_R, views_report_runs.run_detail, name="run"),
    path(f"{_R}status/", views_report_runs.run_status, name="run_status"),
    path(f"{_R}download/", views_report_runs.run_download, name="download"),
    path(f"{_R}data/", views_report_runs.run_download_data, name="download_data"),
]
