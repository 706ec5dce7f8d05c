"""The report builder's forms: a template's settings, one section's options, a generate request.

Section options are validated by ``dashboards.reports.sections.section_clean`` (the one place
that knows the section types); the form only adds bounds a person can read next to the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from connectors.models import LANGUAGE_CHOICES, Platform, SocialAccount, Workspace
from dashboards.reports import sections as report_sections
from reporting.kpis.selectors import kpi_list
from reporting.report_models import ReportFormat, ReportTemplate, RollingPeriod
from reporting.tag_services import tag_names

# Limits of a custom period, as the dashboards' own period form allows.
MAX_PERIOD_DAYS = 366 * 5


def kpi_choices(workspace: Workspace) -> list[tuple[str, str]]:
    return [(kpi.key, kpi.name) for kpi in kpi_list(workspace=workspace)]


def template_key(*, workspace: Workspace, name: str, exclude: int | None = None) -> str:
    """A slug of ``name`` not yet used by another template of ``workspace``."""
    base = (slugify(name) or "report")[:50]
    others = ReportTemplate.objects.filter(workspace=workspace)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    taken = set(others.values_list("key", flat=True))
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


class ReportTemplateForm(forms.ModelForm):
    account_ids = forms.TypedMultipleChoiceField(
        label=_("Accounts"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every account of the workspace."),
    )
    platforms = forms.MultipleChoiceField(
        label=_("Platforms"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every platform."),
    )
    tags = forms.MultipleChoiceField(
        label=_("Tags"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Ticked tags narrow the posts and content sections; account figures stay whole."
        ),
    )
    language = forms.ChoiceField(label=_("Language of the report"), required=False)

    class Meta:
        model = ReportTemplate
        fields = [
            "name",
            "description",
            "period",
            "fixed_start",
            "fixed_end",
            "compare",
            "account_ids",
            "platforms",
            "tags",
            "language",
        ]
        widgets = {
            "fixed_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "fixed_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.TextInput(),
        }
        labels = {
            "name": _("Name"),
            "description": _("Description"),
            "period": _("Period"),
            "fixed_start": _("From"),
            "fixed_end": _("To"),
            "compare": _("Compared with"),
        }
        help_texts = {
            "period": _(
                "A rolling period moves forward on its own: “last month” is always the "
                "month before the day the report is made."
            ),
        }

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        accounts = SocialAccount.objects.filter(workspace=workspace).order_by(
            "platform", "display_name", "pk"
        )
        platform_labels = dict(Platform.choices)
        self.account_field.choices = [
            (account.pk, f"{account.display_name} ({platform_labels.get(account.platform, '')})")
            for account in accounts
        ]
        present = sorted({account.platform for account in accounts})
        self.platform_field.choices = [(key, platform_labels.get(key, key)) for key in present]
        tags = tag_names(workspace=workspace)
        # A tag the template names but nobody uses any more stays visible, so it can be unticked.
        for tag in self.instance.tags or []:
            if tag not in tags:
                tags.append(tag)
        self.tag_field.choices = [(tag, f"#{tag}") for tag in tags]
        default = dict(LANGUAGE_CHOICES).get(workspace.language or "en", "English")
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [
            ("", _("Workspace default (%(language)s)") % {"language": default}),
            *LANGUAGE_CHOICES,
        ]

    @property
    def account_field(self) -> forms.TypedMultipleChoiceField:
        field = self.fields["account_ids"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        return field

    @property
    def platform_field(self) -> forms.MultipleChoiceField:
        field = self.fields["platforms"]
        assert isinstance(field, forms.MultipleChoiceField)
        return field

    @property
    def tag_field(self) -> forms.MultipleChoiceField:
        field = self.fields["tags"]
        assert isinstance(field, forms.MultipleChoiceField)
        return field

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("period") == RollingPeriod.FIXED:
            start: dt.date | None = cleaned.get("fixed_start")
            end: dt.date | None = cleaned.get("fixed_end")
            if start is None:
                self.add_error("fixed_start", _("Choose the first day of the report."))
            if end is None:
                self.add_error("fixed_end", _("Choose the last day of the report."))
            if start and end and end < start:
                self.add_error("fixed_end", _("The last day comes before the first."))
            elif start and end and (end - start).days >= MAX_PERIOD_DAYS:
                self.add_error("fixed_end", _("A report covers at most five years."))
        else:
            # Dates kept from an earlier fixed period would only confuse the next edit.
            cleaned["fixed_start"] = cleaned["fixed_end"] = None
        return cleaned

    def save(self, commit: bool = True) -> ReportTemplate:
        template: ReportTemplate = super().save(commit=False)
        template.workspace = self.workspace
        if not template.key:
            template.key = template_key(workspace=self.workspace, name=template.name)
        if commit:
            template.save()
        return template


class SectionForm(forms.Form):
    """One section's type and options; ``section`` is the dict to store, after ``is_valid()``."""

    type = forms.ChoiceField(label=_("Section"))
    title = forms.CharField(label=_("Title"), required=False, max_length=200)
    text = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=report_sections.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    kpi = forms.ChoiceField(label=_("KPI"), required=False)
    by = forms.ChoiceField(label=_("Broken down"), required=False)
    kpis = forms.MultipleChoiceField(
        label=_("KPI cards"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Up to 8; none ticked: the headline KPIs."),
    )
    metric = forms.ChoiceField(label=_("Ranked by"), required=False)
    top = forms.IntegerField(
        label=_("Best posts"), required=False, min_value=1, max_value=report_sections.MAX_POSTS
    )
    bottom = forms.IntegerField(
        label=_("Weakest posts"), required=False, min_value=0, max_value=report_sections.MAX_POSTS
    )
    limit = forms.IntegerField(label=_("At most"), required=False, min_value=1, max_value=20)

    # The fields each type shows, in order; the builder's script hides the others.
    TYPE_FIELDS: dict[str, tuple[str, ...]] = {
        report_sections.COVER: ("title",),
        report_sections.SUMMARY: ("kpis",),
        report_sections.KPI_CHART: ("kpi", "by"),
        report_sections.POSTS: ("metric", "top", "bottom"),
        report_sections.INSIGHTS: ("limit",),
        report_sections.RECOMMENDATIONS: ("limit",),
        report_sections.COMMENTARY: ("title", "text"),
    }

    def __init__(
        self,
        *args: Any,
        workspace: Workspace,
        kpis: list[tuple[str, str]] | None = None,
        fixed_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.kpi_options = kpis if kpis is not None else kpi_choices(workspace)
        self.fixed_type = fixed_type
        # An edit keeps the section's type: only its options are posted.
        self.fields["type"].required = fixed_type is None
        self._set_choices("type", [(k, t.label) for k, t in report_sections.SECTION_TYPES.items()])
        self._set_choices("kpi", [("", _("Choose a KPI")), *self.kpi_options])
        self._set_choices("kpis", self.kpi_options)
        self._set_choices("by", list(report_sections.BREAKDOWNS.items()))
        self._set_choices("metric", list(report_sections.RANK_METRICS.items()))
        self.section: dict[str, Any] = {}

    def _set_choices(self, name: str, choices: list[Any]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    @classmethod
    def initial_for(cls, section: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in section.items() if key in cls.base_fields}

    def type_fields(self, kind: str) -> list[forms.BoundField]:
        return [self[name] for name in self.TYPE_FIELDS.get(kind, ())]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = self.fixed_type or cleaned.get("type")
        if not kind:
            return cleaned
        raw = {key: value for key, value in cleaned.items() if value not in (None, "", [])}
        raw["type"] = kind
        if kind == report_sections.SUMMARY and len(cleaned.get("kpis") or []) > 8:
            self.add_error("kpis", _("Choose at most 8 KPIs."))
            return cleaned
        try:
            self.section = report_sections.section_clean(
                raw, kpi_keys={key for key, _label in self.kpi_options}
            )
        except ValueError as exc:
            # The one option section_clean refuses rather than repairs is the chart's KPI.
            field = "kpi" if kind == report_sections.KPI_CHART else None
            self.add_error(field, str(exc))
        return cleaned


class DatesForm(forms.Form):
    """Other dates than the template's period, for a preview or a render: both or neither."""

    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if bool(start) != bool(end):
            raise forms.ValidationError(_("Give both dates, or neither."), code="half_period")
        if start and end and end < start:
            raise forms.ValidationError(_("The last day comes before the first."), code="order")
        if start and end and (end - start).days >= MAX_PERIOD_DAYS:
            raise forms.ValidationError(_("A report covers at most five years."), code="long")
        return cleaned


class GenerateForm(DatesForm):
    """A request to render a template now, in one format."""

    format = forms.ChoiceField(label=_("Format"), choices=ReportFormat.choices)
