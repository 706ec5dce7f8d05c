"""Forms of the two-factor pages. They check the shape of what was typed; whether a code is
right is the services' business (it spends the code), called by the views."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SecondStepForm(forms.Form):
    """The log-in's second step: an authenticator code or a recovery code."""

    code = forms.CharField(
        label=_("Authentication code"),
        max_length=32,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class EnableForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from the app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": r"[0-9 ]*",
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(str(self.cleaned_data["code"]).split())
        if len(code) != 6 or not code.isdigit():
            raise forms.ValidationError(_("Enter the 6 digits the app shows."))
        return code


class ConfirmForm(forms.Form):
    """Turning two-factor off or replacing the recovery codes asks again who is there."""

    confirmation = forms.CharField(
        label=_("Your password or a current code"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
