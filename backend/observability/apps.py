from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "backend.observability"
    label = "observability"

    def ready(self) -> None:
        # Celery signals: request ids into task headers, outcomes counted, in every process
        # that publishes or runs tasks (the API, the worker, beat).
        from . import tasks  # noqa: F401
