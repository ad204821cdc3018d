import io

import pytest
from django.core.management import CommandError, call_command

from demo import notifications as demo
from notifications.models import Delivery, Device, Notification
from tests.factories.accounts import UserFactory
from tests.factories.notifications import DeviceFactory

pytestmark = pytest.mark.django_db


def test_send_test_push_reaches_every_active_device(fake_fcm, django_capture_on_commit_callbacks):
    user = UserFactory(email="camille@example.org", language="en")
    DeviceFactory(user=user, platform="android")
    DeviceFactory(user=user, platform="ios")
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_test_push", "--user", "Camille@example.org", stdout=out)
    assert len(fake_fcm.sent) == 2
    assert fake_fcm.sent[0]["message"]["notification"]["title"] == "Test notification"
    assert len(out.getvalue().splitlines()) == 2  # one line per device
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_send_test_push_without_device_says_so():
    UserFactory(email="nobody-device@example.org")
    out = io.StringIO()
    call_command("send_test_push", "--user", "nobody-device@example.org", stdout=out)
    assert "no active device" in out.getvalue()
    assert Notification.objects.count() == 1


def test_send_test_push_unknown_user():
    with pytest.raises(CommandError):
        call_command("send_test_push", "--user", "ghost@example.org")


def test_demo_is_idempotent_and_skips_quietly_without_accounts(world):
    out = io.StringIO()
    demo.seed(out=out)
    assert "0 demo devices" in out.getvalue()
    UserFactory(email="admin.iaa@demo.voisinage.test", role="staff")
    demo.seed(out=out)
    demo.seed(out=out)
    assert Device.objects.count() == 1
    assert Notification.objects.count() == 3
