"""Forms of the data-collection pages: file import, column mapping, account picker, export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from connectors.base import DiscoveredAccount
from connectors.exports import ExportFormat, ExportLevel
from connectors.importers import FORMATS
from connectors.metrics import METRICS
from connectors.models import Platform, SocialAccount

AUTO_FORMAT = ""
IMPORT_EXTENSIONS = (".csv", ".xlsx", ".txt", ".tsv")
# Where a generic spreadsheet's column can go: the post's own fields, its day, or a canonical
# metric. The keys are the importer's mapping vocabulary (``--map "Column=field"``).
MAPPING_FIELDS: list[tuple[str, Any]] = [
    ("post_id", _("Post id")),
    ("published_at", _("Published time")),
    ("date", _("Day")),
    ("format", _("Post format")),
    ("paid", _("Paid (yes/no)")),
    ("text", _("Post text")),
    ("permalink", _("Link to the post")),
]


def import_format_choices() -> list[tuple[str, Any]]:
    return [(AUTO_FORMAT, _("Detect automatically")), *sorted(FORMATS.items(), key=lambda i: i[1])]


def import_platform_choices() -> list[tuple[str, Any]]:
    return [
        ("", _("Detect from the file")),
        *[(key, Platform(key).label) for key in settings.PLATFORM_KEYS],
    ]


def mapping_choices() -> list[tuple[Any, Any]]:
    return [
        ("", _("Do not import")),
        (_("Post"), MAPPING_FIELDS),
        (_("Metric"), [(key, metric.label) for key, metric in METRICS.items()]),
    ]


class ImportOptionsForm(forms.Form):
    """How to read a file: the account it belongs to, its platform, format and year."""

    account_name = forms.CharField(
        label=_("Account"),
        max_length=200,
        help_text=_("An account of this workspace, or a new name: the account is then created."),
        widget=forms.TextInput(attrs={"list": "account-names", "autocomplete": "off"}),
    )
    platform = forms.ChoiceField(label=_("Platform"), required=False)
    format = forms.ChoiceField(label=_("File format"), required=False)
    year = forms.IntegerField(
        label=_("Year of the dates"),
        required=False,
        min_value=2004,
        max_value=2100,
        help_text=_("Only for TikTok exports, whose dates have no year."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["platform"]).choices = import_platform_choices()
        cast(forms.ChoiceField, self.fields["format"]).choices = import_format_choices()

    def options(self) -> dict[str, Any]:
        """The cleaned values, as stored in ``FileImport.options``."""
        data = self.cleaned_data
        return {
            "account_name": data["account_name"].strip(),
            "platform": data.get("platform") or None,
            "format": data.get("format") or None,
            "year": data.get("year"),
        }


class ImportUploadForm(ImportOptionsForm):
    file = forms.FileField(
        label=_("Export file"),
        help_text=_("CSV or XLSX, as downloaded from the platform, or any spreadsheet."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(IMPORT_EXTENSIONS)}),
    )

    field_order = ["file", "account_name", "platform", "format", "year"]

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_MB * 1024 * 1024
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB. Export a shorter period and try again."),
                params={"limit": settings.IMPORT_MAX_MB},
            )
        name = (upload.name or "").lower()
        if not name.endswith(IMPORT_EXTENSIONS):
            raise forms.ValidationError(
                _("Rapport reads CSV and XLSX files. Save the file in one of these formats.")
            )
        if not upload.size:
            raise forms.ValidationError(_("The file is empty."))
        return upload


class ColumnMappingForm(forms.Form):
    """One choice per column of a spreadsheet: the field or metric it holds, or nothing."""

    def __init__(
        self, *args: Any, columns: Sequence[str], initial_mapping: dict[str, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.columns = list(columns)
        choices = mapping_choices()
        for index, column in enumerate(self.columns):
            self.fields[f"map_{index}"] = forms.ChoiceField(
                label=column,
                choices=choices,
                required=False,
                initial=initial_mapping.get(column, ""),
            )

    def column_fields(self) -> list[tuple[str, forms.BoundField]]:
        return [(column, self[f"map_{index}"]) for index, column in enumerate(self.columns)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        seen: dict[str, str] = {}
        for index, column in enumerate(self.columns):
            target = cleaned.get(f"map_{index}")
            if not target:
                continue
            if target in seen:
                raise forms.ValidationError(
                    _("“%(first)s” and “%(second)s” both go to the same field; pick one."),
                    params={"first": seen[target], "second": column},
                )
            seen[target] = column
        if not seen:
            raise forms.ValidationError(_("Choose where at least one column goes."))
        return cleaned

    def mapping(self) -> dict[str, str]:
        return {
            column: self.cleaned_data[f"map_{index}"]
            for index, column in enumerate(self.columns)
            if self.cleaned_data.get(f"map_{index}")
        }


class ConnectPickForm(forms.Form):
    accounts = forms.MultipleChoiceField(
        label=_("Accounts to add"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one account to add.")},
    )

    def __init__(self, *args: Any, discovered: Sequence[DiscoveredAccount], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["accounts"]).choices = [
            (a.external_id, a.display_name) for a in discovered
        ]


class ExportForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Level of detail"),
        choices=[
            (ExportLevel.ACCOUNT.value, _("Accounts: one row per account, day and metric")),
            (ExportLevel.POST.value, _("Posts: one row per post and metric, latest value")),
        ],
        initial=ExportLevel.ACCOUNT.value,
        widget=forms.RadioSelect,
    )
    account = forms.TypedChoiceField(
        label=_("Account"), required=False, coerce=int, empty_value=None
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    format = forms.ChoiceField(
        label=_("File format"),
        choices=[
            (ExportFormat.CSV.value, _("CSV (any spreadsheet or script)")),
            (ExportFormat.XLSX.value, _("Excel workbook (XLSX)")),
        ],
        initial=ExportFormat.CSV.value,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, accounts: Sequence[SocialAccount], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = {account.pk: account for account in accounts}
        cast(forms.ChoiceField, self.fields["account"]).choices = [
            ("", _("All accounts")),
            *[
                (account.pk, f"{account.display_name} ({account.get_platform_display()})")
                for account in accounts
            ],
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: dt.date | None = cleaned.get("start")
        end: dt.date | None = cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The first day must be on or before the last day."))
        return cleaned
