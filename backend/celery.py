"""The Celery app; tasks live in each area's tasks.py and are found by autodiscovery.

Areas never import this module (it is wiring): they declare tasks with `@shared_task` and
their periodic schedule as data, `PERIODIC_TASKS` in their tasks.py, which beat collects
from here when the worker or beat starts.
"""

import importlib
import os

from celery import signals

from backend.taskqueue import TaskApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")

# TaskApp: publishing never raises into a request; without a broker, a thread runs tasks.
app = TaskApp("voisinage")
app.config_from_object("django.conf:settings", namespace="CELERY")
TASK_PACKAGES = [
    "notifications",
    "services.jobs",
    "services.volunteering",
    "services.loyalty",
    "services.privacy",
    "services.accounts",
    "services.core",
]
app.autodiscover_tasks(TASK_PACKAGES)


def collected_periodic_tasks() -> dict[str, dict]:
    """Every area's `PERIODIC_TASKS` ({beat entry name: {"task", "schedule", ...}}), merged;
    two areas claiming one entry name is a wiring error, not a silent overwrite."""
    schedule: dict[str, dict] = {}
    for package in TASK_PACKAGES:
        try:
            module = importlib.import_module(f"{package}.tasks")
        except ModuleNotFoundError as missing:
            if missing.name != f"{package}.tasks":
                raise
            continue
        for name, entry in getattr(module, "PERIODIC_TASKS", {}).items():
            if name in schedule:
                raise RuntimeError(f"periodic task {name!r} declared twice ({package})")
            schedule[name] = dict(entry)
    return schedule


@signals.import_modules.connect
def _collect_periodic_tasks(sender=None, **kwargs) -> None:
    # Sent by a worker and by beat once Django is set up, before the scheduler reads
    # beat_schedule (after autodiscovery, connected above, has imported the tasks).
    if sender is app:
        app.conf.beat_schedule = {**app.conf.beat_schedule, **collected_periodic_tasks()}
