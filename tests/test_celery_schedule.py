"""Every area's periodic tasks reach the beat schedule: each declares them as data
(`PERIODIC_TASKS` in its tasks.py) and backend/celery.py collects them when a worker or beat
starts."""

import importlib

import pytest

from backend.celery import TASK_PACKAGES, app, collected_periodic_tasks


def test_every_area_schedules_its_periodic_tasks():
    app.loader.import_default_modules()  # what a worker or beat does at start
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    areas = {name.split(".", 1)[0] for name in tasks}
    assert {"core", "jobs", "volunteering", "loyalty", "notifications"} <= areas, tasks
    assert set(tasks) <= set(app.tasks), set(tasks) - set(app.tasks)


def test_each_declared_entry_reaches_beat_unchanged():
    app.loader.import_default_modules()
    declared = {}
    for package in TASK_PACKAGES:
        try:
            declared.update(importlib.import_module(f"{package}.tasks").PERIODIC_TASKS)
        except (ModuleNotFoundError, AttributeError):
            continue
    assert len(declared) >= 12
    for name, entry in declared.items():
        assert app.conf.beat_schedule[name]["task"] == entry["task"]
        assert app.conf.beat_schedule[name]["schedule"] == entry["schedule"]


def test_two_areas_claiming_one_entry_name_is_refused(monkeypatch):
    from services.core import tasks as core_tasks
    from services.jobs import tasks as jobs_tasks

    name = next(iter(jobs_tasks.PERIODIC_TASKS))
    monkeypatch.setitem(core_tasks.PERIODIC_TASKS, name, {"task": "x", "schedule": 1.0})
    with pytest.raises(RuntimeError, match="declared twice"):
        collected_periodic_tasks()
