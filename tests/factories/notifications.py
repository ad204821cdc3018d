from datetime import timedelta

import factory
from django.utils import timezone

from notifications.models import Delivery, Device, Notification
from tests.factories.accounts import UserFactory


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    user = factory.SubFactory(UserFactory)
    identifier = factory.Sequence(lambda n: f"fcm-token-{n:06d}:APA91b{'x' * 40}")
    platform = Device.Platform.ANDROID
    app_version = "1.4.0"
    locale = "fr-FR"
    last_seen_at = factory.LazyFunction(timezone.now)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "announcements.announcement"
    category = "announcements"
    title = factory.Sequence(lambda n: f"Annonce {n}")
    body = "Coupure d'eau jeudi de 9 h à 12 h."
    link_type = "announcement"
    link_id = factory.Faker("uuid4")


class DeliveryFactory(factory.django.DjangoModelFactory):
    """A pending push of `notification` to `device` (the recipient's own by default)."""

    class Meta:
        model = Delivery

    notification = factory.SubFactory(NotificationFactory)
    device = factory.SubFactory(
        DeviceFactory, user=factory.SelfAttribute("..notification.recipient")
    )
    next_attempt_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
