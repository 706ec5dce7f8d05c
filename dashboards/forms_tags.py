"""Forms of the Tags page. They validate input and hand clean values to
``reporting.tag_services``; they never save by themselves."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from connectors.models import PostFormat, SocialAccount, Workspace
from reporting.models import TagRule, TagRuleKind
from reporting.tag_services import tag_normalise


def _split(text: str) -> list[str]:
    # One value per line or separated by commas: both are natural when pasting a list.
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


class TagField(forms.CharField):
    def clean(self, value: Any) -> str:
        text = super().clean(value)
        return tag_normalise(text) if text else text


class TagRuleForm(forms.Form):
    tag = TagField(
        label=_("Tag"),
        max_length=200,
        help_text=_("Lowercase, with hyphens: “Summer Launch” becomes “summer-launch”."),
    )
    kind = forms.ChoiceField(label=_("Tag posts that have"), choices=TagRuleKind.choices)
    hashtags = forms.CharField(
        label=_("Hashtags"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line or separated by commas, with or without #. Case is ignored."),
    )
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line or separated by commas; whole words, case ignored."),
    )
    formats = forms.MultipleChoiceField(
        label=_("Formats"),
        required=False,
        choices=PostFormat.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    start = forms.DateField(
        label=_("First day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Last day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @staticmethod
    def initial_for(rule: TagRule) -> dict[str, Any]:
        values = [str(v) for v in rule.values]
        initial: dict[str, Any] = {"tag": rule.tag, "kind": rule.kind, "active": rule.active}
        if rule.kind == TagRuleKind.HASHTAG:
            initial["hashtags"] = "\n".join(f"#{v}" for v in values)
        elif rule.kind == TagRuleKind.KEYWORD:
            initial["keywords"] = "\n".join(values)
        elif rule.kind == TagRuleKind.FORMAT:
            initial["formats"] = values
        elif rule.kind == TagRuleKind.DATE_RANGE and len(values) == 2:
            initial["start"], initial["end"] = values
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        values: list[str] = []
        if kind == TagRuleKind.HASHTAG:
            values = _split(data.get("hashtags", ""))
            field = "hashtags"
        elif kind == TagRuleKind.KEYWORD:
            values = _split(data.get("keywords", ""))
            field = "keywords"
        elif kind == TagRuleKind.FORMAT:
            values = list(data.get("formats") or [])
            field = "formats"
        elif kind == TagRuleKind.DATE_RANGE:
            start, end = data.get("start"), data.get("end")
            field = "end"
            if start is None or end is None:
                self.add_error("start", _("Give the first and the last day."))
                return data
            if start > end:
                self.add_error("end", _("The last day comes before the first day."))
                return data
            values = [start.isoformat(), end.isoformat()]
        else:
            return data
        if not values:
            self.add_error(field, _("Give at least one value for this kind of rule."))
        data["values"] = values
        return data


class PostFilterForm(forms.Form):
    account = forms.ModelChoiceField(
        label=_("Account"),
        queryset=SocialAccount.objects.none(),
        required=False,
        empty_label=_("All accounts"),
    )
    format = forms.ChoiceField(label=_("Format"), required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(label=_("Text contains"), required=False, max_length=200)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=200)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        account_field = self.fields["account"]
        assert isinstance(account_field, forms.ModelChoiceField)
        account_field.queryset = SocialAccount.objects.filter(workspace=workspace)
        format_field = self.fields["format"]
        assert isinstance(format_field, forms.ChoiceField)
        format_field.choices = [("", _("All formats")), *PostFormat.choices]

    def clean_tag(self) -> str:
        text = self.cleaned_data.get("tag", "")
        try:
            return tag_normalise(text) if text.strip() else ""
        except ValidationError:
            return text.strip()


class BulkTagForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"), choices=[("add", _("Add tag")), ("remove", _("Remove tag"))]
    )
    tag = TagField(label=_("Tag"), max_length=200)
    posts = forms.TypedMultipleChoiceField(
        coerce=int, required=True, error_messages={"required": _("Select at least one post.")}
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The choices are any integer id: the service ignores ids outside the workspace.
        posts_field = self.fields["posts"]
        assert isinstance(posts_field, forms.TypedMultipleChoiceField)
        posts_field.valid_value = lambda value: str(value).isascii() and str(value).isdecimal()  # type: ignore[method-assign]
