"""The offer form of the employer pages (/espace/offres/): the console's offer form (ROME
title search, contract, hours, salary, place, skills) with the landlords whose tenants see the
offer instead of the employer. Shape only: `offer_create`/`offer_update` decide."""

import datetime

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from services.core import clock

from .jobs import OfferForm

# Like the API's `start_date` (api/v1/jobs/serializers.py): a year back, two years ahead.
START_YEARS_BACK, START_YEARS_AHEAD = 1, 2


def _years_from(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class MemberOfferForm(OfferForm):
    target_landlords = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Landlords whose tenants see this offer"),
        queryset=None,
        to_field_name="public_id",
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Only the landlords that gave you access to their candidates."),
        error_messages={"required": gettext_lazy("Choose at least one landlord.")},
    )

    def __init__(self, *args, landlords, **kwargs):
        # `editing=True`: no employer field (a member posts for its own company).
        super().__init__(*args, user=None, editing=True, **kwargs)
        self.fields["target_landlords"].queryset = landlords
        self.fields["latitude"].help_text = gettext_lazy("Empty: your company's address.")

    def clean_start_date(self):
        day = self.cleaned_data.get("start_date")
        if day is None:
            return day
        today = clock.today()
        low, high = _years_from(today, -START_YEARS_BACK), _years_from(today, START_YEARS_AHEAD)
        if not low <= day <= high:
            raise forms.ValidationError(
                _("Enter a date between {min} and {max}.").format(
                    min=low.strftime("%d/%m/%Y"), max=high.strftime("%d/%m/%Y")
                )
            )
        return day

    def offer_data(self, *, editing: bool = False) -> dict:
        data = super().offer_data(editing=editing)
        data.pop("target_landlords", None)
        return data

    @classmethod
    def initial_for(cls, offer, *, landlords) -> dict:
        initial = super().initial_for(offer)
        granted = {landlord.pk for landlord in landlords}
        initial["target_landlords"] = [
            t.public_id for t in offer.target_landlords.all() if t.pk in granted
        ]
        return initial
