"""The report schedule form: when to send which template, to whom, and how."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from connectors.models import Role, User, Workspace
from dashboards.forms_alerts import MemberChoiceField
from reporting.report_models import (
    ReportSchedule,
    ReportTemplate,
    RollingPeriod,
    ScheduleFrequency,
)

MAX_EMAILS = 50

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
# 1–28 only: every month has these days, so a schedule never skips February.
DAYS = [(day, str(day)) for day in range(1, 29)]


class EmailLinesField(forms.CharField):
    """Email addresses, one per line (commas and semicolons also separate them)."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = str(super().to_python(value) or "")
        for separator in ",;":
            text = text.replace(separator, "\n")
        addresses: list[str] = []
        seen: set[str] = set()
        wrong: list[str] = []
        for line in text.splitlines():
            address = line.strip()
            if not address or address.lower() in seen:
                continue
            try:
                validate_email(address)
            except ValidationError:
                wrong.append(address)
                continue
            seen.add(address.lower())
            addresses.append(address)
        if wrong:
            raise ValidationError(
                _("Not an email address: %(addresses)s"),
                code="invalid",
                params={"addresses": ", ".join(wrong[:5])},
            )
        if len(addresses) > MAX_EMAILS:
            raise ValidationError(
                _("At most %(count)s addresses."), code="too_many", params={"count": MAX_EMAILS}
            )
        return addresses


class MemberField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name() or obj.get_username()
        return f"{name} <{obj.email}>" if obj.email else str(name)


# Report periods that stay the same across two sends of a frequency (fixed dates never move).
TOO_LONG: dict[str, tuple[str, ...]] = {
    ScheduleFrequency.WEEKLY: (
        RollingPeriod.LAST_MONTH,
        RollingPeriod.LAST_QUARTER,
        RollingPeriod.FIXED,
    ),
    ScheduleFrequency.MONTHLY: (RollingPeriod.LAST_QUARTER, RollingPeriod.FIXED),
    ScheduleFrequency.QUARTERLY: (RollingPeriod.FIXED,),
}


class ReportScheduleForm(forms.ModelForm):
    weekday = forms.TypedChoiceField(
        label=_("Day of the week"), choices=WEEKDAYS, coerce=int, initial=0
    )
    day_of_month = forms.TypedChoiceField(
        label=_("Day of the month"),
        choices=DAYS,
        coerce=int,
        initial=1,
        help_text=_("For a quarterly report, the day in January, April, July and October."),
    )
    recipient_users = MemberChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Members"),
        help_text=_("Someone who leaves the workspace stops receiving it."),
    )
    recipient_emails = EmailLinesField(
        label=_("Other email addresses"),
        required=False,
        help_text=_("One per line: clients, colleagues without an account."),
    )
    reviewer = MemberField(
        queryset=User.objects.none(),
        required=False,
        label=_("Reviewer"),
        empty_label=_("The author of the schedule"),
        help_text=_("A manager or admin who approves each report before it is sent."),
    )

    class Meta:
        model = ReportSchedule
        fields = [
            "template",
            "frequency",
            "weekday",
            "day_of_month",
            "send_time",
            "recipient_users",
            "recipient_emails",
            "review_required",
            "reviewer",
            "skip_when_empty",
            "attach_pdf",
            "attach_xlsx",
            "include_link",
            "is_active",
        ]
        widgets = {
            "send_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        labels = {"template": _("Report")}

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        template = self.fields["template"]
        assert isinstance(template, forms.ModelChoiceField)
        template.queryset = ReportTemplate.objects.filter(workspace=workspace).order_by("name")
        members = User.objects.filter(memberships__workspace=workspace, is_active=True).exclude(
            email=""
        )
        recipients = self.fields["recipient_users"]
        assert isinstance(recipients, forms.ModelMultipleChoiceField)
        recipients.queryset = members.order_by("username")
        reviewer = self.fields["reviewer"]
        assert isinstance(reviewer, MemberField)
        reviewer.queryset = (
            User.objects.filter(
                is_active=True,
                memberships__workspace=workspace,
                memberships__role__in=[Role.ADMIN, Role.MANAGER],
            )
            .exclude(email="")
            .order_by("username")
        )
        self.fields["send_time"].help_text = _("In the workspace's timezone (%(tz)s).") % {
            "tz": workspace.timezone
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("recipient_users") and not cleaned.get("recipient_emails"):
            self.add_error(
                None,
                ValidationError(
                    _("Choose at least one member or type one email address."),
                    code="no_recipient",
                ),
            )
        if not (
            cleaned.get("attach_pdf") or cleaned.get("attach_xlsx") or cleaned.get("include_link")
        ):
            self.add_error(
                None,
                ValidationError(
                    _("Attach the PDF or the data, or include a link: the email needs the report."),
                    code="empty_email",
                ),
            )
        template, frequency = cleaned.get("template"), cleaned.get("frequency")
        if template is not None and frequency and template.period in TOO_LONG.get(frequency, ()):
            # A run is unique per schedule and report period: the same period again would
            # send nothing, and the recipients would wonder where their report went.
            self.add_error(
                "template",
                ValidationError(
                    _(
                        "This report covers “%(period)s”, which does not change between two "
                        "%(frequency)s sends: only the first would go out. Choose a report "
                        "whose period is as short as the schedule's, or another frequency."
                    )
                    % {
                        "period": template.get_period_display(),
                        "frequency": ScheduleFrequency(frequency).label.lower(),
                    },
                    code="period_too_long",
                ),
            )
        return cleaned

    def save(self, commit: bool = True) -> ReportSchedule:
        schedule: ReportSchedule = super().save(commit=False)
        schedule.workspace = self.workspace
        if not schedule.review_required:
            schedule.reviewer = None
        if commit:
            schedule.save()
            self.save_m2m()
        return schedule
