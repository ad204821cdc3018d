"""Every area's periodic tasks reach the beat schedule, however late their module is imported."""

from backend.celery import app


def test_every_area_schedules_its_periodic_tasks():
    app.loader.import_default_modules()  # what a worker or beat does at start
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    areas = {name.split(".", 1)[0] for name in tasks}
    assert {"core", "jobs", "volunteering", "loyalty", "notifications"} <= areas, tasks
    assert set(tasks) <= set(app.tasks), set(tasks) - set(app.tasks)
