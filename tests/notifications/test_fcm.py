"""The Firebase channel with the real SDK: message shape, every row of the error table,
retries without sleeping, and the one FCM endpoint override."""

import json
import logging
from datetime import timedelta

import firebase_admin
import pytest
import responses
import time_machine

from notifications import dispatch, services
from notifications.channels import Outcome, PushMessage, fcm
from notifications.kinds import PASSWORD_CHANGED
from notifications.models import Delivery, Device
from tests.factories.accounts import UserFactory
from tests.factories.notifications import DeviceFactory

from .conftest import (
    FCM_URL,
    INTERNAL,
    INVALID_PAYLOAD,
    INVALID_TOKEN,
    PROJECT,
    QUOTA_EXCEEDED,
    SENDER_ID_MISMATCH,
    THIRD_PARTY_AUTH,
    TOKEN_URI,
    UNAVAILABLE,
    UNREGISTERED,
)

pytestmark = pytest.mark.django_db


def push_to(devices, django_capture_on_commit_callbacks):
    """notify() every device's user, and run what commits schedule (eager Celery)."""
    users = {d.user_id: d.user for d in devices}.values()
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipients=list(users), kind=PASSWORD_CHANGED)


def test_the_sdk_version_is_the_one_the_override_was_written_for():
    assert firebase_admin.__version__ == "7.7.0"


def test_message_is_fcm_v1_with_notification_data_channel_badge_collapse_and_ttl(
    fake_fcm, django_capture_on_commit_callbacks
):
    device = DeviceFactory(user=UserFactory(language="en"), platform="ios")
    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False):
        push_to([device], django_capture_on_commit_callbacks)

    assert len(fake_fcm.sent) == 1
    message = fake_fcm.sent[0]["message"]
    notification = device.user.notifications.get()
    assert message["token"] == device.identifier
    assert message["notification"] == {
        "title": "Your password was changed",
        "body": notification.body,
    }
    assert message["data"] == {
        "notification_id": str(notification.public_id),
        "kind": "account.password_changed",
        "category": "account",
        "link_type": "account",
    }
    assert message["android"] == {
        "collapse_key": "account.password_changed",
        "priority": "high",
        "ttl": "86400s",
        "notification": {"channel_id": "account"},
    }
    assert message["apns"]["payload"] == {
        "aps": {"sound": "default", "badge": 1, "thread-id": "account"}
    }
    assert message["apns"]["headers"]["apns-collapse-id"] == "account.password_changed"
    assert message["webpush"] == {"headers": {"TTL": "86400"}}
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.message_id == f"projects/{PROJECT}/messages/0:1"
    assert delivery.attempts == 1


def test_the_access_token_comes_from_the_service_account_token_endpoint(
    fake_fcm, django_capture_on_commit_callbacks
):
    push_to([DeviceFactory()], django_capture_on_commit_callbacks)
    fcm_call = next(c for c in fake_fcm.rsps.calls if c.request.url == FCM_URL)
    assert fcm_call.request.headers["Authorization"] == "Bearer fake-access-token"


def test_unregistered_deactivates_the_device_with_its_reason(
    fake_fcm, django_capture_on_commit_callbacks
):
    dead, alive = DeviceFactory(), DeviceFactory()
    fake_fcm.answers[dead.identifier] = UNREGISTERED
    push_to([dead, alive], django_capture_on_commit_callbacks)

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.is_active, dead.deactivation_reason) == (False, "unregistered")
    assert "Requested entity was not found" in dead.last_error
    assert alive.is_active
    assert Delivery.objects.get(device=dead).status == Delivery.Status.FAILED
    assert Delivery.objects.get(device=alive).status == Delivery.Status.SENT
    assert len(fake_fcm.sent) == 2  # no retry


@pytest.mark.parametrize(
    ("answer", "reason"),
    [(SENDER_ID_MISMATCH, "sender_mismatch"), (INVALID_TOKEN, "invalid_token")],
)
def test_a_token_error_on_a_few_devices_deactivates_them(
    fake_fcm, django_capture_on_commit_callbacks, answer, reason
):
    devices = DeviceFactory.create_batch(12)
    fake_fcm.answers[devices[0].identifier] = answer
    push_to(devices, django_capture_on_commit_callbacks)

    bad = Device.objects.get(pk=devices[0].pk)
    assert (bad.is_active, bad.deactivation_reason) == (False, reason)
    assert Device.objects.filter(is_active=True).count() == 11
    assert Delivery.objects.get(device=bad).status == Delivery.Status.FAILED
    assert len(fake_fcm.sent) == 12


