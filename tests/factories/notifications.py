import factory
from django.utils import timezone

from notifications.models import Device, Notification
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
