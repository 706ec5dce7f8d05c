"""Forms of the Members page and the audit log's filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from connectors.audit import AUDIT_GROUPS
from connectors.models import Role, User


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AuditFilterForm(forms.Form):
    group = forms.ChoiceField(label=_("What"), required=False)
    user = forms.TypedChoiceField(label=_("Who"), required=False, coerce=int, empty_value=None)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, users: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        group = self.fields["group"]
        user = self.fields["user"]
        assert isinstance(group, forms.ChoiceField) and isinstance(user, forms.ChoiceField)
        group.choices = [("", _("Every action")), *AUDIT_GROUPS.items()]
        user.choices = [
            ("", _("Everyone")),
            *((user.pk, user.get_username()) for user in users),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: dt.date | None = cleaned.get("start")
        end: dt.date | None = cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The last day is before the first."))
        return cleaned
