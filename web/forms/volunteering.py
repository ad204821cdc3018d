"""Volunteering forms: shape only; the volunteering actions decide (times, capacity, status)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from services.accounts.selectors import residence_list_for_user
from services.volunteering.models import Mission, Signup


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _search():
    return forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Title or place"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class MissionFilterForm(forms.Form):
    q = _search()
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Mission.Status.choices]
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *Mission.Category.choices]
    )


class SignupFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Signup.Status.choices]
    )


class SlotForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DateTimeInput())
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=10_000)

    def slot_data(self) -> dict:
        return {key: self.cleaned_data[key] for key in ("starts_at", "ends_at", "capacity")}


class MissionForm(forms.Form):
    """A mission's fields; on creation, its first slot too (a mission needs one)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Mission.Category.choices)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    residence = forms.ChoiceField(
        label=_("Residence"), required=False, help_text=_("Empty: open to every tenant.")
    )
    place = forms.CharField(label=_("Place"), max_length=255)
    latitude = forms.DecimalField(
        label=_("Latitude"), max_digits=9, decimal_places=6, min_value=-90, max_value=90
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )
    points = forms.IntegerField(
        label=_("Points per attendance"), min_value=0, max_value=100_000, initial=0
    )
    adults_only = forms.BooleanField(label=_("Adults only"), required=False, initial=True)
    requires_charter = forms.BooleanField(
        label=_("The residents' charter must be accepted"), required=False
    )
    starts_at = forms.DateTimeField(label=_("First slot starts at"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("First slot ends at"), widget=DateTimeInput())
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=10_000)

    MISSION_FIELDS = (
        "title",
        "description",
        "category",
        "place",
        "latitude",
        "longitude",
        "points",
        "adults_only",
        "requires_charter",
    )

    def __init__(self, *args, user, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        residences = residence_list_for_user(user=user).values_list("public_id", "name")
        self.fields["residence"].choices = [("", _("Every residence"))] + [
            (str(pk), name) for pk, name in residences
        ]
        if editing:
            for name in ("starts_at", "ends_at", "capacity"):
                del self.fields[name]

    @staticmethod
    def initial_for(mission: Mission) -> dict:
        initial = {key: getattr(mission, key) for key in MissionForm.MISSION_FIELDS}
        initial["residence"] = str(mission.residence.public_id) if mission.residence else ""
        return initial

    def mission_data(self) -> dict:
        return {key: self.cleaned_data[key] for key in self.MISSION_FIELDS}

    def slot_data(self) -> dict:
        return {key: self.cleaned_data[key] for key in ("starts_at", "ends_at", "capacity")}

    def residence_id(self):
        return self.cleaned_data.get("residence") or None


class InitiativeReviewForm(forms.Form):
    points = forms.IntegerField(
        label=_("Points per attendance"), required=False, min_value=0, max_value=100_000
    )
    note = forms.CharField(
        label=_("Note to the tenant"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
