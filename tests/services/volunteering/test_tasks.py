import datetime as dt

import pytest
import time_machine

from backend.celery import app
from notifications.models import Notification
from services.volunteering import actions, tasks
from services.volunteering.models import Signup

pytestmark = pytest.mark.django_db


def test_the_periodic_tasks_are_scheduled():
    app.loader.import_default_modules()  # what a worker or beat does at start

    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"volunteering.expire_offers", "volunteering.send_reminders"} <= scheduled


def test_the_tasks_run_the_actions_and_are_safe_to_run_twice(slot, make_tenants):
    a, b, c = make_tenants(3)
    first = actions.signup_create(tenant=a, slot=slot)
    actions.signup_create(tenant=b, slot=slot)
    waiting = actions.signup_create(tenant=c, slot=slot)
    with time_machine.travel(slot.starts_at - dt.timedelta(days=3), tick=False):
        actions.signup_cancel(signup=first, actor=a.user)

    with time_machine.travel(slot.starts_at - dt.timedelta(hours=24), tick=False):
        assert tasks.expire_offers.delay().get() == 1
        assert tasks.expire_offers.delay().get() == 0
        assert tasks.send_reminders.delay().get() == 1  # b is confirmed
        assert tasks.send_reminders.delay().get() == 0

    waiting.refresh_from_db()
    assert waiting.status == Signup.Status.CANCELLED
    assert Notification.objects.filter(kind="volunteering.reminder").count() == 1
