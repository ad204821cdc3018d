"""Erasing a tenant's data on their written request: shape only; the action decides."""

from django import forms
from django.utils.translation import gettext_lazy as _


class TenantEraseForm(forms.Form):
    request_reference = forms.CharField(
        label=_("Reference of the written request"),
        max_length=200,
        help_text=_(
            "The date or reference of the tenant's letter or e-mail (for example \"letter "
            'of 3 March"), never their name: it is kept in the erasure log.'
        ),
    )
    confirm = forms.BooleanField(
        label=_("I hold the tenant's written request, and I understand this cannot be undone."),
    )
