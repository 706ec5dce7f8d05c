"""Forms of the goal and KPI pages. They validate input and hand clean values to the services
(``reporting.goals.services``, ``reporting.kpis.services``); they never save by themselves."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from connectors.models import SocialAccount, Workspace
from reporting.formula import FormulaError, parse
from reporting.goals.periods import goal_period_bounds, goal_period_kind
from reporting.kpis.selectors import kpi_list
from reporting.models import (
    KpiAggregation,
    KpiDefinition,
    KpiDirection,
    KpiUnit,
    validate_formula,
)

# Quick choices: the calendar period containing today, or the next one; "custom" uses the dates.
QUICK_PERIODS = [
    ("this_month", _("This month")),
    ("this_quarter", _("This quarter")),
    ("this_year", _("This year")),
    ("next_month", _("Next month")),
    ("next_quarter", _("Next quarter")),
    ("next_year", _("Next year")),
    ("custom", _("Custom dates (below)")),
]


def quick_period_bounds(choice: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The dates a quick choice such as ``this_quarter`` or ``next_month`` stands for."""
    when, kind = choice.split("_", 1)
    start, end = goal_period_bounds(kind, today)
    if when == "next":
        start, end = goal_period_bounds(kind, end + dt.timedelta(days=1))
    return start, end


class _KpiChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.key})"


class GoalForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kpi = _KpiChoice(label=_("KPI"), queryset=KpiDefinition.objects.none())
    account = forms.ModelChoiceField(
        label=_("Account"),
        queryset=SocialAccount.objects.none(),
        required=False,
        empty_label=_("Whole workspace"),
    )
    period = forms.ChoiceField(label=_("Period"), choices=QUICK_PERIODS, initial="this_month")
    start = forms.DateField(
        label=_("First day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    target = forms.FloatField(
        label=_("Target"),
        help_text=_(
            "In the KPI's unit. For a percentage, type the percentage: 4.5 for 4.5%. For a "
            "lower-is-better KPI, the value not to exceed."
        ),
    )

    def __init__(self, *args: Any, workspace: Workspace, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        kpi_field = self.fields["kpi"]
        assert isinstance(kpi_field, forms.ModelChoiceField)
        kpi_field.queryset = kpi_list(workspace=workspace)
        account_field = self.fields["account"]
        assert isinstance(account_field, forms.ModelChoiceField)
        account_field.queryset = SocialAccount.objects.filter(workspace=workspace).order_by(
            "platform", "display_name"
        )

    @staticmethod
    def initial_for(goal: Any) -> dict[str, Any]:
        """The form's initial values for an existing goal (percent targets shown as %)."""
        percent = goal.kpi.unit == KpiUnit.PERCENT
        return {
            "name": goal.name,
            "kpi": goal.kpi,
            "account": goal.account,
            "period": "custom",
            "start": goal.start,
            "end": goal.end,
            "target": round(goal.target * 100, 6) if percent else goal.target,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        period = data.get("period")
        if period and period != "custom":
            data["start"], data["end"] = quick_period_bounds(period, self.today)
        elif period == "custom":
            for name in ("start", "end"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Give the first and last day of a custom period."))
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The last day must be on or after the first day."))
            data["period_kind"] = goal_period_kind(start, end)
        kpi = data.get("kpi")
        if kpi is not None and data.get("target") is not None and kpi.unit == KpiUnit.PERCENT:
            data["target"] = data["target"] / 100
        return data


class KpiForm(forms.Form):
    key = forms.SlugField(
        label=_("Key"),
        max_length=60,
        help_text=_("Short identifier used by reports and the command line, such as ctr_video."),
    )
    name_en = forms.CharField(label=_("Name (English)"), max_length=120)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=120)
    description_en = forms.CharField(
        label=_("Definition (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    description_fr = forms.CharField(
        label=_("Definition (French)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    formula = forms.CharField(
        label=_("Formula"),
        max_length=500,
        help_text=_(
            "Arithmetic over metric names, such as (likes + comments + shares) / reach; "
            "functions min, max, abs and coalesce. The glossary lists the metrics."
        ),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=KpiUnit.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=KpiDirection.choices)
    aggregation = forms.ChoiceField(label=_("Aggregation"), choices=KpiAggregation.choices)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # A key is how reports and goals refer to a KPI: it does not change once created.
            del self.fields["key"]

    def clean_formula(self) -> str:
        value: str = self.cleaned_data["formula"]
        validate_formula(value)
        return value

    def formula_metrics(self) -> tuple[str, ...]:
        """The metrics a valid formula uses, for the "check formula" answer."""
        try:
            return parse(self.cleaned_data.get("formula", "")).metrics
        except FormulaError:
            return ()


def form_error_from(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or on the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
