"""notify(): the inbox row per recipient in their language, deliveries per active device,
the preferences, and nothing sent before (or without) commit."""

import pytest
from django.db import transaction

from notifications import registry, services
from notifications.kinds import ANNOUNCEMENT, PASSWORD_CHANGED
from notifications.models import Delivery, Notification, Preference
from notifications.registry import Category, NotificationKind
from tests.factories.accounts import UserFactory
from tests.factories.notifications import DeviceFactory

pytestmark = pytest.mark.django_db

registry.register(
    NotificationKind(
        code="tests.reward_ready",
        category=Category.LOYALTY,
        title="Reward {name} is ready",
        body="Collect it at {place}.",
        link_type="reward",
    ),
    NotificationKind(
        code="tests.inbox_only",
        category=Category.LOYALTY,
        title="Inbox only",
        body="No push for this one.",
        channels=("inbox",),
    ),
)


def test_one_row_per_recipient_rendered_in_their_language():
    fr, en = UserFactory(language="fr"), UserFactory(language="en")
    rows = services.notify(recipients=[fr, en], kind=PASSWORD_CHANGED)
    assert [(n.recipient, n.title) for n in rows] == [
        (fr, "Votre mot de passe a été modifié"),
        (en, "Your password was changed"),
    ]
    assert rows[0].category == "account"
    assert rows[0].link_type == "account"
    assert Notification.objects.count() == 2


def test_params_link_and_data_are_stored_as_strings():
    user = UserFactory()
    (row,) = services.notify(
        recipients=[user],
        kind="tests.reward_ready",
        params={"name": "Panier", "place": "la loge"},
        link_id="5b1c",
        data={"points": 40},
    )
    row.refresh_from_db()
    assert (row.title, row.body) == ("Reward Panier is ready", "Collect it at la loge.")
    assert (row.link_type, row.link_id, row.data) == ("reward", "5b1c", {"points": "40"})


def test_a_pending_delivery_per_active_device_scheduled_on_commit(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    phone, tablet = DeviceFactory(user=user), DeviceFactory(user=user)
    DeviceFactory(user=user, is_active=False)
    with django_capture_on_commit_callbacks() as callbacks:
        services.notify(recipients=[user], kind=PASSWORD_CHANGED)
    deliveries = Delivery.objects.order_by("device_id")
    assert [(d.device, d.status, d.attempts) for d in deliveries] == [
        (phone, "pending", 0),
        (tablet, "pending", 0),
    ]
    assert len(callbacks) == 1  # one task for both, after commit


def test_a_rollback_sends_nothing(django_capture_on_commit_callbacks):
    user = UserFactory()
    DeviceFactory(user=user)
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                services.notify(recipients=[user], kind=PASSWORD_CHANGED)
                raise RuntimeError("the caller fails")
        except RuntimeError:
            pass
    assert callbacks == []
    assert Notification.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_push_switched_off_keeps_the_inbox_row_without_delivery():
    user = UserFactory()
    DeviceFactory(user=user)
    Preference.objects.create(user=user, category="loyalty", channel="push", enabled=False)
    (row,) = services.notify(
        recipients=[user], kind="tests.reward_ready", params={"name": "x", "place": "y"}
    )
    assert row.in_inbox
    assert Delivery.objects.count() == 0


def test_inbox_switched_off_still_pushes_but_hides_the_row():
    user = UserFactory()
    DeviceFactory(user=user)
    Preference.objects.create(user=user, category="loyalty", channel="inbox", enabled=False)
    (row,) = services.notify(
        recipients=[user], kind="tests.reward_ready", params={"name": "x", "place": "y"}
    )
    assert not row.in_inbox
    assert Delivery.objects.count() == 1


def test_both_switched_off_writes_nothing_for_that_user():
    quiet, other = UserFactory(), UserFactory()
    for channel in ("push", "inbox"):
        Preference.objects.create(user=quiet, category="loyalty", channel=channel, enabled=False)
    rows = services.notify(
        recipients=[quiet, other], kind="tests.reward_ready", params={"name": "x", "place": "y"}
    )
    assert [r.recipient for r in rows] == [other]


def test_account_messages_ignore_switches():
    user = UserFactory()
    DeviceFactory(user=user)
    for channel in ("push", "inbox"):
        Preference.objects.create(user=user, category="account", channel=channel, enabled=False)
    (row,) = services.notify(recipients=[user], kind=PASSWORD_CHANGED)
    assert row.in_inbox
    assert Delivery.objects.count() == 1


def test_a_kind_without_the_push_channel_writes_no_delivery():
    user = UserFactory()
    DeviceFactory(user=user)
    services.notify(recipients=[user], kind="tests.inbox_only")
    assert Delivery.objects.count() == 0


def test_announcement_texts_are_shown_as_staff_wrote_them():
    en = UserFactory(language="en")
    (row,) = services.notify(
        recipients=[en],
        kind=ANNOUNCEMENT,
        params={"title": "Coupure d'eau {jeudi}", "body": "De 9 h à 12 h."},
    )
    assert (row.title, row.body) == ("Coupure d'eau {jeudi}", "De 9 h à 12 h.")


def test_the_registry_contract():
    kind = registry.get(PASSWORD_CHANGED)
    assert (kind.category, kind.switchable) == (Category.ACCOUNT, False)
    with pytest.raises(ValueError):
        registry.register(
            NotificationKind(code=PASSWORD_CHANGED, category="jobs", title="x", body="y")
        )


def test_notify_costs_the_same_queries_for_one_or_many_recipients(django_assert_num_queries):
    one = [UserFactory()]
    many = UserFactory.create_batch(25)
    for user in [*one, *many]:
        DeviceFactory(user=user)
    # switches, inbox rows, deliveries (INSERT … SELECT)
    with django_assert_num_queries(3):
        services.notify(
            recipients=one, kind="tests.reward_ready", params={"name": "x", "place": "y"}
        )
    with django_assert_num_queries(3):
        services.notify(
            recipients=many, kind="tests.reward_ready", params={"name": "x", "place": "y"}
        )
    assert Delivery.objects.count() == 26


def test_a_recipient_named_twice_gets_one_row_and_one_push():
    user, other = UserFactory(), UserFactory()
    DeviceFactory(user=user)
    rows = services.notify(recipients=[user, other, user], kind=PASSWORD_CHANGED)
    assert [r.recipient for r in rows] == [user, other]
    assert Notification.objects.filter(recipient=user).count() == 1
    assert Delivery.objects.count() == 1
