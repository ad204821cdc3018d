"""The one clock domain code asks, so tests can freeze time (time-machine moves it)."""

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localdate(now())
