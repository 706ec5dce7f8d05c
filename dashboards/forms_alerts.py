"""The alert rule form: one form class that shows only the fields of the chosen kind."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from connectors.metrics import METRICS
from connectors.models import SocialAccount, User, Workspace
from reporting.alert_models import AlertKind, AlertRule
from reporting.alerts.webhooks import WebhookUrlError, webhook_url_check
from reporting.kpis.selectors import kpi_list

# The fields each kind uses besides name, active and the channels.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    AlertKind.KPI_THRESHOLD: ("kpi", "account", "comparison", "threshold", "window_days"),
    AlertKind.GOAL_OFF_TRACK: (),
    AlertKind.ANOMALY: ("metric", "account", "window_days"),
    AlertKind.DATA_STOPPED: ("account", "stale_days"),
    AlertKind.NEEDS_REAUTH: ("account",),
}
ALL_KIND_FIELDS = (
    "kpi",
    "account",
    "comparison",
    "threshold",
    "window_days",
    "metric",
    "stale_days",
)
REQUIRED: dict[str, tuple[str, ...]] = {
    AlertKind.KPI_THRESHOLD: ("kpi", "threshold"),
    AlertKind.ANOMALY: ("metric",),
}


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name() or obj.get_username()
        return f"{name} <{obj.email}>" if obj.email else str(name)


class AlertRuleForm(forms.ModelForm):
    webhook_url = forms.URLField(
        label=_("Webhook URL"),
        required=False,
        max_length=500,
        assume_scheme="https",
        # A text box styled like the others; the address is checked on the server anyway.
        widget=forms.TextInput(
            attrs={
                "inputmode": "url",
                "spellcheck": "false",
                "autocomplete": "off",
                "placeholder": "https://hooks.slack.com/…",
            }
        ),
        help_text=_(
            "Optional. A Slack, Mattermost or Teams incoming webhook; https only, and not an "
            "address on a private network."
        ),
    )
    recipients = MemberChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Email recipients"),
        help_text=_("Nobody ticked: the workspace's admins."),
    )

    class Meta:
        model = AlertRule
        fields = [
            "name",
            "is_active",
            *ALL_KIND_FIELDS,
            "email_enabled",
            "recipients",
            "webhook_url",
        ]
        widgets = {
            "threshold": forms.NumberInput(attrs={"step": "any"}),
        }
        help_texts = {
            "threshold": _("In the KPI's unit; for a percentage, type 2.5 for 2.5%."),
            "account": _("Leave empty to watch every account of the workspace."),
        }

    def __init__(self, *args: Any, workspace: Workspace, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.kind = kind
        for name in ALL_KIND_FIELDS:
            if name not in KIND_FIELDS[kind]:
                del self.fields[name]
        for name in REQUIRED.get(kind, ()):
            self.fields[name].required = True
        if "kpi" in self.fields:
            kpi_field = self.fields["kpi"]
            assert isinstance(kpi_field, forms.ModelChoiceField)
            kpi_field.queryset = kpi_list(workspace=workspace)
        if "account" in self.fields:
            account_field = self.fields["account"]
            assert isinstance(account_field, forms.ModelChoiceField)
            account_field.queryset = SocialAccount.objects.filter(workspace=workspace)
            account_field.empty_label = str(_("All accounts"))
        if "metric" in self.fields:
            self.fields["metric"] = forms.ChoiceField(
                label=_("Metric"),
                choices=[(key, metric.label) for key, metric in METRICS.items()],
            )
        recipients = self.fields["recipients"]
        assert isinstance(recipients, forms.ModelMultipleChoiceField)
        recipients.queryset = (
            User.objects.filter(memberships__workspace=workspace, is_active=True)
            .exclude(email="")
            .order_by("username")
        )
        # A percentage KPI is stored as a fraction; people type percents.
        instance = self.instance
        if (
            not self.is_bound
            and instance.pk
            and instance.kpi is not None
            and instance.threshold is not None
            and instance.kpi.unit == "percent"
        ):
            self.initial["threshold"] = instance.threshold * 100

    def clean_webhook_url(self) -> str:
        url = str(self.cleaned_data.get("webhook_url") or "").strip()
        if url:
            try:
                webhook_url_check(url)
            except WebhookUrlError as exc:
                raise forms.ValidationError(str(exc), code="webhook_url") from exc
        return url

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kpi = cleaned.get("kpi")
        if kpi is not None and cleaned.get("threshold") is not None and kpi.unit == "percent":
            cleaned["threshold"] = cleaned["threshold"] / 100
        if not cleaned.get("email_enabled") and not cleaned.get("webhook_url"):
            raise forms.ValidationError(
                _("Choose at least one way to be told: email or a webhook."), code="no_channel"
            )
        return cleaned

    def save(self, commit: bool = True) -> AlertRule:
        rule: AlertRule = super().save(commit=False)
        rule.workspace = self.workspace
        rule.kind = self.kind
        if commit:
            rule.save()
            self.save_m2m()
        return rule