@pytest.mark.parametrize("answer", [SENDER_ID_MISMATCH, INVALID_TOKEN])
def test_when_most_of_the_batch_fails_the_same_way_it_is_our_configuration(
    fake_fcm, django_capture_on_commit_callbacks, caplog, answer
):
    devices = DeviceFactory.create_batch(12)
    for device in devices[:8]:
        fake_fcm.answers[device.identifier] = answer
    with caplog.at_level(logging.CRITICAL, logger="notifications.push"):
        push_to(devices, django_capture_on_commit_callbacks)

    assert Device.objects.filter(is_active=True).count() == 12  # kept
    assert Delivery.objects.filter(status=Delivery.Status.FAILED).count() == 8
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 4
    assert any("our Firebase configuration" in r.getMessage() for r in caplog.records)


def test_a_single_bad_token_in_a_tiny_batch_is_still_the_devices_fault(
    fake_fcm, django_capture_on_commit_callbacks
):
    device = DeviceFactory()
    fake_fcm.answers[device.identifier] = INVALID_TOKEN
    push_to([device], django_capture_on_commit_callbacks)
    device.refresh_from_db()
    assert (device.is_active, device.deactivation_reason) == (False, "invalid_token")


@pytest.mark.parametrize("answer", [SENDER_ID_MISMATCH, INVALID_TOKEN])
def test_one_persons_push_is_judged_with_the_recent_batches_when_fcm_rejects_everything(
    fake_fcm, django_capture_on_commit_callbacks, caplog, answer
):
    """A wrong Firebase project rejects every token, but most pushes go to one person:
    judged alone, each small batch would deactivate that person's phones one by one."""
    earlier = DeviceFactory.create_batch(12)
    for device in earlier:
        fake_fcm.answers[device.identifier] = answer
    for device in earlier:  # twelve people told one at a time
        push_to([device], django_capture_on_commit_callbacks)
    one_more = DeviceFactory()
    fake_fcm.answers[one_more.identifier] = answer
    with caplog.at_level(logging.CRITICAL, logger="notifications.push"):
        push_to([one_more], django_capture_on_commit_callbacks)

    one_more.refresh_from_db()
    assert (one_more.is_active, one_more.deactivation_reason) == (True, "")
    assert Delivery.objects.get(device=one_more).status == Delivery.Status.FAILED
    assert any("our Firebase configuration" in r.getMessage() for r in caplog.records)
    # only the first few, judged before the pattern was visible, were deactivated
    assert Device.objects.filter(is_active=False).count() < dispatch.MISCONFIGURATION_MIN_BATCH


def test_a_bad_token_among_healthy_recent_pushes_is_the_devices_fault(
    fake_fcm, django_capture_on_commit_callbacks
):
    for device in DeviceFactory.create_batch(12):
        push_to([device], django_capture_on_commit_callbacks)
    bad = DeviceFactory()
    fake_fcm.answers[bad.identifier] = SENDER_ID_MISMATCH
    push_to([bad], django_capture_on_commit_callbacks)
    bad.refresh_from_db()
    assert (bad.is_active, bad.deactivation_reason) == (False, "sender_mismatch")


