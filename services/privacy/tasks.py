"""Privacy's tasks: thin, safe to run twice."""

from celery import shared_task
from celery.schedules import crontab

from . import actions, retention


@shared_task(name="privacy.export_build")
def export_build(request_id: int) -> None:
    actions.export_file_build(request_id=request_id)


@shared_task(name="privacy.retention")
def retention_run() -> dict:
    report = retention.retention_run()
    return {
        "warned": report.warned,
        "anonymised": report.anonymised,
        "cvs_deleted": report.cvs_deleted,
        "views_deleted": report.views_deleted,
        "exports_expired": report.exports_expired,
        "failed": len(report.failed),
    }


# Collected by backend/celery.py for beat: {entry name: entry}.
PERIODIC_TASKS = {
    "privacy retention": {"task": "privacy.retention", "schedule": crontab(hour=3, minute=30)},
}
