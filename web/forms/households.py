"""Ending a tenancy from the console: shape only; `tenancy_end.tenancy_end` decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .tenancies import DateInput


class TenancyEndForm(forms.Form):
    end_date = forms.DateField(
        label=_("Last day of the tenancy"),
        help_text=_(
            "Today: it ends tonight. The household is told at once, keeps read access for "
            "90 days, then its accounts are closed."
        ),
        widget=DateInput(),
    )