@pytest.mark.parametrize(
    ("answer", "code"),
    [(INVALID_PAYLOAD, "invalid_payload"), (THIRD_PARTY_AUTH, "third_party_auth")],
)
def test_our_own_errors_keep_the_device_and_are_logged(
    fake_fcm, django_capture_on_commit_callbacks, caplog, answer, code
):
    device = DeviceFactory()
    fake_fcm.answers[device.identifier] = answer
    with caplog.at_level(logging.ERROR, logger="notifications.push"):
        push_to([device], django_capture_on_commit_callbacks)

    device.refresh_from_db()
    delivery = Delivery.objects.get()
    assert device.is_active
    assert device.deactivation_reason == ""
    assert (delivery.status, delivery.error_code) == (Delivery.Status.FAILED, code)
    assert delivery.attempts == 1  # not retried by us
    # a 401 is sent again once with a refreshed access token (google-auth's session did
    # twice); a 400 is sent once
    assert len(fake_fcm.sent) == (2 if answer is THIRD_PARTY_AUTH else 1)
    assert any(code in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("answer", "code"),
    [(UNAVAILABLE, "unavailable"), (INTERNAL, "internal"), (QUOTA_EXCEEDED, "quotaexceeded")],
)
def test_transient_errors_retry_only_the_failed_device_later_without_sleeping(
    fake_fcm, django_capture_on_commit_callbacks, answer, code
):
    flaky, fine = DeviceFactory(), DeviceFactory()
    fake_fcm.answers[flaky.identifier] = answer
    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False):
        push_to([flaky, fine], django_capture_on_commit_callbacks)

        # one HTTP call each: the SDK's sleeping 500/503 retries are off
        assert sorted(fake_fcm.tokens()) == sorted([flaky.identifier, fine.identifier])
        retry = Delivery.objects.get(device=flaky)
        assert (retry.status, retry.error_code, retry.attempts) == ("pending", code, 1)
        wait = (retry.next_attempt_at - retry.created_at).total_seconds()
        if answer is QUOTA_EXCEEDED:
            assert wait >= 120  # Retry-After honoured
        else:
            assert dispatch.RETRY_BASE_SECONDS / 2 <= wait <= dispatch.RETRY_BASE_SECONDS
        assert Delivery.objects.get(device=fine).status == Delivery.Status.SENT
        assert Device.objects.get(pk=flaky.pk).is_active

    # Later FCM is back: the sweep sends that one device, once.
    del fake_fcm.answers[flaky.identifier]
    with time_machine.travel("2026-11-27 10:05:00+00:00", tick=False):
        from notifications.tasks import sweep_pending_deliveries

        assert sweep_pending_deliveries() == 1
    assert fake_fcm.tokens().count(flaky.identifier) == 2
    assert fake_fcm.tokens().count(fine.identifier) == 1
    retry.refresh_from_db()
    assert (retry.status, retry.attempts) == ("sent", 2)


def test_a_retry_keeps_trying_until_the_message_ttl_then_gives_up(
    fake_fcm, django_capture_on_commit_callbacks
):
    device = DeviceFactory()
    fake_fcm.answers[device.identifier] = UNAVAILABLE
    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False):
        push_to([device], django_capture_on_commit_callbacks)
    # password_changed lives 24 h; FCM stays down; the sweep tries again every hour
    for hour in range(1, 23):
        with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False) as traveller:
            traveller.shift(timedelta(hours=hour))
            dispatch.deliver(dispatch.due_delivery_ids())
    delivery = Delivery.objects.get()
    # backoff is capped at an hour, so the next try (before 10:00 tomorrow) is still worth it
    assert (delivery.status, delivery.attempts) == ("pending", 23)
    for hour in range(23, 26):
        with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False) as traveller:
            traveller.shift(timedelta(hours=hour))
            dispatch.deliver(dispatch.due_delivery_ids())
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.error_code in ("gave_up", "expired")
    assert fake_fcm.tokens().count(device.identifier) >= 23  # tried all along the TTL
    assert Device.objects.get().is_active


def test_a_retry_after_past_the_ttl_gives_up_at_once(fake_fcm, django_capture_on_commit_callbacks):
    device = DeviceFactory()
    status, body, _headers = UNAVAILABLE
    fake_fcm.answers[device.identifier] = (status, body, {"Retry-After": str(25 * 3600)})
    push_to([device], django_capture_on_commit_callbacks)  # password_changed: TTL 24 h
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.error_code, delivery.attempts) == ("failed", "gave_up", 1)
    assert delivery.last_error.startswith("unavailable: ")


def test_the_fcm_endpoint_override_takes_only_when_configured(
    settings, service_account, django_capture_on_commit_callbacks
):
    settings.FIREBASE_CREDENTIALS = json.dumps(service_account)
    settings.FCM_ENDPOINT = "http://127.0.0.1:9999/"
    override = f"http://127.0.0.1:9999/v1/projects/{PROJECT}/messages:send"
    with responses.RequestsMock() as rsps:
        rsps.post(TOKEN_URI, json={"access_token": "x", "expires_in": 3600})
        rsps.post(override, json={"name": f"projects/{PROJECT}/messages/1"})
        push_to([DeviceFactory()], django_capture_on_commit_callbacks)
        assert [c.request.url for c in rsps.calls if "messages:send" in c.request.url] == [override]
    assert Delivery.objects.get().status == Delivery.Status.SENT

    settings.FCM_ENDPOINT = ""
    app = fcm.get_app()
    assert firebase_admin.messaging._get_messaging_service(app)._fcm_url == FCM_URL
    assert app.options.get("httpTimeout") == fcm.DEFAULT_HTTP_TIMEOUT


