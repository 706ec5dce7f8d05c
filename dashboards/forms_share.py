"""The form that makes a share link: what to share, until when, and an optional password."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connectors.models import Workspace
from dashboards.reports.sharing import MAX_QUERY, dashboard_query_clean
from dashboards.scope import filters_from_query
from reporting.report_models import ReportRun, ReportTemplate, RunStatus, ShareKind

NEVER = "never"
ON_DATE = "date"
EXPIRY_CHOICES = [
    ("7", _("In 7 days")),
    ("30", _("In 30 days")),
    ("90", _("In 90 days")),
    (NEVER, _("Never")),
    (ON_DATE, _("At the end of a chosen day")),
]
# A draft awaiting review, a failed or a skipped run has nothing fit to show outside.
SHAREABLE_RUNS = (RunStatus.READY, RunStatus.SENT, RunStatus.PARTLY_SENT)
PASSWORD_MIN = 8


def shareable_runs(workspace: Workspace) -> Any:
    return (
        ReportRun.objects.filter(workspace=workspace, status__in=SHAREABLE_RUNS)
        .exclude(file="")
        .order_by("-created_at", "-pk")
    )


class RunChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ReportRun) -> str:
        return (
            f"{obj.title} · {obj.period_start:%Y-%m-%d} – {obj.period_end:%Y-%m-%d} · "
            f"{obj.get_format_display()}"
        )


class ShareLinkForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What to share"), choices=ShareKind.choices, widget=forms.RadioSelect
    )
    run = RunChoiceField(
        label=_("Report as sent"),
        queryset=ReportRun.objects.none(),
        required=False,
        help_text=_("The archived file, exactly as it was produced."),
    )
    template = forms.ModelChoiceField(
        label=_("Live report"),
        queryset=ReportTemplate.objects.none(),
        required=False,
        help_text=_("Rendered at each visit, its period rolled forward."),
    )
    dashboard_query = forms.CharField(
        label=_("Dashboard filters"),
        required=False,
        max_length=2000,
        help_text=_(
            "The overview's address or its filters, such as ?range=last_month&platform=instagram. "
            "Empty: the whole workspace over the default period."
        ),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    expiry = forms.ChoiceField(
        label=_("Expires"), choices=EXPIRY_CHOICES, initial="30", widget=forms.RadioSelect
    )
    expires_on = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    password = forms.CharField(
        label=_("Password"),
        required=False,
        min_length=PASSWORD_MIN,
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text=_("Optional. At least 8 characters; send it separately from the link."),
    )
    label = forms.CharField(
        label=_("Label"),
        required=False,
        max_length=120,
        help_text=_("For your list only, such as the client's name; the page does not show it."),
    )

    def __init__(
        self, data: QueryDict | None = None, *, workspace: Workspace, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.workspace = workspace
        self.zone = ZoneInfo(workspace.timezone)
        self.fields["run"].queryset = shareable_runs(workspace)  # type: ignore[attr-defined]
        self.fields["template"].queryset = ReportTemplate.objects.filter(  # type: ignore[attr-defined]
            workspace=workspace
        ).order_by("name", "pk")

    def clean_dashboard_query(self) -> str:
        raw = str(self.cleaned_data.get("dashboard_query") or "")
        # A pasted address: keep what follows the "?".
        return dashboard_query_clean(raw.split("?", 1)[1] if "?" in raw else raw)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind == ShareKind.RUN and not cleaned.get("run"):
            self.add_error("run", _("Choose the report to share."))
        elif kind == ShareKind.TEMPLATE and not cleaned.get("template"):
            self.add_error("template", _("Choose the report to share."))
        elif kind == ShareKind.DASHBOARD:
            query = cleaned.get("dashboard_query", "")
            if len(query) > MAX_QUERY:
                self.add_error("dashboard_query", _("These filters are too long to share."))
            else:
                filters = filters_from_query(QueryDict(query), workspace=self.workspace)
                for error in filters.errors:
                    self.add_error("dashboard_query", error)
        if cleaned.get("expiry") == ON_DATE:
            day = cleaned.get("expires_on")
            if day is None:
                self.add_error("expires_on", _("Choose the last day the link works."))
            elif day < timezone.localdate(timezone=self.zone):
                self.add_error("expires_on", _("Choose today or a later day."))
        return cleaned

    def expires_at(self) -> dt.datetime | None:
        """When the link stops working; a chosen day ends at midnight in the workspace's zone."""
        expiry = self.cleaned_data["expiry"]
        if expiry == NEVER:
            return None
        if expiry == ON_DATE:
            next_day = self.cleaned_data["expires_on"] + dt.timedelta(days=1)
            return dt.datetime.combine(next_day, dt.time.min, tzinfo=self.zone)
        return timezone.now() + dt.timedelta(days=int(expiry))
