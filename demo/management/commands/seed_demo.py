"""Believable demo data for every area, idempotent: `make run` always shows the whole product."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo import accounts, jobs, loyalty, notifications, volunteering

# Each area's demo module has `seed(*, out) -> None`, safe to run again; order matters.
DEMO_MODULES = (accounts, notifications, jobs, volunteering, loyalty)


class Command(BaseCommand):
    help = "Load the demo landlords, tenants, employers, offers, missions and rewards."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even on production settings (the demo logins and codes are public).",
        )

    def handle(self, *args, **options):
        module = settings.SETTINGS_MODULE or ""
        if module.endswith(".production") and not options["allow_production"]:
            raise CommandError(
                "Refusing to load public demo logins on production settings "
                "(use --allow-production on a demo server)."
            )
        for demo in DEMO_MODULES:
            with transaction.atomic():
                demo.seed(out=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
