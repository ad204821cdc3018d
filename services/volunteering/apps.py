from django.apps import AppConfig


class VolunteeringConfig(AppConfig):
    name = "services.volunteering"
    label = "volunteering"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from services.core.extensions import register_volunteer_hours_provider

        from . import notifications  # noqa: F401  (registers the notification kinds)
        from .selectors import volunteer_hours_by_tenant

        register_volunteer_hours_provider(volunteer_hours_by_tenant)

        from . import sync

        sync.register()  # deletions leave sync tombstones
