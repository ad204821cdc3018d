"""Retention at its edges (issue 14 §6), with the frozen clock: inactive accounts warned 30
days before and anonymised at 2 years, idle CVs deleted at 12 months, view logs at 3 years,
expired export files; and the nightly task goes on past a row the database refuses."""

import datetime

import pytest
import time_machine
from django.core.files.base import ContentFile

from notifications.models import Delivery, EmailDelivery, Notification
from services.accounts.models import User
from services.accounts.tokens import refresh_for
from services.jobs.models import JobProfile, RevealedProfileView
from services.privacy import actions, tasks
from services.privacy.models import ExportRequest, InactivityWarning
from tests.factories.jobs import JobProfileFactory, MatchFactory
from tests.factories.notifications import DeviceFactory
from tests.poison import failed_ids, refuse
from tests.services.privacy.rich import cv_upload

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _erased(tenant) -> bool:
    return actions.is_erased(User.objects.get(pk=tenant.user_id))


def test_an_inactive_account_is_warned_30_days_before_then_anonymised_at_2_years(clock, world):
    DeviceFactory(user=world.tenant_a.user)  # its app last seen at T0
    clock.move_to(T0 + 700 * DAY - SECOND)
    assert tasks.retention_run()["warned"] == 0

    clock.move_to(T0 + 700 * DAY)
    assert tasks.retention_run()["warned"] == 3  # the world's three tenants, idle since T0
    warning = Notification.objects.get(
        recipient=world.tenant_a.user, kind="privacy.inactivity_warning"
    )
    assert "09/03/2028" in warning.title  # the day it will happen, in the tenant's language
    assert EmailDelivery.objects.filter(notification=warning).exists()  # by e-mail
    assert Delivery.objects.filter(notification=warning).exists()  # and by push
    assert tasks.retention_run()["warned"] == 0  # warned once

    clock.move_to(T0 + 730 * DAY - SECOND)
    assert tasks.retention_run()["anonymised"] == 0
    assert not _erased(world.tenant_a)

    clock.move_to(T0 + 730 * DAY)
    assert tasks.retention_run()["anonymised"] == 3
    assert _erased(world.tenant_a)
    assert not User.objects.get(pk=world.staff_a.user_id).email.endswith("erased.invalid")


def test_using_the_account_after_the_warning_keeps_it(clock, world):
    clock.move_to(T0 + 700 * DAY)
    tasks.retention_run()
    clock.move_to(T0 + 710 * DAY)
    refresh_for(world.tenant_a.user)  # a sign-in or a token refresh

    clock.move_to(T0 + 730 * DAY)
    tasks.retention_run()

    assert not _erased(world.tenant_a)  # and its warning is withdrawn
    assert not InactivityWarning.objects.filter(user=world.tenant_a.user).exists()
    assert _erased(world.tenant_a2)

    clock.move_to(T0 + 1410 * DAY - SECOND)  # idle again: warned 700 days after the activity
    assert tasks.retention_run()["warned"] == 0
    clock.move_to(T0 + 1410 * DAY)
    assert tasks.retention_run()["warned"] == 1


def _with_cv(tenant):
    JobProfileFactory(tenant=tenant)
    cv_upload(tenant, "CV")


def _has_cv(tenant) -> bool:
    return bool(JobProfile.objects.get(tenant=tenant).cv)


def test_a_cv_without_an_open_match_is_deleted_after_12_months(clock, world):
    _with_cv(world.tenant_a)  # no match at all
    _with_cv(world.tenant_a2)
    MatchFactory(tenant=world.tenant_a2, state="interested")  # an open match
    _with_cv(world.tenant_b)
    clock.move_to(T0 + 100 * DAY)
    MatchFactory(tenant=world.tenant_b, state="not_hired")  # closed 100 days after the CV

    clock.move_to(T0 + 365 * DAY - SECOND)
    assert tasks.retention_run()["cvs_deleted"] == 0

    clock.move_to(T0 + 365 * DAY)
    assert tasks.retention_run()["cvs_deleted"] == 1
    assert (_has_cv(world.tenant_a), _has_cv(world.tenant_a2), _has_cv(world.tenant_b)) == (
        False,
        True,
        True,
    )

    clock.move_to(T0 + 465 * DAY)  # 12 months after the last match closed
    assert tasks.retention_run()["cvs_deleted"] == 1
    assert (_has_cv(world.tenant_a2), _has_cv(world.tenant_b)) == (True, False)


def test_view_logs_are_deleted_after_3_years(clock, world):
    match = MatchFactory(tenant=world.tenant_a, state="interview")
    first = RevealedProfileView.objects.create(match=match, viewer=None, at=T0)
    later = RevealedProfileView.objects.create(match=match, viewer=None, at=T0 + 10 * DAY)

    clock.move_to(T0 + 1095 * DAY - SECOND)
    assert tasks.retention_run()["views_deleted"] == 0
    clock.move_to(T0 + 1095 * DAY)
    assert tasks.retention_run()["views_deleted"] == 1
    assert list(RevealedProfileView.objects.values_list("pk", flat=True)) == [later.pk]
    assert first.pk != later.pk


def test_an_export_file_is_deleted_when_its_link_expires(
    clock, world, django_capture_on_commit_callbacks
):
    row = ExportRequest.objects.create(
        user=world.tenant_a.user, status="ready", expires_at=T0 + 72 * 3600 * SECOND
    )
    row.file.save("x.json", ContentFile(b"{}"))
    storage, name = row.file.storage, row.file.name

    clock.move_to(row.expires_at - SECOND)
    assert tasks.retention_run()["exports_expired"] == 0
    clock.move_to(row.expires_at)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.retention_run()["exports_expired"] == 1

    row.refresh_from_db()
    assert (row.status, row.file.name) == ("expired", "")
    assert not storage.exists(name)


def test_the_task_goes_on_past_an_account_the_database_refuses(clock, world, caplog):
    poisoned = world.tenant_a.user
    refuse(InactivityWarning, on="INSERT", when=f"NEW.user_id = {poisoned.pk}")
    clock.move_to(T0 + 700 * DAY)

    report = tasks.retention_run()

    assert (report["warned"], report["failed"]) == (2, 1)
    assert failed_ids(caplog, "privacy.retention") == [str(poisoned.pk)]
    assert set(InactivityWarning.objects.values_list("user", flat=True)) == {
        world.tenant_a2.user_id,
        world.tenant_b.user_id,
    }
