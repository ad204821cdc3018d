"""Dates and times a client sends, bounded to a window that makes sense for the field.

DRF accepts year 1 to 9999; one offer starting on 9999-12-31 once overflowed the matching
SQL and stopped a daily task for every landlord. Every date a serializer reads is one of these
fields (tests/api/test_hostile_input.py walks them all): outside its window it is a 400 naming
the field, and the window is written in the schema's description of the field.
"""

import datetime

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from services.core import clock


def _years_from(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _describe(help_text, years_back: int, years_ahead: int) -> str:
    window = f"Accepted from {years_back} year(s) ago to {years_ahead} year(s) ahead."
    return f"{help_text} {window}" if help_text else window


class _Bounded:
    default_error_messages = {
        "out_of_window": _("Enter a date between {min} and {max}."),
    }

    def __init__(self, *, years_back: int, years_ahead: int, **kwargs):
        self.years_back = years_back
        self.years_ahead = years_ahead
        kwargs["help_text"] = _describe(kwargs.get("help_text"), years_back, years_ahead)
        super().__init__(**kwargs)

    def window(self) -> tuple[datetime.date, datetime.date]:
        today = clock.today()
        return _years_from(today, -self.years_back), _years_from(today, self.years_ahead)

    def _check(self, day: datetime.date) -> None:
        low, high = self.window()
        if not low <= day <= high:
            self.fail("out_of_window", min=low.isoformat(), max=high.isoformat())


class BoundedDateField(_Bounded, serializers.DateField):
    """A date within `years_back` years before today and `years_ahead` years after."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        self._check(day)
        return day


class BoundedDateTimeField(_Bounded, serializers.DateTimeField):
    """A date-time whose day (in the project's time zone) is within the window."""

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        # DRF has already moved it to the current time zone (refusing what overflows); its own
        # day is precise enough for a window of whole years.
        self._check(moment.date())
        return moment
