"""The workspace settings form: name, timezone, report language and the report branding."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from connectors.models import Workspace

LOGO_MAX_BYTES = 2 * 1024 * 1024
# Raster formats only: an SVG logo could carry script or fetch URLs inside a rendered report.
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg"}
LOGO_MAX_PIXELS = 4000


class WorkspaceSettingsForm(forms.ModelForm):
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Workspace
        fields = ("name", "timezone", "language", "logo", "primary_color", "report_footer")
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
        if logo.size is not None and logo.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo is larger than 2 MB."))
        try:
            with Image.open(logo) as image:
                kind = image.format or ""
                width, height = image.size
                image.verify()
        except Image.DecompressionBombError as error:  # a small file declaring huge sizes
            raise forms.ValidationError(
                _("The logo is larger than %(n)s pixels on a side.") % {"n": LOGO_MAX_PIXELS}
            ) from error
        except (UnidentifiedImageError, OSError, ValueError) as error:
            raise forms.ValidationError(_("The logo is not a PNG or JPEG image.")) from error
        if kind not in LOGO_FORMATS:
            raise forms.ValidationError(_("The logo is not a PNG or JPEG image."))
        if max(width, height) > LOGO_MAX_PIXELS:
            raise forms.ValidationError(
                _("The logo is larger than %(n)s pixels on a side.") % {"n": LOGO_MAX_PIXELS}
            )
        logo.seek(0)
        # The stored name is ours: the uploaded name is user text.
        logo.name = f"logo.{LOGO_FORMATS[kind]}"
        return logo
