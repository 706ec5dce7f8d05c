"""The workspace settings form: name, timezone, report language and the report branding."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from connectors.models import Workspace

LOGO_MAX_BYTES = 2 * 1024 * 1024
# Raster formats only: an SVG logo could carry script or fetch URLs inside a rendered report.
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg"}
LOGO_MAX_PIXELS = 4000


def _too_many_pixels() -> forms.ValidationError:
    return forms.ValidationError(
        _("The logo is larger than %(n)s pixels on a side.") % {"n": LOGO_MAX_PIXELS}
    )


class LogoField(forms.ImageField):
    """Django's image field, which opens the file with Pillow, with the size checked before and
    a decompression bomb (a small file declaring huge sizes) named as such, not "not an image"."""

    def to_python(self, data: Any) -> Any:
        if isinstance(data, UploadedFile) and data.size is not None and data.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo is larger than 2 MB."))
        try:
            return super().to_python(data)
        except forms.ValidationError as error:
            if isinstance(error.__cause__, Image.DecompressionBombError):
                raise _too_many_pixels() from error.__cause__
            raise


class WorkspaceSettingsForm(forms.ModelForm):
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Workspace
        fields = ("name", "timezone", "language", "logo", "primary_color", "report_footer")
        field_classes = {"logo": LogoField}
        widgets = {
            "primary_color": forms.TextInput(attrs={"type": "color"}),
            "logo": forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
        }
        help_texts = {
            "language": _("Reports and e-mails to people outside Rapport use it by default."),
            "logo": _("PNG or JPEG, at most 2 MB. Shown on report covers and shared pages."),
            "primary_color": _("The accent of reports and shared pages."),
            "report_footer": _("Printed at the foot of every report page."),
        }

    def clean_logo(self) -> object:
        logo = self.cleaned_data.get("logo")
        if not isinstance(logo, UploadedFile):
            return logo  # unchanged
        try:
            with Image.open(logo) as image:
                kind = image.format or ""
                width, height = image.size
                image.verify()
        except Image.DecompressionBombError as error:
            raise _too_many_pixels() from error
        except (UnidentifiedImageError, OSError, ValueError) as error:
            raise forms.ValidationError(_("The logo is not a PNG or JPEG image.")) from error
        if kind not in LOGO_FORMATS:
            raise forms.ValidationError(_("The logo is not a PNG or JPEG image."))
        if max(width, height) > LOGO_MAX_PIXELS:
            raise _too_many_pixels()
        logo.seek(0)
        # The stored name is ours: the uploaded name is user text.
        logo.name = f"logo.{LOGO_FORMATS[kind]}"
        return logo