def test_a_proxy_and_ca_bundle_from_the_environment_still_apply_though_read_once(
    monkeypatch, service_account
):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.bailleur.test:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/bailleur-ca.pem")
    app = firebase_admin.initialize_app(
        firebase_admin.credentials.Certificate(service_account),
        {"projectId": PROJECT},
        name="proxied",
    )
    try:
        fcm.configure_transport(app, endpoint="", concurrency=10)
        monkeypatch.delenv("HTTPS_PROXY")  # read at start-up, not per request
        with responses.RequestsMock() as rsps:
            rsps.post(TOKEN_URI, json={"access_token": "x", "expires_in": 3600})
            rsps.post(FCM_URL, json={"name": f"projects/{PROJECT}/messages/1"})
            message = firebase_admin.messaging.Message()
            message.token = "tok-1"
            firebase_admin.messaging.send(message, app=app)
            # and our channel's own sender, which skips requests' Session.request
            push = PushMessage(1, "tok-2", "android", "t", "b", {}, "account", "k", 60)
            results = fcm.FcmChannel(app, concurrency=2).send([push])
            sent = [c for c in rsps.calls if c.request.url == FCM_URL]
        assert [r.outcome for r in results] == [Outcome.SENT]
        assert len(sent) == 2
        for call in sent:
            assert call.request.req_kwargs["proxies"]["https"] == "http://proxy.bailleur.test:3128"
            assert call.request.req_kwargs["verify"] == "/etc/ssl/bailleur-ca.pem"
    finally:
        firebase_admin.delete_app(app)


def test_a_batch_larger_than_the_sender_pool_is_sent_whole(
    fake_fcm, settings, django_capture_on_commit_callbacks
):
    settings.FCM_CONCURRENCY = 7
    devices = DeviceFactory.create_batch(16)
    push_to(devices, django_capture_on_commit_callbacks)
    assert len(fake_fcm.sent) == 16
    assert Delivery.objects.filter(status="sent").count() == 16


def test_an_installation_id_is_addressed_as_fid(fake_fcm, django_capture_on_commit_callbacks):
    device = DeviceFactory(kind=Device.Kind.INSTALLATION_ID, identifier="cXyZ-installation-id")
    push_to([device], django_capture_on_commit_callbacks)
    message = fake_fcm.sent[0]["message"]
    assert message["fid"] == "cXyZ-installation-id"
    assert "token" not in message


def test_a_502_from_googles_front_end_is_retried_not_dropped(
    fake_fcm, django_capture_on_commit_callbacks
):
    device = DeviceFactory()
    fake_fcm.answers[device.identifier] = (502, {"error": "Bad Gateway"}, {})
    push_to([device], django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.error_code, delivery.attempts) == ("pending", "unknown", 1)
    assert Device.objects.get().is_active


def test_the_token_endpoint_down_fails_the_whole_batch_and_it_is_retried_later(
    settings, service_account, django_capture_on_commit_callbacks
):
    settings.FIREBASE_CREDENTIALS = json.dumps(service_account)
    settings.FCM_ENDPOINT = ""
    settings.FCM_HTTP_TIMEOUT = 9  # a Firebase app of its own: no access token cached yet
    devices = DeviceFactory.create_batch(2)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(TOKEN_URI, body=ConnectionError("oauth2 unreachable"))
        rsps.post(FCM_URL, json={"name": "never"})
        push_to(devices, django_capture_on_commit_callbacks)
        assert not [c for c in rsps.calls if c.request.url == FCM_URL]
    assert set(Delivery.objects.values_list("status", "error_code")) == {("pending", "unknown")}
    assert Device.objects.filter(is_active=True).count() == 2


@pytest.mark.parametrize(
    ("retry_after", "least", "most"),
    [
        ("Fri, 27 Nov 2026 10:10:00 GMT", 600, 600),  # an HTTP date: ten minutes from now
        ("in a while", dispatch.RETRY_BASE_SECONDS / 2, dispatch.RETRY_BASE_SECONDS),
    ],
)
def test_retry_after_as_a_date_is_honoured_and_an_unreadable_one_ignored(
    fake_fcm, django_capture_on_commit_callbacks, retry_after, least, most
):
    flaky, fine = DeviceFactory(), DeviceFactory()
    status, body, _headers = UNAVAILABLE
    fake_fcm.answers[flaky.identifier] = (status, body, {"Retry-After": retry_after})
    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False):
        push_to([flaky, fine], django_capture_on_commit_callbacks)
    retry = Delivery.objects.get(device=flaky)
    assert (retry.status, retry.error_code) == ("pending", "unavailable")
    assert least <= (retry.next_attempt_at - retry.created_at).total_seconds() <= most
    assert Delivery.objects.get(device=fine).status == Delivery.Status.SENT
