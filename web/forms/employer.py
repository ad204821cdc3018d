"""Forms of the employer pages (/espace/): shape only, the jobs workflow decides."""

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .jobs import DateInput


class TimeInput(forms.TimeInput):
    input_type = "time"


class InterviewForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    time = forms.TimeField(label=gettext_lazy("Time"), widget=TimeInput())
    place = forms.CharField(
        label=gettext_lazy("Place or phone number"),
        help_text=gettext_lazy("The address of the interview, or the number you will call."),
        max_length=255,
    )

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("time"):
            when = timezone.make_aware(datetime.combine(data["date"], data["time"]))
            if when <= timezone.now():
                self.add_error("date", _("Choose a date and time in the future."))
            data["interview_at"] = when
        return data


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[
            ("hired", gettext_lazy("Hired")),
            ("not_hired", gettext_lazy("Not hired")),
        ],
        widget=forms.RadioSelect,
    )
    start_date = forms.DateField(
        label=gettext_lazy("Start date (if hired)"), required=False, widget=DateInput()
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == "hired" and not data.get("start_date"):
            self.add_error("start_date", _("Give the start date."))
        return data
