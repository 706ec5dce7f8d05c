"""Build a ``ReportDocument`` from a template: the period, the scope and every section.

The numbers come from the same code as the dashboards (``dashboards.panels``, the content page's
sections, the goals, insights and recommendations), read with the same ``DashboardFilters``, so a
report and the dashboard for the same period and scope agree. Everything is computed inside
``translation.override(language)``: labels, sentences and number formats are the report's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from connectors.models import AccountMetric, Post, Workspace
from dashboards.reports import build_sections
from dashboards.reports.document import Branding, ReportDocument, ReportSection
from dashboards.reports.periods import report_query
from dashboards.reports.sections import COMMENTARY, COVER, DATA_NOTES, sections_clean
from dashboards.scope import DashboardFilters, filters_from_query
from reporting.kpis.selectors import KpiNotFound, kpi_get
from reporting.report_models import ReportTemplate

Progress = Callable[[int, str], None]


class ReportScopeError(ValueError):
    """The template's scope points at accounts, platforms or tags that are all gone."""


def workspace_today(workspace: Workspace) -> dt.date:
    return timezone.localdate(timezone=ZoneInfo(workspace.timezone))


def period_label(start: dt.date, end: dt.date) -> str:
    """ "1 October 2026 – 31 October 2026" in the active language."""
    if start == end:
        return str(formats.date_format(start, "j F Y"))
    return _("%(start)s – %(end)s") % {
        "start": formats.date_format(start, "j F Y"),
        "end": formats.date_format(end, "j F Y"),
    }


def _branding(workspace: Workspace) -> Branding:
    logo: str | None = None
    if workspace.logo:
        path = Path(settings.MEDIA_ROOT, workspace.logo.name or "").resolve()
        # A logo name is set by the upload field; resolving it must still stay under MEDIA_ROOT.
        if path.is_file() and Path(settings.MEDIA_ROOT).resolve() in path.parents:
            logo = str(path)
    return Branding(
        name=workspace.name,
        color=workspace.primary_color or "#1f4e79",
        footer=workspace.report_footer,
        logo_path=logo,
    )


def _scope_lines(filters: DashboardFilters) -> list[str]:
    lines = []
    if filters.account_ids:
        names = [account.display_name for account in filters.accounts]
        lines.append(_("Accounts: %(names)s") % {"names": ", ".join(names)})
    if filters.platforms:
        labels = [label for key, label in filters.platforms_present if key in filters.platforms]
        lines.append(_("Platforms: %(names)s") % {"names": ", ".join(labels)})
    if filters.tags:
        lines.append(_("Posts tagged: %(names)s") % {"names": ", ".join(filters.tags)})
    return lines


def data_freshness(filters: DashboardFilters) -> dict[str, dict[str, str | None]]:
    """Per account in scope: its name, platform, last successful sync and last day of data."""
    ids = [account.pk for account in filters.accounts]
    last_days = dict(
        AccountMetric.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(last=Max("day"))
        .values_list("account_id", "last")
    )
    return {
        str(account.pk): {
            "name": account.display_name,
            "platform": account.platform,
            "last_sync": account.last_synced_at.isoformat() if account.last_synced_at else None,
            "last_day": last_days[account.pk].isoformat() if account.pk in last_days else None,
        }
        for account in filters.accounts
    }


def _has_data(filters: DashboardFilters) -> bool:
    period, ids = filters.period, [account.pk for account in filters.accounts]
    if AccountMetric.objects.filter(
        account_id__in=ids, day__gte=period.start, day__lte=period.end
    ).exists():
        return True
    return Post.objects.filter(
        account_id__in=ids,
        published_at__date__gte=period.start,
        published_at__date__lte=period.end,
    ).exists()


def _kpi_versions(workspace: Workspace, keys: list[str]) -> dict[str, int]:
    versions = {}
    for key in dict.fromkeys(keys):
        try:
            current = kpi_get(workspace=workspace, key=key).current_version
        except KpiNotFound:
            continue
        if current is not None:
            versions[key] = current.number
    return versions


def report_filters(
    template: ReportTemplate,
    *,
    today: dt.date,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> DashboardFilters:
    """The dashboards' filters for ``template`` made on ``today`` (start/end override)."""
    query = report_query(template, start=start, end=end, today=today)
    return filters_from_query(query, workspace=template.workspace, today=today)


def report_build(
    *,
    template: ReportTemplate,
    today: dt.date | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    language: str | None = None,
    commentary: str = "",
    progress: Progress | None = None,
) -> ReportDocument:
    """The report of ``template`` as made on ``today`` (the workspace's today by default).

    ``start``/``end`` replace the template's period; ``language`` its language; ``commentary``
    (the manager's text for this edition) fills the template's commentary sections, or comes
    after the summary when the template has none. ``progress(percent, label)`` is called as
    sections are computed.
    """
    workspace = template.workspace
    today = today or workspace_today(workspace)
    language = language or template.report_language()
    report = progress or (lambda percent, label: None)
    with override(language):
        filters = report_filters(template, today=today, start=start, end=end)
        if filters.scope_lost:
            raise ReportScopeError(
                _(
                    "The accounts, platforms or tags this report is limited to no longer exist "
                    "in the workspace; edit its scope. It is not made for the whole workspace "
                    "instead."
                )
            )
        kpi_keys = set(workspace.kpis.values_list("key", flat=True))
        specs = sections_clean(list(template.sections), kpi_keys=kpi_keys)
        if commentary and not any(spec["type"] == COMMENTARY for spec in specs):
            at = next((i + 1 for i, s in enumerate(specs) if s["type"] in (COVER, "summary")), 0)
            specs.insert(at, {"type": COMMENTARY, "title": "", "text": ""})
        builder = build_sections.SectionBuilder(
            filters=filters, language=language, title=template.name, commentary=commentary
        )
        built: dict[int, ReportSection | None] = {}
        # Data notes list the KPIs every other section used, so they are built last.
        order = sorted(range(len(specs)), key=lambda i: specs[i]["type"] == DATA_NOTES)
        for step, index in enumerate(order):
            report(int(80 * step / max(len(specs), 1)), builder.label(specs[index]))
            built[index] = builder.build(specs[index], index=index)
        sections = [section for _i, section in sorted(built.items()) if section is not None]
        period = filters.period
        comparison = filters.comparison
        document = ReportDocument(
            title=template.name,
            workspace_name=workspace.name,
            workspace_slug=workspace.slug,
            language=language,
            period_start=period.start,
            period_end=period.end,
            compare_start=comparison.start if comparison else None,
            compare_end=comparison.end if comparison else None,
            period_label=period_label(period.start, period.end),
            compare_label=period_label(comparison.start, comparison.end) if comparison else "",
            scope_lines=_scope_lines(filters),
            generated_at=timezone.now(),
            branding=_branding(workspace),
            sections=sections,
            has_data=_has_data(filters),
            commentary=commentary,
            kpi_versions=_kpi_versions(workspace, builder.kpis_used),
            data_freshness=data_freshness(filters),
        )
    report(80, _("Laying out the report"))
    return document
