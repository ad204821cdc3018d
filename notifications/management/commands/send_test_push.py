"""`manage.py send_test_push --user someone@example.org`: a test notification to every
active device of that user, through the configured channel (Firebase or the log)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from notifications import services
from notifications.kinds import TEST_PUSH
from notifications.models import Delivery


class Command(BaseCommand):
    help = "Send a test push notification to every active device of one user."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="The user's e-mail.")

    def handle(self, *args, **options):
        email = options["user"].strip().lower()
        user = get_user_model().objects.filter(email=email).first()
        if user is None:
            raise CommandError(f"No user with the e-mail {email}.")
        with transaction.atomic():
            (notification,) = services.notify(recipients=[user], kind=TEST_PUSH)
        deliveries = Delivery.objects.filter(notification=notification).select_related("device")
        if not deliveries:
            self.stdout.write(f"{email} has no active device: the notification is in the inbox.")
            return
        for delivery in deliveries.order_by("pk"):
            self.stdout.write(
                f"{delivery.device.platform} {delivery.device.identifier[:16]}…: "
                f"{delivery.status} {delivery.error_code}".rstrip()
            )
