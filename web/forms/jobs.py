"""Jobs forms: shape only (types, lengths, required); the jobs and accounts actions decide."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from services.accounts.selectors import employer_list_for_user
from services.jobs.models import ContractType, Match, Offer


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _search(label, help_text=""):
    return forms.CharField(
        label=label,
        required=False,
        max_length=100,
        help_text=help_text,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class EmployerSearchForm(forms.Form):
    q = _search(_("Search"), _("Name, SIRET or city"))


class EmployerForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=200)
    siret = forms.CharField(
        label=_("SIRET"),
        max_length=14,
        min_length=14,
        help_text=_("14 digits."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    latitude = forms.DecimalField(
        label=_("Latitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
    )


class OfferFilterForm(forms.Form):
    q = _search(_("Search"), _("Title or city"))
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Offer.Status.choices]
    )
    employer = forms.ChoiceField(label=_("Employer"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        employers = employer_list_for_user(user=user).values_list("public_id", "name")
        self.fields["employer"].choices = [("", _("All"))] + [
            (str(pk), name) for pk, name in employers
        ]


class MatchFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All")), *Match.State.choices]
    )
    offer = forms.UUIDField(label=_("Offer"), required=False, widget=forms.HiddenInput)


class OfferStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Offer.Status.choices)


def _euros_to_cents(value):
    return None if value is None else int(value * 100)


class OfferForm(forms.Form):
    """Create (with an employer) or edit an offer. The ROME job title is chosen among the
    search's results (`appellation`); a ROME code typed by hand works without JavaScript."""

    employer = forms.ModelChoiceField(label=_("Employer"), queryset=None, to_field_name="public_id")
    title = forms.CharField(label=pgettext_lazy("job offer", "Title"), max_length=200)
    rome_search = forms.CharField(
        label=_("ROME job title"),
        required=False,
        max_length=100,
        help_text=_("Type a few letters of the job, then choose it in the list."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    appellation = forms.CharField(required=False, max_length=10, widget=forms.HiddenInput)
    rome_code = forms.CharField(
        label=_("or ROME code"),
        required=False,
        max_length=5,
        help_text=_("For example K2204."),
    )
    contract_type = forms.ChoiceField(label=_("Contract"), choices=ContractType.choices)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)
    hours_per_week = forms.IntegerField(
        label=_("Hours per week"), required=False, min_value=1, max_value=60
    )
    salary_min = forms.IntegerField(
        label=_("Minimum monthly salary (€)"), required=False, min_value=0, max_value=100_000
    )
    salary_max = forms.IntegerField(
        label=_("Maximum monthly salary (€)"), required=False, min_value=0, max_value=100_000
    )
    positions = forms.IntegerField(label=_("Positions"), min_value=1, max_value=500, initial=1)
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DateInput())
    address = forms.CharField(label=_("Workplace address"), max_length=255, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    latitude = forms.FloatField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        help_text=_("Empty: the employer's address."),
    )
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180
    )
    required_skills = forms.CharField(
        label=_("Required skills"),
        required=False,
        max_length=1000,
        help_text=_("Separated by commas."),
    )
    driving_licence_required = forms.BooleanField(
        label=_("Driving licence required"), required=False
    )

    # Where a domain error on a model field is shown on this form.
    FIELD_OF = {"salary_min_cents": "salary_min", "salary_max_cents": "salary_max"}

    def __init__(self, *args, user, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["employer"]
        else:
            self.fields["employer"].queryset = employer_list_for_user(user=user)

    def clean(self):
        data = super().clean()
        low, high = data.get("salary_min"), data.get("salary_max")
        if low is not None and high is not None and high < low:
            self.add_error("salary_max", _("The maximum salary must not be below the minimum."))
        return data

    def clean_rome_code(self):
        return self.cleaned_data["rome_code"].strip().upper()

    def clean_required_skills(self):
        raw = self.cleaned_data["required_skills"]
        return [s.strip() for s in raw.split(",") if s.strip()]

    def offer_data(self, *, editing: bool = False) -> dict:
        """The cleaned values under the names `offer_create`/`offer_update` take."""
        data = dict(self.cleaned_data)
        data.pop("employer", None)
        data.pop("rome_search", None)
        data["salary_min_cents"] = _euros_to_cents(data.pop("salary_min"))
        data["salary_max_cents"] = _euros_to_cents(data.pop("salary_max"))
        for name in ("latitude", "longitude"):
            if editing and data[name] is None:
                del data[name]  # keep the offer's place
        if not data["appellation"]:
            del data["appellation"]
        if not data["rome_code"]:
            del data["rome_code"]
        return data

    @classmethod
    def initial_for(cls, offer: Offer) -> dict:
        return {
            "title": offer.title,
            "appellation": offer.appellation.code if offer.appellation else "",
            "rome_search": offer.appellation.label if offer.appellation else "",
            "rome_code": "" if offer.appellation else offer.rome_code,
            "contract_type": offer.contract_type,
            "description": offer.description,
            "hours_per_week": offer.hours_per_week,
            "salary_min": (offer.salary_min_cents // 100) if offer.salary_min_cents else None,
            "salary_max": (offer.salary_max_cents // 100) if offer.salary_max_cents else None,
            "positions": offer.positions,
            "start_date": offer.start_date,
            "address": offer.address,
            "postcode": offer.postcode,
            "city": offer.city,
            "latitude": offer.latitude,
            "longitude": offer.longitude,
            "required_skills": ", ".join(offer.required_skills or []),
            "driving_licence_required": offer.driving_licence_required,
        }
