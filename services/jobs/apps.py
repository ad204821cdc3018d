from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "services.jobs"
    label = "jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from services.core.extensions import register_tenant_moved_out_receiver

        from . import notifications
        from .actions import matches_close_on_move_out

        notifications.register_kinds()

        from . import sync

        sync.register()  # deletions and untargeted offers leave sync tombstones
        # Accounts never imports jobs: it announces a member's move through core.
        register_tenant_moved_out_receiver(matches_close_on_move_out)
