from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "services.jobs"
    label = "jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import notifications

        notifications.register_kinds()
