"""Sign-in and password forms: shape only, the account actions decide."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EmailLoginForm(forms.Form):
    # A context: "E-mail" alone is the notification channel's name in another catalogue.
    email = forms.EmailField(label=pgettext_lazy("sign-in form", "E-mail"), max_length=254)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"), strip=False, widget=forms.PasswordInput
    )
    new_password = forms.CharField(label=_("New password"), strip=False, widget=forms.PasswordInput)
    new_password_again = forms.CharField(
        label=_("New password, again"), strip=False, widget=forms.PasswordInput
    )


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label=pgettext_lazy("sign-in form", "E-mail"), max_length=254)


class PasswordResetConfirmForm(forms.Form):
    email = forms.EmailField(label=pgettext_lazy("sign-in form", "E-mail"), max_length=254)
    code = forms.CharField(label=_("Code received"), max_length=64)
    new_password = forms.CharField(label=_("New password"), strip=False, widget=forms.PasswordInput)
    new_password_again = forms.CharField(
        label=_("New password, again"), strip=False, widget=forms.PasswordInput
    )
