"""The SMTP path, against an SMTP server started in the test (aiosmtpd): a temporary
failure (451) is retried and the message arrives once; a refusal (550) is not retried; a
server that does not answer is retried; a rollback sends nothing."""

import socket
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.db import transaction

from notifications.models import EmailDelivery
from notifications.tasks import sweep_pending_deliveries
from services.core import clock
from services.jobs import actions as jobs

from .test_email import world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


class Server:
    """Answers each DATA with the next scripted reply (then 250), keeping what it accepted."""

    def __init__(self, replies=()):
        self.replies = list(replies)
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        if self.replies:
            return self.replies.pop(0)
        self.received.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp(settings):
    handler = Server()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield handler
    controller.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _propose(the_world, capture):
    with capture(execute=True):
        jobs.match_propose(user=the_world.staff, match=the_world.match)


def test_temporary_failure_is_retried_and_arrives_once(
    world,  # noqa: F811
    smtp,
    django_capture_on_commit_callbacks,
):
    smtp.replies = ["451 4.3.0 Try again later"]
    _propose(world, django_capture_on_commit_callbacks)

    delivery = EmailDelivery.objects.get()
    assert smtp.received == []
    assert delivery.status == EmailDelivery.Status.PENDING
    assert delivery.error_code == "smtp_451"
    assert delivery.next_attempt_at > clock.now()  # a backoff, not at once

    # Not due yet: the sweep leaves it.
    sweep_pending_deliveries()
    assert smtp.received == []

    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1), tick=False):
        sweep_pending_deliveries()
        sweep_pending_deliveries()  # a second sweep finds nothing left to send

    assert len(smtp.received) == 1
    received = message_from_bytes(smtp.received[0], policy=default)
    assert received["List-Unsubscribe"].strip().startswith("<http://localhost:8000/espace/e-mails/")
    assert [part.get_content_type() for part in received.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (EmailDelivery.Status.SENT, 2)


def test_permanent_refusal_is_not_retried(
    world,  # noqa: F811
    smtp,
    django_capture_on_commit_callbacks,
):
    smtp.replies = ["550 5.1.1 No such mailbox"]
    _propose(world, django_capture_on_commit_callbacks)

    delivery = EmailDelivery.objects.get()
    assert (delivery.status, delivery.error_code) == (EmailDelivery.Status.FAILED, "smtp_550")
    with time_machine.travel(clock.now() + timedelta(hours=2), tick=False):
        sweep_pending_deliveries()
    assert smtp.received == []


def test_unreachable_server_is_retried(
    world,  # noqa: F811
    settings,
    django_capture_on_commit_callbacks,
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()  # nobody listens there
    settings.EMAIL_TIMEOUT = 2
    _propose(world, django_capture_on_commit_callbacks)

    delivery = EmailDelivery.objects.get()
    assert (delivery.status, delivery.error_code) == (EmailDelivery.Status.PENDING, "connection")


def test_rollback_sends_nothing_over_smtp(
    world,  # noqa: F811
    smtp,
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        jobs.match_propose(user=world.staff, match=world.match)
        raise RuntimeError("rolled back")
    sweep_pending_deliveries()
    assert smtp.received == []
    assert EmailDelivery.objects.count() == 0
